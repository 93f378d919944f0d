/**
 * What the router must do with one inbound message, from the client's side of the spec's
 * session state chart. The model knows only what a client can know (what it sent and what it
 * was sent), so for some messages it can only say "anything well formed"; where it can say
 * more (a violation, a WELCOME, a GOODBYE reply, no ABORT) the fuzzer holds the router to it.
 * @module
 */
import { CLIENT_ROLES } from "../../src/wamp/features.ts";
import { isDict, validateClientMessage } from "../../src/wamp/validate.ts";

export type Phase = "new" | "joined" | "killed" | "over";

export const E_PV = "wamp.error.protocol_violation";
export const GOODBYE_AND_OUT = "wamp.close.goodbye_and_out";

/** ABORT reasons the spec (or the router's documented limits) name for a refused or ended session. */
export function isAllowedAbortReason(reason: unknown): boolean {
  return reason === E_PV || reason === "wamp.error.invalid_uri" || reason === "wamp.error.no_such_realm" ||
    (typeof reason === "string" && reason.startsWith("junction.error.limit."));
}

/** Realms the fuzz router has (strict.realm checks request id sequence and URIs strictly). */
export const OPEN_REALMS: ReadonlySet<string> = new Set(["realm1", "strict.realm"]);

export class ConnModel {
  phase: Phase = "new";
  realm: string | undefined;
  sessionId = 0;
  /** Next request id `Ref("next")` hands out; request ids used so far. */
  nextRequest = 1;
  readonly requests: number[] = [];
  /** The router's view of the highest request id of this session (spec "IDs"). */
  lastRequestId = 0;
  /** Highest INVOCATION id received in this session, and all of them. */
  maxInvocation = 0;
  readonly invocations: number[] = [];
  /** INVOCATION ids answered with a final YIELD or ERROR by an "answer" step. */
  readonly answered = new Set<number>();
  /** CALL request ids sent and not yet answered with a final RESULT or ERROR. */
  readonly inflightCalls = new Set<number>();
  /** A progressive call invocation was started: CALL ids may legitimately repeat. */
  progressUsed = false;
  /** How many of the connection's received messages the model has looked at. */
  seen = 0;

  joined(sessionId: number, realm: string): void {
    this.phase = "joined";
    this.sessionId = sessionId;
    this.realm = realm;
    this.lastRequestId = 0;
    this.maxInvocation = 0;
    this.invocations.length = 0;
    this.answered.clear();
    this.inflightCalls.clear();
    this.progressUsed = false;
  }
}

/**
 * - violation: exactly one ABORT wamp.error.protocol_violation, then the transport closes;
 * - violation-or-nothing: that, or no answer at all (an id the client cannot know is stale);
 * - silent-close: no answer, the transport closes (ABORT from the client);
 * - welcome / hello-refused: WELCOME, or ABORT with a spec-named reason and a close;
 * - goodbye: GOODBYE goodbye_and_out first, the transport stays open;
 * - ignored: no answer, transport open;
 * - no-abort: no ABORT and no close (other answers are free);
 * - any: only the generic rules (well-formed output, nothing after ABORT, ...).
 */
export type Expect =
  | "violation"
  | "violation-or-nothing"
  | "silent-close"
  | "welcome"
  | "hello-refused"
  | "goodbye"
  | "ignored"
  | "no-abort"
  | "any";

const REQUESTS = new Set([16, 32, 34, 48, 64, 66]);

/** The success answer of each request type that is answered at once (spec "Message Codes"). */
const SUCCESS: ReadonlyMap<number, number> = new Map([[16, 17], [32, 33], [34, 35], [64, 65], [66, 67]]);

/**
 * A request the router must answer in the same step, exactly once, with its success message or
 * ERROR (or, for an unacknowledged PUBLISH, must not answer at all).
 */
export interface Answer {
  readonly type: number;
  readonly success: number;
  readonly requestId: number;
  readonly required: boolean;
}

/** The answer rule for a well-formed request in realm1 (undefined: none applies). */
export function answerFor(model: ConnModel, value: unknown, expect: Expect): Answer | undefined {
  if (expect !== "no-abort" || model.realm !== "realm1") return undefined;
  const m = value as unknown[];
  const type = m[0] as number;
  const success = SUCCESS.get(type);
  if (success === undefined) return undefined;
  const required = type !== 16 || (m[2] as Record<string, unknown>)["acknowledge"] === true;
  return { type, success, requestId: m[1] as number, required };
}

