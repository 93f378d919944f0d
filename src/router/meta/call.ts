/**
 * What a meta procedure sees of an INVOCATION, what it may answer, and the argument checks the
 * meta procedures share. Failures are thrown as MetaError and become an ERROR for the call.
 * @module
 */
import type { Action } from "../../auth/authorizer.ts";
import type { Session } from "../../session/session.ts";
import { isReservedUri, isValidUri, type MatchPolicy } from "../../wamp/uri_check.ts";
import { matchPolicyOf } from "../pattern_index.ts";
import * as U from "../../wamp/uris.ts";
import { type Dict, isDict, isId } from "../../wamp/validate.ts";

/** Spec "Session Meta API" error for unknown (or the caller's own) session ids. */
export const E_NO_SUCH_SESSION = "wamp.error.no_such_session";
/** What autobahn and Crossbar answer when a procedure fails unexpectedly. */
export const E_RUNTIME_ERROR = "wamp.error.runtime_error";

export interface MetaCall {
  /**
   * The caller's session id from INVOCATION.Details.caller (spec "Caller Identification"; the
   * meta session registers with disclose_caller), or undefined when the dealer did not say.
   */
  readonly caller: number | undefined;
  readonly args: readonly unknown[];
  readonly kwargs: Dict;
}

/** A procedure's answer: positional and keyword results, or nothing. */
export interface MetaResult {
  readonly args?: unknown[];
  readonly kwargs?: Dict;
}

/**
 * Whether the realm's authorization lets a session do something. The meta session itself is
 * never checked, so meta procedures that act for a caller on a URI of the caller's choosing
 * (testaments publish, event history reads a topic) ask this for the caller.
 */
export type Permission = (session: Session, action: Action, uri: string) => boolean;

export type MetaHandler = (call: MetaCall) => MetaResult | void | Promise<MetaResult | void>;

export class MetaError extends Error {
  readonly uri: string;
  constructor(uri: string, message: string) {
    super(message);
    this.uri = uri;
  }
}

export function invalidArgument(message: string): MetaError {
  return new MetaError(U.E_INVALID_ARGUMENT, message);
}

/**
 * Binds positional and keyword arguments to parameter names, as Crossbar's Python procedures
 * do: the spec shows some parameters as keyword arguments (`reason`, `scope`) and others as
 * positional, and clients pass either. Too many positional arguments, an unknown keyword, a
 * parameter given both ways, or a missing required one is `wamp.error.invalid_argument`. A
 * null counts as absent.
 */
export function bind(call: MetaCall, params: readonly string[], required = 0): Map<string, unknown> {
  if (call.args.length > params.length) {
    throw invalidArgument(
      `expected at most ${params.length} positional argument(s) (${params.join(", ")}), found ${call.args.length}`,
    );
  }
  const out = new Map<string, unknown>();
  call.args.forEach((v, i) => {
    if (v !== null) out.set(params[i]!, v);
  });
  for (const [k, v] of Object.entries(call.kwargs)) {
    if (!params.includes(k)) throw invalidArgument(`unknown keyword argument "${k}"; expected ${params.join(", ")}`);
    if (params.indexOf(k) < call.args.length) throw invalidArgument(`"${k}" was given both positionally and as a keyword`);
    if (v !== null) out.set(k, v);
  }
  for (const p of params.slice(0, required)) {
    if (!out.has(p)) throw invalidArgument(`missing required argument "${p}"`);
  }
  return out;
}

export function idParam(p: Map<string, unknown>, name: string): number {
  const v = p.get(name);
  if (!isId(v)) throw invalidArgument(`"${name}" must be an id (integer from 1 to 2^53), found ${describe(v)}`);
  return v;
}

export function stringParam(p: Map<string, unknown>, name: string): string {
  const v = p.get(name);
  if (typeof v !== "string") throw invalidArgument(`"${name}" must be a string, found ${describe(v)}`);
  return v;
}

export function optionalStringParam(p: Map<string, unknown>, name: string): string | undefined {
  return p.has(name) ? stringParam(p, name) : undefined;
}

export function optionalDictParam(p: Map<string, unknown>, name: string): Dict | undefined {
  const v = p.get(name);
  if (v === undefined) return undefined;
  if (!isDict(v)) throw invalidArgument(`"${name}" must be a dict, found ${describe(v)}`);
  return v;
}

export function optionalStringListParam(p: Map<string, unknown>, name: string): string[] | undefined {
  const v = p.get(name);
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
    throw invalidArgument(`"${name}" must be a list of strings, found ${describe(v)}`);
  }
  return v as string[];
}

/**
 * A close or revocation reason. Spec "Session Meta API" (kill*): a reason that is not a valid
 * non-empty URI is `wamp.error.invalid_uri`. Reasons are checked by the loose rules whatever the
 * realm's URI check, which governs topics and procedures.
 */
export function optionalReasonParam(p: Map<string, unknown>, name = "reason"): string | undefined {
  const v = p.get(name);
  if (v === undefined) return undefined;
  if (typeof v !== "string" || !isValidUri(v, "loose")) {
    throw new MetaError(U.E_INVALID_URI, `"${name}" must be a valid URI, found ${typeof v === "string" ? `"${v}"` : describe(v)}`);
  }
  return v;
}

/** The caller's session id; procedures that act on "the caller" cannot work without it. */
export function callerOf(call: MetaCall): number {
  if (call.caller === undefined) {
    throw new MetaError(E_RUNTIME_ERROR, "the router did not disclose the caller of this meta procedure");
  }
  return call.caller;
}

/** Milliseconds since the epoch as the ISO 8601 string the meta API reports (`created`). */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (v instanceof Uint8Array) return "binary";
  if (typeof v === "string") return `the string "${v.length > 40 ? v.slice(0, 40) + "…" : v}"`;
  if (typeof v === "number") return `the number ${v}`;
  if (typeof v === "object") return "a dict";
  return typeof v;
}

/**
 * Whether the registration and subscription meta APIs show a URI. Those on the reserved
 * `wamp.*` namespace (the meta API's own procedures, subscriptions to meta events) are left out
 * of lists, look-ups and events, as Crossbar does for its protected URIs: a monitor subscribed to
 * `wamp.subscription.on_create` then never hears about itself.
 */
export function isShown(uri: string): boolean {
  return !isReservedUri(uri);
}

/** `wamp.registration.list` / `wamp.subscription.list`: the shown ids, grouped by match policy. */
export function idsByMatch(items: Iterable<{ id: number; uri: string; match: MatchPolicy }>): Record<MatchPolicy, number[]> {
  const lists: Record<MatchPolicy, number[]> = { exact: [], prefix: [], wildcard: [] };
  for (const it of items) if (isShown(it.uri)) lists[it.match].push(it.id);
  return lists;
}

/**
 * The arguments of `wamp.registration.lookup` / `wamp.subscription.lookup`: the URI and the
 * match policy from the options (as in REGISTER/SUBSCRIBE).
 */
export function lookupParams(call: MetaCall, uriParam: string): { uri: string; match: MatchPolicy } {
  const p = bind(call, [uriParam, "options"], 1);
  const uri = stringParam(p, uriParam);
  const match = matchPolicyOf(optionalDictParam(p, "options") ?? {});
  if (!match) throw invalidArgument(`"options.match" must be "exact", "prefix" or "wildcard"`);
  return { uri, match };
}
