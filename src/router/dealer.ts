/**
 * Remote procedure calls for one realm (spec "Remote Procedure Calls"): registrations, the
 * calls in flight, and the rules for callers and callees that leave mid-call.
 * @module
 */
import { randomId53 } from "../platform/random.ts";
import type { PeerSendResult } from "../session/peer.ts";
import type { Session } from "../session/session.ts";
import * as C from "../wamp/codes.ts";
import { isReservedUri, isValidUri } from "../wamp/uri_check.ts";
import * as U from "../wamp/uris.ts";
import type { Dict } from "../wamp/validate.ts";
import { errorMessage, payload } from "./messages.ts";
import type { RealmContext } from "./realm_context.ts";

export interface Registration {
  readonly id: number;
  readonly procedure: string;
  readonly match: "exact";
  readonly invoke: "single";
  readonly created: number;
  readonly callee: Session;
}

/** One call in flight: a CALL that became an INVOCATION. */
interface Invocation {
  readonly caller: Session;
  readonly callRequestId: number;
  readonly callee: Session;
  readonly invocationId: number;
  /** A `kill` CANCEL was passed on; the callee's answer is still awaited. */
  canceling: boolean;
}

export class Dealer {
  readonly #ctx: RealmContext;
  readonly #byProcedure = new Map<string, Registration>();
  readonly #byId = new Map<number, Registration>();
  readonly #bySession = new Map<Session, Set<Registration>>();
  /** Calls in flight by caller, keyed by the caller's CALL request id. */
  readonly #byCaller = new Map<Session, Map<number, Invocation>>();
  /** Calls in flight by callee, keyed by the INVOCATION request id. */
  readonly #byCallee = new Map<Session, Map<number, Invocation>>();

  constructor(ctx: RealmContext) {
    this.#ctx = ctx;
  }

  get registrationCount(): number {
    return this.#byId.size;
  }