/** Why `fresh` (the client's new messages) breaks the answer rule, or undefined. */
export function answerProblem(a: Answer, fresh: readonly unknown[][]): string | undefined {
  const answers = fresh.filter((m) =>
    (m[0] === a.success && m[1] === a.requestId) || (m[0] === 8 && m[1] === a.type && m[2] === a.requestId)
  );
  if (a.required && answers.length !== 1) return `expected one answer to request ${a.requestId}, got ${answers.length}`;
  if (!a.required && answers.length !== 0) return `an unacknowledged PUBLISH ${a.requestId} was answered`;
  return undefined;
}
const PPT_KEYS = ["ppt_scheme", "ppt_serializer", "ppt_cipher", "ppt_keyid"];

function rolesOk(details: Record<string, unknown>): boolean {
  const roles = details["roles"];
  if (!isDict(roles)) return false;
  if (!CLIENT_ROLES.some((r) => isDict(roles[r]))) return false;
  return CLIENT_ROLES.every((r) => roles[r] === undefined || isDict(roles[r]));
}

/** The expectation for a message as the router decoded it (`undefined`: it did not decode). */
export function expectFor(model: ConnModel, decoded: { value: unknown } | undefined): Expect {
  if (model.phase === "over") return "ignored";
  if (decoded === undefined) return "violation";
  if (validateClientMessage(decoded.value) !== undefined) return "violation";
  const m = decoded.value as unknown[];
  const code = m[0] as number;
  if (model.phase === "killed") return code === 6 || code === 3 ? "silent-close" : "ignored";
  if (code === 3) return "silent-close";
  if (model.phase === "new") {
    if (code !== 1) return "violation";
    return OPEN_REALMS.has(m[1] as string) && rolesOk(m[2] as Record<string, unknown>) ? "welcome" : "hello-refused";
  }
  // joined
  const strict = model.realm !== "realm1";
  const opts = (m[2] ?? {}) as Record<string, unknown>;
  switch (code) {
    case 1:
    case 5:
      return "violation";
    case 6:
      return "goodbye";
    case 8:
      if (m[1] !== 68) return "violation";
      return (m[2] as number) > model.maxInvocation ? "violation-or-nothing" : "any";
    case 70:
      return (m[1] as number) > model.maxInvocation ? "violation-or-nothing" : "any";
    case 49: {
      const mode = opts["mode"] ?? undefined; // the router reads a null mode as the default
      const validMode = mode === undefined || mode === "skip" || mode === "kill" || mode === "killnowait";
      if (!validMode) return "no-abort";
      return (m[1] as number) > model.lastRequestId ? "violation" : "no-abort";
    }
    case 16:
      if (strict || PPT_KEYS.some((k) => opts[k] !== undefined)) return "any";
      return "no-abort";
    case 48:
      if (strict || model.progressUsed || model.inflightCalls.has(m[1] as number)) return "any";
      if (opts["progress"] !== undefined || PPT_KEYS.some((k) => opts[k] !== undefined)) return "any";
      return "no-abort";
    default:
      return strict ? "any" : "no-abort";
  }
}

/** Updates the model for a message the router accepted for processing (before its answers). */
export function noteSent(model: ConnModel, value: unknown): void {
  if (model.phase !== "joined" || validateClientMessage(value) !== undefined) return;
  const m = value as unknown[];
  const code = m[0] as number;
  if (!REQUESTS.has(code)) return;
  const id = m[1] as number;
  if (id > model.lastRequestId) model.lastRequestId = id;
  if (code === 48) {
    model.inflightCalls.add(id);
    if ((m[2] as Record<string, unknown>)["progress"] !== undefined) model.progressUsed = true;
  }
}

/** Updates the model from one message the router sent to this client. */
export function noteReceived(model: ConnModel, m: unknown[], clientSaidGoodbye: boolean): void {
  switch (m[0]) {
    case 2:
      model.joined(m[1] as number, String(model.realm));
      return;
    case 3:
      model.phase = "over";
      return;
    case 6:
      // The reply to the client's GOODBYE, or the router ending the session (wamp.session.kill).
      if (model.phase === "joined") model.phase = clientSaidGoodbye && m[2] === GOODBYE_AND_OUT ? "new" : "killed";
      return;
    case 68:
      if ((m[1] as number) > model.maxInvocation) model.maxInvocation = m[1] as number;
      model.invocations.push(m[1] as number);
      return;
    case 50:
      if ((m[2] as Record<string, unknown>)["progress"] !== true) model.inflightCalls.delete(m[1] as number);
      return;
    case 8:
      if (m[1] === 48) model.inflightCalls.delete(m[2] as number);
      return;
  }
}
