/**
 * One WAMP session over one transport: the router side of the spec's session state chart
 * (HELLO -> WELCOME | ABORT, established, GOODBYE either way, ABORT on protocol violations).
 * Every step is synchronous: a message in, state changes, messages out.
 * @module
 */
import type { Clock, TimerHandle } from "../platform/clock.ts";
import type { Logger } from "../platform/logger.ts";
import type { AuthOutcome, Authenticator, Identity } from "../auth/types.ts";
import { E_INTERNAL, E_LIMIT_RATE, E_LIMIT_SESSIONS, E_SLOW_CONSUMER, type Limits } from "../router/limits.ts";
import { errorMessage } from "../router/messages.ts";
import * as C from "../wamp/codes.ts";
import * as U from "../wamp/uris.ts";
import { type Dict, isDict, MAX_ID, validateClientMessage } from "../wamp/validate.ts";
import { FlowControl } from "./flow_control.ts";
import { anonymousIdentity, checkHello, helloInfo, shrink, welcomeMessage } from "./hello.ts";
import type { MessageHandler } from "./message_peer.ts";
import type { FrameCache, Peer, PeerSendResult } from "./peer.ts";
import { EncodedValue } from "../serializer/encoded.ts";
import type { RawTail } from "../serializer/types.ts";

/** What a session needs from the router that owns it. */
export interface SessionHost {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly helloTimeoutMs: number;
  readonly agent: string;
  readonly limits: Limits;
  /** Finds (or, when the router allows it, creates) a realm for a HELLO. */
  realmFor(uri: string): RealmPort | undefined;
  newSessionId(): number;
  /** The session id is no longer in use (the session left; the transport may carry another). */
  releaseSessionId?(id: number): void;
  /** The session's transport is gone for good. */
  forget(session: Session): void;
}

/** What a session needs from its realm. */
export interface RealmPort {
  readonly name: string;
  /** Established client sessions (for the per-realm session limit). */
  readonly sessionCount: number;
  /** Undefined for a realm explicitly open to anonymous clients. */
  readonly authenticator: Authenticator | undefined;
  readonly strictRequestIds: boolean;
  /** WELCOME.Details.roles: the router's roles and the features this realm offers. */
  readonly roles: Record<string, unknown>;
  join(session: Session): void;
  leave(session: Session): void;
  dispatch(session: Session, code: number, message: readonly unknown[]): void;
  /** Whether a CALL with this request id continues a progressive call invocation. */
  isCallContinuation(session: Session, requestId: number): boolean;
}

/**
 * Spec session state chart: closed (no session; HELLO expected), authenticating (waiting for
 * the authenticator), challenged (CHALLENGE sent, AUTHENTICATE expected), established,
 * shutting_down (we said GOODBYE and wait for the reply), dead (transport gone).
 */
type State = "closed" | "authenticating" | "challenged" | "established" | "shutting_down" | "dead";

/** The identity of an established session. */
export type AuthInfo = Identity;

export class Session implements MessageHandler {
  readonly #host: SessionHost;
  readonly peer: Peer;
  #state: State = "closed";
  #helloTimer: TimerHandle | undefined;
  #shutdownTimer: TimerHandle | undefined;
  /** The realm a handshake in progress is for, and the session id it will have. */
  #joining: RealmPort | undefined;
  #joiningId = 0;
  /** Continues a CHALLENGE with the client's AUTHENTICATE. */
  #authNext: ((signature: string, extra: Dict) => Promise<AuthOutcome>) | undefined;
  /** Inbound rate limit and outbound slow-consumer state. */
  readonly flow: FlowControl;
  /** Clock time of the last inbound data (messages, pongs), as of the last idle sweep. */
  lastActivity: number;
  /** Data arrived since the last idle sweep. */
  #active = false;
  /** Set while the session leaves its realm: nothing more is sent to it then. */
  #silent = false;
  /** Clock time of an unanswered idle ping; 0 when none is outstanding. */
  pingedAt = 0;
  /** Bumped by every handshake step, so a promise that settles late is recognised and ignored. */
  #authStep = 0;
  /** The frame being handled and its element count; set only during receive(). */
  #frame: Uint8Array | string | undefined;
  #frameElements = 0;
  /** inboundTail() of the frame being handled, once asked (null: it could not be cut). */
  #tail: RawTail | null | undefined;