  register(session: Session, requestId: number, _options: Dict, procedure: string): void {
    if (!isValidUri(procedure, this.#ctx.uriCheck)) {
      session.send(errorMessage(C.REGISTER, requestId, U.E_INVALID_URI, `"${procedure}" is not a valid procedure URI`));
      return;
    }
    if (isReservedUri(procedure) && !session.internal) {
      session.send(errorMessage(
        C.REGISTER,
        requestId,
        U.E_INVALID_URI,
        `"${procedure}" is in the reserved wamp.* namespace, where only the router registers`,
      ));
      return;
    }
    if (this.#byProcedure.has(procedure)) {
      session.send(errorMessage(
        C.REGISTER,
        requestId,
        U.E_PROCEDURE_ALREADY_EXISTS,
        `"${procedure}" is already registered`,
      ));
      return;
    }
    const reg: Registration = {
      id: this.#newId(),
      procedure,
      match: "exact",
      invoke: "single",
      created: this.#ctx.clock.now(),
      callee: session,
    };
    this.#byProcedure.set(procedure, reg);
    this.#byId.set(reg.id, reg);
    let mine = this.#bySession.get(session);
    if (!mine) this.#bySession.set(session, (mine = new Set()));
    mine.add(reg);
    session.send([C.REGISTERED, requestId, reg.id]);
  }

  unregister(session: Session, requestId: number, registrationId: number): void {
    const reg = this.#byId.get(registrationId);
    if (!reg || reg.callee !== session) {
      session.send(errorMessage(
        C.UNREGISTER,
        requestId,
        U.E_NO_SUCH_REGISTRATION,
        `this session holds no registration ${registrationId}`,
      ));
      return;
    }
    this.#drop(reg);
    this.#bySession.get(session)?.delete(reg);
    // Calls already invoked still complete (spec: UNREGISTER does not cancel them).
    session.send([C.UNREGISTERED, requestId]);
  }

  call(caller: Session, requestId: number, _options: Dict, procedure: string, args?: unknown[], kwargs?: Dict): void {
    if (!isValidUri(procedure, this.#ctx.uriCheck)) {
      caller.send(errorMessage(C.CALL, requestId, U.E_INVALID_URI, `"${procedure}" is not a valid procedure URI`));
      return;
    }
    const reg = this.#byProcedure.get(procedure);
    if (!reg) {
      caller.send(errorMessage(C.CALL, requestId, U.E_NO_SUCH_PROCEDURE, `no callee registered "${procedure}"`));
      return;
    }
    const callee = reg.callee;
    const invocationId = callee.nextInvocationId();
    const inv: Invocation = { caller, callRequestId: requestId, callee, invocationId, canceling: false };
    const sent = callee.send([C.INVOCATION, invocationId, reg.id, {}, ...payload(args, kwargs)]);
    const failure = undeliverable(sent, "the call", "callee");
    if (failure) {
      caller.send(errorMessage(C.CALL, requestId, failure[0], failure[1]));
      return;
    }
    mapOf(this.#byCaller, caller).set(requestId, inv);
    mapOf(this.#byCallee, callee).set(invocationId, inv);
  }

  /** YIELD from a callee. */
  yield(callee: Session, invocationId: number, _options: Dict, args?: unknown[], kwargs?: Dict): void {
    const inv = this.#take(callee, invocationId, "YIELD");
    if (!inv) return;
    const sent = inv.caller.send([C.RESULT, inv.callRequestId, {}, ...payload(args, kwargs)]);
    const failure = undeliverable(sent, "the result", "caller");
    if (failure) inv.caller.send(errorMessage(C.CALL, inv.callRequestId, failure[0], failure[1]));
  }

  /** ERROR from a callee for an INVOCATION: passed to the caller as an ERROR for its CALL. */
  error(callee: Session, invocationId: number, details: Dict, uri: string, args?: unknown[], kwargs?: Dict): void {
    const inv = this.#take(callee, invocationId, "ERROR");
    if (!inv) return;
    const sent = inv.caller.send([C.ERROR, C.CALL, inv.callRequestId, details, uri, ...payload(args, kwargs)]);
    const failure = undeliverable(sent, "the callee's error", "caller");
    if (failure) inv.caller.send(errorMessage(C.CALL, inv.callRequestId, failure[0], failure[1]));
  }

  /**
   * CANCEL from a caller (spec "Call Canceling"). `skip` answers the caller at once and tells
   * the callee nothing; `killnowait` interrupts the callee and answers the caller at once;
   * `kill` interrupts the callee and waits for its answer. A callee that did not announce
   * call_canceling is never sent INTERRUPT, so every mode acts as `skip` for it.
   */
  cancel(caller: Session, requestId: number, options: Dict): void {
    const mode = options["mode"] ?? "killnowait";
    if (mode !== "skip" && mode !== "kill" && mode !== "killnowait") {
      caller.send(errorMessage(
        C.CANCEL,
        requestId,
        U.E_INVALID_ARGUMENT,
        `CANCEL mode must be "skip", "kill" or "killnowait", found ${JSON.stringify(mode)}`,
      ));
      return;
    }
    const inv = this.#byCaller.get(caller)?.get(requestId);
    if (!inv) {
      // Spec "Protocol Violations" covers ids never used; a call that already finished is
      // normal racing and ignored.
      if (requestId > caller.lastRequestId) {
        caller.protocolViolation(`CANCEL for request ${requestId}, which this session never sent`);
      }
      return;
    }
    const interruptible = inv.callee.hasFeature("callee", "call_canceling");
    if (mode === "kill" && interruptible) {
      if (!inv.canceling) {
        inv.canceling = true;
        inv.callee.send([C.INTERRUPT, inv.invocationId, { mode }]);
      }
      return;
    }
    this.#byCaller.get(caller)!.delete(requestId);
    this.#byCallee.get(inv.callee)?.delete(inv.invocationId);
    if (mode === "killnowait" && interruptible) {
      inv.callee.send([C.INTERRUPT, inv.invocationId, { mode }]);
    }
    caller.send(errorMessage(C.CALL, requestId, U.E_CANCELED, `the call was canceled (mode ${mode})`));
  }

  /** The session left: drop its registrations and settle its calls (spec "Caller Leaving", "Callee Leaving"). */
  removeSession(session: Session): void {
    const regs = this.#bySession.get(session);
    if (regs) {
      this.#bySession.delete(session);
      for (const reg of regs) this.#drop(reg);
    }
    // As caller: results that arrive later are dropped quietly.
    const asCaller = this.#byCaller.get(session);
    if (asCaller) {
      this.#byCaller.delete(session);
      for (const inv of asCaller.values()) {
        this.#byCallee.get(inv.callee)?.delete(inv.invocationId);
        // Spec "Caller Leaving": interrupt the callee when both sides support canceling.
        if (inv.callee.hasFeature("callee", "call_canceling")) {
          inv.callee.send([C.INTERRUPT, inv.invocationId, { mode: "killnowait" }]);
        }
      }
    }
    // As callee: every waiting caller gets an ERROR now, never a hang.
    const asCallee = this.#byCallee.get(session);
    if (asCallee) {
      this.#byCallee.delete(session);
      for (const inv of asCallee.values()) {
        this.#byCaller.get(inv.caller)?.delete(inv.callRequestId);
        inv.caller.send(errorMessage(
          C.CALL,
          inv.callRequestId,
          U.E_CANCELED,
          "callee disconnected from in-flight request",
        ));
      }
    }
  }

  /**
   * Finds and removes the call an answer belongs to. An id above the highest INVOCATION id
   * this callee was ever sent is a protocol violation (spec "Protocol Violations"); an id the
   * callee did receive but that is no longer pending (caller left) is ignored.
   */
  #take(callee: Session, invocationId: number, what: string): Invocation | undefined {
    const inv = this.#byCallee.get(callee)?.get(invocationId);
    if (!inv) {
      if (invocationId > callee.lastInvocationId) {
        callee.protocolViolation(`${what} for INVOCATION ${invocationId}, which this session was never sent`);
      }
      return undefined;
    }
    this.#byCallee.get(callee)!.delete(invocationId);
    this.#byCaller.get(inv.caller)?.delete(inv.callRequestId);
    return inv;
  }

  #drop(reg: Registration): void {
    this.#byId.delete(reg.id);
    if (this.#byProcedure.get(reg.procedure) === reg) this.#byProcedure.delete(reg.procedure);
  }

  #newId(): number {
    for (;;) {
      const id = randomId53(this.#ctx.random);
      if (!this.#byId.has(id)) return id;
    }
  }
}

/** The ERROR (URI and explanation) owed when a message could not be delivered, if any. */
function undeliverable(result: PeerSendResult, what: string, to: string): [string, string] | undefined {
  switch (result) {
    case "unencodable":
      return [U.E_INVALID_ARGUMENT, `${what} holds values the ${to}'s serializer cannot carry`];
    case "too_large":
      return [U.E_PAYLOAD_SIZE_EXCEEDED, `${what} is larger than the ${to}'s transport accepts`];
    case "closed":
      return [U.E_CANCELED, `the ${to}'s transport closed`];
    default:
      return undefined;
  }
}

function mapOf<K, V>(outer: Map<Session, Map<K, V>>, session: Session): Map<K, V> {
  let m = outer.get(session);
  if (!m) outer.set(session, (m = new Map()));
  return m;
}
