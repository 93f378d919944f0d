/**
 * Remote procedure calls for one realm (spec "Remote Procedure Calls" and the Advanced Profile
 * RPC features): registrations, routing, the calls in flight, and what happens when callers or
 * callees leave, cancel or time out.
 * @module
 */
import type { TimerHandle } from "../platform/clock.ts";
import { randomId53 } from "../platform/random.ts";
import type { Args, Kwargs } from "../serializer/encoded.ts";
import type { PeerSendResult } from "../session/peer.ts";
import type { Session } from "../session/session.ts";
import * as C from "../wamp/codes.ts";
import { isReservedUri, isValidUri, type MatchPolicy, reservedNamespace } from "../wamp/uri_check.ts";
import * as U from "../wamp/uris.ts";
import { type Dict, isEmptyDict } from "../wamp/validate.ts";
import { type CallOptions, parseCallOptions } from "./call_options.ts";
import { pickCallee, pickPartition } from "./callee_selection.ts";
import { E_LIMIT_PENDING_CALLS, E_LIMIT_REGISTRATIONS } from "./limits.ts";
import { IdTable } from "./id_table.ts";
import { appendPayload, CALL_FIXED, ERROR_FIXED, errorMessage, NO_DETAILS, withPayload3, withPayload4, YIELD_FIXED } from "./messages.ts";
import { describe } from "./value_text.ts";
import { announcesPassthru, passthruOptions } from "./passthru.ts";
import { matchPolicyOf } from "./pattern_index.ts";
import type { RealmContext } from "./realm_context.ts";
import type { RegistrationInfo } from "./realm_events.ts";
import { isInvocationPolicy, type Registration, RegistrationTable } from "./registrations.ts";

/** One call in flight: a CALL that became an INVOCATION. */
interface Invocation {
  readonly caller: Session;
  readonly callRequestId: number;
  readonly callee: Session;
  readonly invocationId: number;
  readonly registration: Registration;
  readonly procedure: string;
  /** The caller asked for progressive results and the callee can send them. */
  readonly receiveProgress: boolean;
  /** Started as a progressive call invocation (spec "Progressive Call Invocations"). */
  readonly progressiveInput: boolean;
  /** More CALL chunks may follow. */
  inputOpen: boolean;
  /** A `kill` CANCEL was passed on; the callee's answer is still awaited. */
  canceling: boolean;
  /** Dealer-enforced timeout in ms (0: none); restarted by each progressive result. */
  readonly timeout: number;
  timer: TimerHandle | undefined;
}

/** The longest delay a timer takes (setTimeout's signed 32-bit limit). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** How many finished progressive calls per caller are remembered to drop late chunks quietly. */
const FINISHED_MEMORY = 256;

export interface DealerOptions {
  /** Whether callers may ask for disclosure (`disclose_me`); default true. */
  readonly allowDisclose?: boolean;
}

export class Dealer {
  readonly #ctx: RealmContext;
  readonly #allowDisclose: boolean;
  readonly #table = new RegistrationTable();
  readonly #bySession = new Map<Session, Set<Registration>>();
  /** Calls in flight by caller, keyed by the caller's CALL request id. */
  readonly #byCaller = new Map<Session, IdTable<Invocation>>();
  /** Calls in flight by callee, keyed by the INVOCATION request id. */
  readonly #byCallee = new Map<Session, IdTable<Invocation>>();
  /** Request ids of finished progressive call invocations, per caller. */
  readonly #finished = new Map<Session, Set<number>>();

  constructor(ctx: RealmContext, options: DealerOptions = {}) {
    this.#ctx = ctx;
    this.#allowDisclose = options.allowDisclose ?? true;
  }

  // --- queries (registration meta API) ---

  get registrationCount(): number {
    return this.#table.size;
  }

  registrations(): Iterable<RegistrationInfo> {
    return this.#table.all();
  }

  getRegistration(id: number): RegistrationInfo | undefined {
    return this.#table.get(id);
  }