  /** Global-scope session id; 0 until WELCOME. */
  id = 0;
  realm: RealmPort | undefined;
  auth: AuthInfo | undefined;
  /** Client roles and features from HELLO. */
  roles: Dict = {};
  agent: string | undefined;
  /** Last client request id seen (spec "IDs": session scope, sequential from 1). */
  lastRequestId = 0;
  /** Last INVOCATION request id this session was sent (router-to-callee direction). */
  lastInvocationId = 0;

  /**
   * A session of the router itself (the meta API): it may register and publish in the
   * reserved `wamp.*` namespace and is not listed among the realm's client sessions.
   */
  readonly internal: boolean;

  constructor(host: SessionHost, peer: Peer, options: { internal?: boolean } = {}) {
    this.#host = host;
    this.peer = peer;
    this.internal = options.internal ?? false;
    this.lastActivity = host.clock.now();
    this.flow = new FlowControl(host.limits, this.lastActivity);
    this.#armHelloTimer();
  }

  get established(): boolean {
    return this.#state === "established";
  }

  get alive(): boolean {
    return this.#state !== "dead";
  }

  /** Whether the client announced a feature for a role in HELLO. */
  hasFeature(role: string, feature: string): boolean {
    const r = this.roles[role];
    if (!isDict(r)) return false;
    const f = r["features"];
    return isDict(f) && f[feature] === true;
  }

  /** Next INVOCATION id for this callee: sequential, wrapping after 2^53. */
  nextInvocationId(): number {
    this.lastInvocationId = this.lastInvocationId >= MAX_ID ? 1 : this.lastInvocationId + 1;
    return this.lastInvocationId;
  }