  lookupRegistration(uri: string, match: MatchPolicy): RegistrationInfo | undefined {
    return this.#table.lookup(uri, match);
  }

  /** The registration a CALL of `uri` would reach. */
  matchRegistration(uri: string): RegistrationInfo | undefined {
    return this.#table.best(uri);
  }

  /** The procedure of a call in flight (for authorizing its CANCEL). */
  callProcedure(caller: Session, requestId: number): string | undefined {
    return this.#byCaller.get(caller)?.get(requestId)?.procedure;
  }

  /** Whether a CALL with this id continues a progressive call invocation of this caller. */
  isCallContinuation(caller: Session, requestId: number): boolean {
    const inv = this.#byCaller.get(caller)?.get(requestId);
    if (inv) return inv.progressiveInput;
    return this.#finished.get(caller)?.has(requestId) ?? false;
  }

  // --- registrations ---

  register(session: Session, requestId: number, options: Dict, procedure: string): void {
    const fail = (uri: string, why: string): void => {
      session.send(errorMessage(C.REGISTER, requestId, uri, why));
    };
    const match = matchPolicyOf(options);
    if (!match) return fail(U.E_INVALID_ARGUMENT, `option match must be "exact", "prefix" or "wildcard"`);
    const invoke = options["invoke"] ?? "single";
    if (!isInvocationPolicy(invoke)) {
      return fail(U.E_INVALID_ARGUMENT, `option invoke must be one of single, roundrobin, random, first, last`);
    }
    for (const key of ["disclose_caller", "forward_timeout"]) {
      if (options[key] !== undefined && typeof options[key] !== "boolean") {
        return fail(U.E_INVALID_ARGUMENT, `option ${key} must be a boolean`);
      }
    }
    if (!isValidUri(procedure, this.#ctx.uriCheck, match)) {
      return fail(U.E_INVALID_URI, `"${procedure}" is not a valid procedure URI for match "${match}"`);
    }
    if (isReservedUri(procedure) && !session.internal) {
      return fail(U.E_INVALID_URI, `"${procedure}" is in the reserved ${reservedNamespace(procedure)} namespace, where only the router registers`);
    }
    const held = this.#bySession.get(session)?.size ?? 0;
    if (held >= this.#ctx.limits.registrationsPerSession && !session.internal) {
      return fail(E_LIMIT_REGISTRATIONS, `this session holds ${held} registrations, the limit`);
    }
    let reg = this.#table.lookup(procedure, match);
    let created = false;
    if (reg) {
      if (reg.callees.includes(session)) {
        return fail(U.E_PROCEDURE_ALREADY_EXISTS, `this session already registered "${procedure}"`);
      }
      if (reg.invoke === "single" || invoke === "single") {
        return fail(U.E_PROCEDURE_ALREADY_EXISTS, `"${procedure}" is already registered`);
      }
      if (reg.invoke !== invoke) {
        return fail(
          U.E_PROCEDURE_ALREADY_EXISTS,
          `"${procedure}" is registered with invocation policy "${reg.invoke}"; this REGISTER asked for "${invoke}"`,
        );
      }
    } else {
      reg = this.#table.create(this.#newId(), procedure, match, invoke, this.#ctx.clock.now());
      created = true;
    }
    reg.callees.push(session);
    reg.calleeOptions.set(session, {
      discloseCaller: options["disclose_caller"] === true,
      forwardTimeout: options["forward_timeout"] === true,
    });
    setOf(this.#bySession, session).add(reg);
    session.send([C.REGISTERED, requestId, reg.id]);
    if (created) this.#ctx.observer.registrationCreated(session, reg);
    this.#ctx.observer.registered(session, reg);
  }

  unregister(session: Session, requestId: number, registrationId: number): void {
    const reg = this.#table.get(registrationId);
    if (!reg || !reg.callees.includes(session)) {
      session.send(errorMessage(
        C.UNREGISTER,
        requestId,
        U.E_NO_SUCH_REGISTRATION,
        `this session holds no registration ${registrationId}`,
      ));
      return;
    }
    // Calls already invoked still complete (spec: UNREGISTER does not cancel them).
    session.send([C.UNREGISTERED, requestId]);
    this.#removeCallee(reg, session);
  }

  /**
   * Removes a callee from a registration on the router's initiative (meta API
   * `wamp.registration.remove_callee`). A callee that announced `registration_revocation` is
   * told with the UNREGISTERED revocation form (spec "Registration Revocation").
   */
  removeCallee(registrationId: number, session: Session, reason?: string): boolean {
    const reg = this.#table.get(registrationId);
    if (!reg || !reg.callees.includes(session)) return false;
    if (session.hasFeature("callee", "registration_revocation")) {
      session.send([C.UNREGISTERED, 0, reason === undefined ? { registration: reg.id } : { registration: reg.id, reason }]);
    }
    this.#removeCallee(reg, session);
    return true;
  }

  #removeCallee(reg: Registration, session: Session): void {
    this.#bySession.get(session)?.delete(reg);
    const deleted = this.#table.removeCallee(reg, session);
    this.#ctx.observer.unregistered(session, reg);
    if (deleted) this.#ctx.observer.registrationDeleted(session, reg);
  }

  // --- calls ---

  call(caller: Session, requestId: number, options: Dict, procedure: string, args?: Args, kwargs?: Kwargs): void {
    const pending = this.#byCaller.get(caller);
    const active = pending?.get(requestId);
    if (active) {
      this.#continueCall(active, options, procedure, args, kwargs);
      return;
    }
    // A chunk for a progressive call that already ended is dropped quietly.
    if (this.#finished.size > 0 && this.#finished.get(caller)?.has(requestId)) return;

    const inFlight = pending?.size ?? 0;
    if (inFlight >= this.#ctx.limits.pendingCallsPerSession) {
      return refuseCall(caller, requestId, E_LIMIT_PENDING_CALLS, `this session has ${inFlight} calls in flight, the limit`);
    }
    const opts = parseCallOptions(options);
    if (typeof opts === "string") return refuseCall(caller, requestId, U.E_INVALID_ARGUMENT, opts);
    // Spec "Progressive Call Invocations" and "Payload Passthru Mode": using either without
    // announcing it is a protocol violation.
    if (opts.progress && !caller.hasFeature("caller", "progressive_call_invocations")) {
      caller.protocolViolation("progressive CALL from a caller that did not announce progressive_call_invocations");
      return;
    }
    if (opts.ppt && !announcesPassthru(caller, "caller")) {
      caller.protocolViolation("ppt_* options from a caller that did not announce payload_passthru_mode");
      return;
    }
    if (opts.discloseMe && !this.#allowDisclose) {
      return refuseCall(caller, requestId, "wamp.error.option_disallowed.disclose_me", "this realm does not allow callers to disclose themselves");
    }
    const reg = this.#table.best(procedure);
    // A procedure that names an exact registration passed this very check when it was
    // registered; only other URIs need the (regular expression) check on the call path.
    const knownValid = reg !== undefined && reg.match === "exact";
    if (!knownValid && !isValidUri(procedure, this.#ctx.uriCheck)) {
      return refuseCall(caller, requestId, U.E_INVALID_URI, `"${procedure}" is not a valid procedure URI`);
    }
    if (!reg) return refuseCall(caller, requestId, U.E_NO_SUCH_PROCEDURE, `no callee registered "${procedure}"`);
    const callee = opts.rkey !== undefined ? pickPartition(reg, opts.rkey) : pickCallee(reg, this.#ctx.random);
    if (opts.progress && !supportsProgressiveInvocations(callee)) {
      return refuseCall(caller, requestId, U.E_FEATURE_NOT_SUPPORTED, "the callee does not support progressive call invocations");
    }
    if (opts.ppt && !announcesPassthru(callee, "callee")) {
      return refuseCall(caller, requestId, U.E_FEATURE_NOT_SUPPORTED, "the callee does not support payload passthru mode");
    }
    const calleeOptions = reg.calleeOptions.get(callee)!;
    // The callee enforces the timeout itself when it asked to at registration and can.
    const forwardTimeout = opts.timeout > 0 && calleeOptions.forwardTimeout && callee.hasFeature("callee", "call_timeout");
    const details = this.#invocationDetails(caller, callee, reg, procedure, opts, calleeOptions.discloseCaller, forwardTimeout);

    const invocationId = callee.nextInvocationId();
    const invocation = withPayload4(C.INVOCATION, invocationId, reg.id, details, args, kwargs);
    const sent = callee.send(invocation, undefined, caller.inboundTail(CALL_FIXED, invocation.length - 4));
    const failure = undeliverable(sent, "the call", "callee");
    if (failure) return refuseCall(caller, requestId, failure[0], failure[1]);
    const inv: Invocation = {
      caller,
      callRequestId: requestId,
      callee,
      invocationId,
      registration: reg,
      procedure,
      receiveProgress: details["receive_progress"] === true,
      progressiveInput: opts.progress,
      inputOpen: opts.progress,
      canceling: false,
      timeout: forwardTimeout ? 0 : opts.timeout,
      timer: undefined,
    };
    (pending ?? tableOf(this.#byCaller, caller)).set(requestId, inv);
    tableOf(this.#byCallee, callee).set(invocationId, inv);
    this.#armTimeout(inv);
  }

  #invocationDetails(
    caller: Session,
    callee: Session,
    reg: Registration,
    procedure: string,
    opts: CallOptions,
    calleeWantsCaller: boolean,
    forwardTimeout: boolean,
  ): Dict {
    const discloses = (opts.discloseMe && this.#allowDisclose) || calleeWantsCaller;
    // The common call has no details: no object is made for it.
    if (reg.match === "exact" && !discloses && !opts.receiveProgress && !opts.progress && !opts.ppt && !forwardTimeout) {
      return NO_DETAILS;
    }
    const details: Dict = {};
    // Spec "Pattern-based Registration": the concrete URI MUST be given for pattern matches.
    if (reg.match !== "exact") details["procedure"] = procedure;
    if (discloses) {
      details["caller"] = caller.id;
      if (caller.auth) {
        details["caller_authid"] = caller.auth.authid;
        details["caller_authrole"] = caller.auth.authrole;
      }
    }
    // The spec's newest text has the dealer treat a callee that announces progressive results
    // but not call canceling as not supporting them. autobahn-js callees announce exactly that
    // (and stream with details.progress), and Crossbar forwards receive_progress to them, so
    // Junction follows the clients: the announced feature is what counts.
    if (opts.receiveProgress && callee.hasFeature("callee", "progressive_call_results")) {
      details["receive_progress"] = true;
    }
    if (opts.progress) details["progress"] = true;
    if (opts.ppt) Object.assign(details, opts.ppt);
    if (forwardTimeout) details["timeout"] = opts.timeout;
    return isEmptyDict(details) ? NO_DETAILS : details;
  }

  /** A further CALL chunk with the request id of a call in flight. */
  #continueCall(inv: Invocation, options: Dict, procedure: string, args?: Args, kwargs?: Kwargs): void {
    if (!inv.progressiveInput || !inv.inputOpen) {
      inv.caller.protocolViolation(
        `CALL ${inv.callRequestId} reuses the request id of a call in flight that takes no more input`,
      );
      return;
    }
    if (procedure !== inv.procedure) {
      inv.caller.protocolViolation(`progressive CALL ${inv.callRequestId} changed its procedure`);
      return;
    }
    // Spec: only `progress` of follow-up chunks counts; the other options came with the first.
    const more = options["progress"] === true;
    if (!more) inv.inputOpen = false;
    if (inv.canceling) return;
    const invocation = withPayload4(C.INVOCATION, inv.invocationId, inv.registration.id, more ? { progress: true } : NO_DETAILS, args, kwargs);
    inv.callee.send(invocation, undefined, inv.caller.inboundTail(CALL_FIXED, invocation.length - 4));
  }

  /** YIELD from a callee: a progressive or final result. */
  yield(callee: Session, invocationId: number, options: Dict, args?: Args, kwargs?: Kwargs): void {
    const inv = this.#find(callee, invocationId, "YIELD");
    if (!inv) return;
    const ppt = passthruOptions(options);
    if (ppt.kind !== "none" && !announcesPassthru(callee, "callee")) {
      callee.protocolViolation("ppt_* options from a callee that did not announce payload_passthru_mode");
      return;
    }
    if (ppt.kind === "invalid") {
      callee.send(errorMessage(C.INVOCATION, invocationId, U.E_INVALID_ARGUMENT, ppt.message));
      return;
    }
    if (ppt.kind === "ppt" && !announcesPassthru(inv.caller, "caller")) {
      // Spec "Payload Passthru Mode": an application error; the dealer MUST answer the callee
      // with feature_not_supported. The caller is told too, so its call does not hang.
      this.#finish(inv);
      const why = "the result uses payload passthru mode, which the caller does not support";
      callee.send(errorMessage(C.INVOCATION, invocationId, U.E_FEATURE_NOT_SUPPORTED, why));
      inv.caller.send(errorMessage(C.CALL, inv.callRequestId, U.E_FEATURE_NOT_SUPPORTED, why));
      return;
    }
    if (options["progress"] === true) {
      // Progressive results go only to callers that asked for them (spec leaves the rest
      // open; dropping is what Nexus does and the safest).
      if (!inv.receiveProgress) return;
      this.#armTimeout(inv);
      const details = { ...(ppt.kind === "ppt" ? ppt.details : {}), progress: true };
      const result = withPayload3(C.RESULT, inv.callRequestId, details, args, kwargs);
      const sent = inv.caller.send(result, undefined, callee.inboundTail(YIELD_FIXED, result.length - 3));
      const failure = undeliverable(sent, "the progressive result", "caller");
      if (failure) {
        this.#finish(inv);
        inv.caller.send(errorMessage(C.CALL, inv.callRequestId, failure[0], failure[1]));
      }
      return;
    }
    this.#finish(inv);
    const result = withPayload3(C.RESULT, inv.callRequestId, ppt.kind === "ppt" ? { ...ppt.details } : NO_DETAILS, args, kwargs);
    const sent = inv.caller.send(result, undefined, callee.inboundTail(YIELD_FIXED, result.length - 3));
    const failure = undeliverable(sent, "the result", "caller");
    if (failure) inv.caller.send(errorMessage(C.CALL, inv.callRequestId, failure[0], failure[1]));
  }

  /** ERROR from a callee for an INVOCATION: passed to the caller as an ERROR for its CALL. */
  error(callee: Session, invocationId: number, details: Dict, uri: string, args?: Args, kwargs?: Kwargs): void {
    const inv = this.#find(callee, invocationId, "ERROR");
    if (!inv) return;
    this.#finish(inv);
    const message: unknown[] = [C.ERROR, C.CALL, inv.callRequestId, details, uri];
    const n = appendPayload(message, args, kwargs);
    const sent = inv.caller.send(message, undefined, callee.inboundTail(ERROR_FIXED, n));
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
        `CANCEL mode must be "skip", "kill" or "killnowait", found ${describe(mode)}`,
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
    this.#finish(inv);
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
      for (const reg of [...regs]) this.#removeCallee(reg, session);
    }
    this.#finished.delete(session);
    // As caller: results that arrive later are dropped quietly.
    const asCaller = this.#byCaller.get(session);
    if (asCaller) {
      this.#byCaller.delete(session);
      for (const inv of asCaller.values()) {
        this.#stopTimer(inv);
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
        this.#stopTimer(inv);
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

  // --- helpers ---

  /**
   * Finds the call an answer belongs to. An id above the highest INVOCATION id this callee was
   * ever sent is a protocol violation (spec "Protocol Violations"); an id the callee did
   * receive but that is no longer pending (caller left, canceled, timed out) is ignored.
   */
  #find(callee: Session, invocationId: number, what: string): Invocation | undefined {
    const inv = this.#byCallee.get(callee)?.get(invocationId);
    if (!inv && invocationId > callee.lastInvocationId) {
      callee.protocolViolation(`${what} for INVOCATION ${invocationId}, which this session was never sent`);
    }
    return inv;
  }

  /** Ends a call: forget it on both sides and stop its timer. */
  #finish(inv: Invocation): void {
    this.#stopTimer(inv);
    this.#byCallee.get(inv.callee)?.delete(inv.invocationId);
    this.#byCaller.get(inv.caller)?.delete(inv.callRequestId);
    if (inv.progressiveInput) {
      const done = setOf(this.#finished, inv.caller);
      done.add(inv.callRequestId);
      if (done.size > FINISHED_MEMORY) done.delete(done.values().next().value!);
    }
  }

  /**
   * Spec "Call Timeout", dealer-enforced: on expiry the call is canceled as with `killnowait`
   * (INTERRUPT only to callees that support canceling) and the caller gets
   * `wamp.error.timeout`. With progressive results the time runs between results.
   */
  #armTimeout(inv: Invocation): void {
    // Most calls have no timeout; the timer's closures (and their scope) live in #startTimer,
    // so that such calls allocate nothing here.
    if (inv.timeout > 0) this.#startTimer(inv);
  }

  #startTimer(inv: Invocation): void {
    this.#stopTimer(inv);
    const clock = this.#ctx.clock;
    const deadline = clock.now() + inv.timeout;
    // Timers hold a signed 32-bit delay (~24.8 days); a longer timeout is waited in steps.
    const arm = (): void => {
      inv.timer = clock.setTimer(Math.min(deadline - clock.now(), MAX_TIMER_MS), fire);
    };
    const fire = (): void => {
      inv.timer = undefined;
      if (clock.now() < deadline) return arm();
      if (this.#byCallee.get(inv.callee)?.get(inv.invocationId) !== inv) return;
      this.#finish(inv);
      if (inv.callee.hasFeature("callee", "call_canceling")) {
        inv.callee.send([C.INTERRUPT, inv.invocationId, { mode: "killnowait", reason: U.E_TIMEOUT }]);
      }
      inv.caller.send(errorMessage(C.CALL, inv.callRequestId, U.E_TIMEOUT, `the call timed out after ${inv.timeout} ms`));
    };
    arm();
  }

  #stopTimer(inv: Invocation): void {
    if (inv.timer) this.#ctx.clock.clearTimer(inv.timer);
    inv.timer = undefined;
  }

  #newId(): number {
    for (;;) {
      const id = randomId53(this.#ctx.random);
      if (!this.#table.get(id)) return id;
    }
  }
}

/** Spec "Progressive Call Invocations": the callee needs the feature and call canceling. */
function supportsProgressiveInvocations(callee: Session): boolean {
  return callee.hasFeature("callee", "progressive_call_invocations") && callee.hasFeature("callee", "call_canceling");
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

function tableOf<V>(outer: Map<Session, IdTable<V>>, session: Session): IdTable<V> {
  let t = outer.get(session);
  if (!t) outer.set(session, (t = new IdTable()));
  return t;
}

function setOf<V>(outer: Map<Session, Set<V>>, session: Session): Set<V> {
  let s = outer.get(session);
  if (!s) outer.set(session, (s = new Set()));
  return s;
}

/**
 * Answers a CALL with ERROR. A function of its own rather than a closure in `call`: a closure
 * there would cost every call a function and a scope object, refused or not.
 */
function refuseCall(caller: Session, requestId: number, uri: string, why: string): void {
  caller.send(errorMessage(C.CALL, requestId, uri, why));
}