  /**
   * Sends a message. While the transport is backpressured, EVENTs are dropped (and counted):
   * a subscriber that does not read must not make the router buffer without bound. Everything
   * else (results, errors, invocations) is still sent, until the bytes queued since the
   * backpressure began pass limits.slowConsumerBytes; then the session is closed.
   */
  send(message: readonly unknown[], cache?: FrameCache, tail?: RawTail): PeerSendResult {
    if (this.#state === "dead" || this.#silent) return "closed";
    const flow = this.flow;
    if (flow.congested) {
      if (message[0] === C.EVENT) {
        flow.droppedEvents++;
        return "backpressure";
      }
      if (flow.overLimit(this.peer.bytesSent ?? 0)) {
        this.#slowConsumer();
        return "closed";
      }
    }
    let result = this.peer.send(message, cache, tail);
    if (result === "too_large") {
      // The router's own replies carry optional parts (explanations, feature lists) that can
      // go to make them fit the peer's limit.
      const smaller = shrink(message);
      if (smaller) result = this.peer.send(smaller);
    }
    if (result === "backpressure") flow.backpressure(this.peer.bytesSent ?? 0, this.#host.clock.now());
    return result;
  }

  drain(): void {
    this.flow.drained();
  }

  /**
   * Something arrived. Only a flag: the idle sweep turns it into a time, so the message path
   * does not read the clock for it.
   */
  activity(): void {
    this.#active = true;
  }

  /**
   * Called periodically by the router: pings a transport that has been silent for
   * limits.idlePingMs and closes it when the ping stays unanswered for limits.idleCloseMs.
   * Transports without a ping of their own (Deno WebSocket pings by itself) are left alone.
   */
  checkIdle(now: number): void {
    const { idlePingMs, idleCloseMs } = this.#host.limits;
    if (this.#active) {
      this.#active = false;
      this.lastActivity = now;
      this.pingedAt = 0;
    }
    if (this.#state === "dead") return;
    if (this.flow.stalled(now)) {
      this.#slowConsumer();
      return;
    }
    if (idlePingMs <= 0 || !this.peer.ping) return;
    if (this.pingedAt === 0) {
      if (now - this.lastActivity >= idlePingMs) {
        this.pingedAt = now;
        this.peer.ping();
      }
    } else if (now - this.pingedAt >= idleCloseMs) {
      this.#host.logger.log("warn", "dead peer: no answer to ping, closing transport", {
        ...(this.id ? { session: this.id } : {}),
        silentMs: now - this.lastActivity,
      });
      this.#closeTransport();
    }
  }

  #slowConsumer(): void {
    this.#host.logger.log("warn", "slow consumer closed", {
      session: this.id,
      droppedEvents: this.flow.droppedEvents,
      limitBytes: this.#host.limits.slowConsumerBytes,
    });
    // The ABORT will likely never be read; it is sent for the record and the transport closes.
    this.abort(E_SLOW_CONSUMER, "the session did not read its messages and its send buffer passed the limit");
  }

  /**
   * Takes one token from the rate-limit bucket. A request beyond the rate is refused with
   * ERROR (or dropped when it has no answer: an unacknowledged PUBLISH).
   */
  #admit(code: number, msg: unknown[]): boolean {
    if (this.flow.admit(this.#host.clock.now())) return true;
    const { messagesPerSecond } = this.#host.limits;
    if (code === C.PUBLISH && (msg[2] as Dict)["acknowledge"] !== true) return false;
    this.send(errorMessage(code, msg[1] as number, E_LIMIT_RATE, `more than ${messagesPerSecond} messages per second`));
    return false;
  }

  // --- inbound ---

  receive(message: unknown, frame?: Uint8Array | string): void {
    // Saved and restored: a router-internal session can be handed a message while it handles one.
    const outer = this.#frame;
    const outerElements = this.#frameElements;
    const outerTail = this.#tail;
    this.#frameElements = Array.isArray(message) ? message.length : 0;
    // A payload the decoder left encoded (serializer/encoded.ts) is forwarded as such: there
    // is no tail to cut.
    this.#frame = this.#frameElements > 0 && (message as unknown[])[this.#frameElements - 1] instanceof EncodedValue ? undefined : frame;
    this.#tail = undefined;
    try {
      this.#receive(message);
    } catch (e) {
      // A bug of the router's must cost this session only, never the process or the others.
      this.#host.logger.log("error", "internal error while handling a message", {
        ...(this.id ? { session: this.id } : {}),
        error: e instanceof Error ? (e.stack ?? e.message) : String(e),
      });
      this.abort(E_INTERNAL, "the router failed to handle a message of this session");
    } finally {
      this.#frame = outer;
      this.#frameElements = outerElements;
      this.#tail = outerTail;
    }
  }

  /**
   * The payload of the message being handled, as received: its last `count` elements, which
   * must follow exactly `from` others (serializer/types.ts `payloadTail`: cut out of a long
   * frame, or an uncut tail that spares a short one's re-encoding some work). Only while that
   * message is handled (the bytes are a view of its frame); undefined when there is no frame
   * (internal sessions) or the serializer offers nothing. A fan-out asks once per
   * subscription: the answer is kept.
   */
  inboundTail(from: number, count: number): RawTail | undefined {
    const frame = this.#frame;
    if (frame === undefined || count === 0 || this.#frameElements !== from + count) return undefined;
    if (this.#tail === undefined || (this.#tail !== null && this.#tail.count !== count)) {
      this.#tail = this.peer.rawTail?.(frame, from, count) ?? null;
    }
    return this.#tail ?? undefined;
  }

  #receive(message: unknown): void {
    if (this.#state === "dead") return;
    if (this.#state === "shutting_down") {
      // Spec state chart: after we sent GOODBYE only the peer's GOODBYE (or ABORT) matters;
      // anything else, well-formed or not, is ignored.
      if (Array.isArray(message) && (message[0] === C.GOODBYE || message[0] === C.ABORT)) this.#closeTransport();
      return;
    }
    const problem = validateClientMessage(message);
    if (problem !== undefined) {
      this.protocolViolation(problem);
      return;
    }
    const msg = message as unknown[];
    const code = msg[0] as number;
    switch (this.#state) {
      case "closed":
        this.#receiveUnjoined(code, msg);
        return;
      case "challenged":
        if (code === C.AUTHENTICATE) {
          const next = this.#authNext!;
          this.#authNext = undefined;
          this.#runAuth(next(msg[1] as string, msg[2] as Dict));
        } else if (code === C.ABORT) {
          this.#closeTransport();
        } else {
          this.protocolViolation(`${C.messageName(code)} while waiting for AUTHENTICATE`);
        }
        return;
      case "authenticating":
        if (code === C.ABORT) this.#closeTransport();
        else this.protocolViolation(`${C.messageName(code)} before the session was established`);
        return;
      case "established":
        this.#receiveEstablished(code, msg);
        return;
    }
  }

  malformed(reason: string): void {
    if (this.#state === "dead" || this.#state === "shutting_down") return;
    this.protocolViolation(reason);
  }

  transportClosed(): void {
    if (this.#state === "dead") return;
    this.#state = "dead";
    this.#clearTimers();
    this.#leaveRealm("transport closed");
    this.#host.forget(this);
  }

  #receiveUnjoined(code: number, msg: unknown[]): void {
    if (code === C.HELLO) {
      this.#hello(msg[1] as string, msg[2] as Dict);
    } else if (code === C.ABORT) {
      // Spec: ABORT is never answered.
      this.#closeTransport();
    } else if (code === C.AUTHENTICATE) {
      this.protocolViolation("AUTHENTICATE without a CHALLENGE");
    } else {
      this.protocolViolation(`${C.messageName(code)} before the session was established`);
    }
  }

  #receiveEstablished(code: number, msg: unknown[]): void {
    switch (code) {
      case C.HELLO:
        this.protocolViolation("HELLO in an established session");
        return;
      case C.AUTHENTICATE:
        this.protocolViolation("AUTHENTICATE in an established session");
        return;
      case C.ABORT:
        this.#leaveRealm("client aborted");
        this.#closeTransport();
        return;
      case C.GOODBYE:
        // Reply, then the transport may carry a new HELLO (spec "Session Closing").
        this.send([C.GOODBYE, {}, U.CLOSE_GOODBYE_AND_OUT]);
        this.#leaveRealm(`goodbye ${String(msg[2])}`);
        this.#state = "closed";
        this.#armHelloTimer();
        return;
      case C.PUBLISH:
      case C.SUBSCRIBE:
      case C.UNSUBSCRIBE:
      case C.CALL:
      case C.REGISTER:
      case C.UNREGISTER: {
        const requestId = msg[1] as number;
        const realm = this.realm!;
        if (!this.internal && !this.#admit(code, msg)) {
          if (requestId > this.lastRequestId) this.lastRequestId = requestId;
          return;
        }
        if (requestId > this.lastRequestId && !realm.strictRequestIds) {
          // The common case, checked first: a follow-up chunk of a progressive call reuses an
          // id already seen, so a new highest id never needs the dealer's continuation lookup.
          this.lastRequestId = requestId;
        } else if (code === C.CALL && realm.isCallContinuation(this, requestId)) {
          // Spec "Progressive Call Invocations": follow-up chunks reuse the first CALL's id.
        } else if (realm.strictRequestIds) {
          const expected = this.lastRequestId >= MAX_ID ? 1 : this.lastRequestId + 1;
          if (requestId !== expected) {
            this.protocolViolation(
              `request id ${requestId} of ${C.messageName(code)} is not the next in sequence (expected ${expected})`,
            );
            return;
          }
          this.lastRequestId = requestId;
        }
        this.realm!.dispatch(this, code, msg);
        return;
      }
      default:
        this.realm!.dispatch(this, code, msg);
    }
  }

  #hello(realmUri: string, details: Dict): void {
    const check = checkHello(realmUri, details);
    if (!check.ok) {
      this.abort(check.reason, check.message);
      return;
    }
    const realm = this.#host.realmFor(realmUri);
    if (!realm) {
      this.abort(U.E_NO_SUCH_REALM, `no realm named "${realmUri}" exists on this router`);
      return;
    }
    if (!this.internal && realm.sessionCount >= this.#host.limits.sessionsPerRealm) {
      this.abort(E_LIMIT_SESSIONS, `the realm "${realm.name}" has reached its limit of ${this.#host.limits.sessionsPerRealm} sessions`);
      return;
    }
    this.roles = check.roles;
    this.agent = typeof details["agent"] === "string" ? details["agent"] : undefined;
    if (!realm.authenticator) {
      const id = this.#host.newSessionId();
      this.#welcome(realm, anonymousIdentity(details, id), id);
      return;
    }
    this.#joining = realm;
    this.#joiningId = this.#host.newSessionId();
    this.#runAuth(realm.authenticator.hello(helloInfo(realm.name, this.#joiningId, details, this.peer.info)));
  }

  /** Waits for one authentication step; acts on it only if the handshake is still at that step. */
  #runAuth(pending: Promise<AuthOutcome>): void {
    this.#state = "authenticating";
    const step = ++this.#authStep;
    pending.then(
      (outcome) => {
        if (this.#state === "authenticating" && this.#authStep === step) this.#authOutcome(outcome);
      },
      (e: unknown) => {
        if (this.#state !== "authenticating" || this.#authStep !== step) return;
        this.#host.logger.log("error", "authenticator failed", { error: e instanceof Error ? e.message : String(e) });
        this.abort("wamp.error.authentication_failed", "authentication could not be completed");
      },
    );
  }

  #authOutcome(outcome: AuthOutcome): void {
    switch (outcome.kind) {
      case "welcome":
        this.#welcome(this.#joining!, outcome.identity, this.#joiningId);
        this.#joiningId = 0;
        return;
      case "challenge":
        this.#authNext = outcome.next;
        this.#state = "challenged";
        this.send([C.CHALLENGE, outcome.authmethod, outcome.extra]);
        return;
      case "abort":
        this.abort(outcome.reason, outcome.message);
        return;
    }
  }

  #welcome(realm: RealmPort, identity: Identity, id: number): void {
    this.#clearHelloTimer();
    this.#joining = undefined;
    this.id = id;
    this.auth = identity;
    this.realm = realm;
    this.lastRequestId = 0;
    this.lastInvocationId = 0;
    this.#state = "established";
    if (this.send(welcomeMessage(id, realm.name, realm.roles, identity, this.#host.agent)) === "too_large") {
      this.#state = "closed";
      this.#host.releaseSessionId?.(id);
      this.id = 0;
      this.realm = undefined;
      this.abort(U.E_PAYLOAD_SIZE_EXCEEDED, "the transport's message limit is too small for WELCOME");
      return;
    }
    realm.join(this);
    // The router's own sessions (the meta API) are not clients: they are not logged.
    if (!this.internal) this.#host.logger.log("info", "session joined", {
      session: this.id,
      realm: realm.name,
      authid: this.auth.authid,
      transport: this.peer.info.kind,
      serializer: this.peer.serializer,
      ...(this.peer.info.remoteAddress ? { remote: this.peer.info.remoteAddress } : {}),
      ...(this.agent ? { agent: this.agent } : {}),
    });
  }

  // --- outbound control ---

  /** Refuses or ends the session with ABORT and closes the transport. */
  abort(reason: string, message: string): void {
    if (this.#state === "dead") return;
    // Straight to the peer: the last message bypasses slow-consumer accounting.
    this.peer.send([C.ABORT, { message }, reason]);
    if (this.realm) this.#leaveRealm(`aborted: ${reason}`);
    else {
      this.#leaveRealm("refused");
      this.#host.logger.log("warn", "session refused", {
        reason,
        message,
        ...(this.peer.info.remoteAddress ? { remote: this.peer.info.remoteAddress } : {}),
      });
    }
    this.#closeTransport();
  }

  /**
   * Spec "Protocol Violations": ABORT with `wamp.error.protocol_violation`, drop the session's
   * registrations and subscriptions, process nothing more, and close the transport.
   */
  protocolViolation(message: string): void {
    this.#host.logger.log("warn", "protocol violation", {
      ...(this.id ? { session: this.id } : {}),
      message,
    });
    this.abort(U.E_PROTOCOL_VIOLATION, message);
  }

  /**
   * Router-initiated close (shutdown, kill): GOODBYE now, then wait for the client's GOODBYE
   * for at most `graceMs` before closing the transport.
   */
  goodbye(reason: string, message?: string, graceMs = 2_000): void {
    if (this.#state !== "established") {
      if (this.#state === "closed") this.#closeTransport();
      return;
    }
    this.send([C.GOODBYE, message === undefined ? {} : { message }, reason]);
    this.#leaveRealm(reason);
    this.#state = "shutting_down";
    this.#shutdownTimer = this.#host.clock.setTimer(graceMs, () => this.#closeTransport());
  }

  // --- helpers ---

  #leaveRealm(why: string): void {
    // A handshake that never reached WELCOME gives its drawn session id back.
    if (this.#joiningId) {
      this.#host.releaseSessionId?.(this.#joiningId);
      this.#joiningId = 0;
      this.#joining = undefined;
    }
    const realm = this.realm;
    if (!realm) return;
    this.realm = undefined;
    // Leaving can make the dealer message this very session (an INTERRUPT for a call it made
    // to itself); it already had its last word (ABORT, GOODBYE), so those stay unsent.
    this.#silent = true;
    try {
      realm.leave(this);
    } finally {
      this.#silent = false;
    }
    this.#host.releaseSessionId?.(this.id);
    if (!this.internal) {
      this.#host.logger.log("info", "session left", { session: this.id, realm: realm.name, reason: why });
    }
  }

  #closeTransport(): void {
    if (this.#state === "dead") return;
    this.#leaveRealm("closed");
    this.#state = "dead";
    this.#clearTimers();
    this.peer.close();
    this.#host.forget(this);
  }

  #armHelloTimer(): void {
    this.#clearHelloTimer();
    this.#helloTimer = this.#host.clock.setTimer(this.#host.helloTimeoutMs, () => {
      this.#helloTimer = undefined;
      if (this.#state === "authenticating" || this.#state === "challenged") {
        this.abort("wamp.error.authentication_failed", `authentication did not complete within ${this.#host.helloTimeoutMs} ms`);
        return;
      }
      if (this.#state !== "closed") return;
      this.#host.logger.log("warn", "no HELLO in time, closing transport", {
        timeoutMs: this.#host.helloTimeoutMs,
        ...(this.peer.info.remoteAddress ? { remote: this.peer.info.remoteAddress } : {}),
      });
      this.#closeTransport();
    });
  }

  #clearHelloTimer(): void {
    if (this.#helloTimer) this.#host.clock.clearTimer(this.#helloTimer);
    this.#helloTimer = undefined;
  }

  #clearTimers(): void {
    this.#clearHelloTimer();
    if (this.#shutdownTimer) this.#host.clock.clearTimer(this.#shutdownTimer);
    this.#shutdownTimer = undefined;
  }
}

