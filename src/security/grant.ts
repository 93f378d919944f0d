/**
 * Grants: a principal (a role, i.e. a group name, "anonymous" or a role asserted by a JWT; or a
 * single user by authid) may perform some actions on the URIs a pattern matches (Bondy's
 * `{roles, permissions, resources}`, with the WAMP match policies exact, prefix and wildcard).
 *
 * Grants are kept per (principal, match, uri) with the set of actions as a bit mask: granting
 * adds actions, revoking removes them, and a record with no action left is gone. That makes a
 * grant and its revocation exact inverses whatever the order they were issued in.
 * @module
 */
import type { Action } from "../auth/authorizer.ts";
import { isValidUri, type MatchPolicy } from "../wamp/uri_check.ts";
import { isDict } from "../wamp/validate.ts";
import { invalid } from "./errors.ts";
import { nameProblem, roleProblem } from "./names.ts";
import { unknownKeys } from "./user.ts";

export type GrantAction = Action | "*";

export const ACTIONS: readonly Action[] = ["call", "cancel", "register", "unregister", "publish", "subscribe", "unsubscribe"];

export const ACTION_BIT: Readonly<Record<Action, number>> = {
  call: 1,
  cancel: 2,
  register: 4,
  unregister: 8,
  publish: 16,
  subscribe: 32,
  unsubscribe: 64,
};
export const ALL_ACTIONS = 127;

export interface Principal {
  readonly kind: "role" | "user";
  readonly name: string;
}

export interface GrantEntry {
  readonly principal: Principal;
  readonly uri: string;
  readonly match: MatchPolicy;
  /** Bit mask of ACTION_BIT. */
  readonly actions: number;
}

/** What "grant" and "revoke" take: several principals, several actions, one URI pattern. */
export interface GrantSpec {
  readonly roles: readonly string[];
  readonly users: readonly string[];
  readonly actions: number;
  readonly uri: string;
  readonly match: MatchPolicy;
}

export interface GrantView {
  role?: string;
  user?: string;
  uri: string;
  match: MatchPolicy;
  actions: string[];
}

/** One entry per principal of the spec. */
export function expandGrant(spec: GrantSpec): GrantEntry[] {
  const at = (kind: Principal["kind"]) => (name: string): GrantEntry => ({
    principal: { kind, name },
    uri: spec.uri,
    match: spec.match,
    actions: spec.actions,
  });
  return [...spec.roles.map(at("role")), ...spec.users.map(at("user"))];
}

/** Identity of a grant record: principal and pattern (NUL cannot occur in a name or URI). */
export function grantKey(e: Pick<GrantEntry, "principal" | "uri" | "match">): string {
  return `${e.principal.kind}\u0000${e.principal.name}\u0000${e.match}\u0000${e.uri}`;
}

export function actionNames(mask: number): string[] {
  if ((mask & ALL_ACTIONS) === ALL_ACTIONS) return ["*"];
  return ACTIONS.filter((a) => (mask & ACTION_BIT[a]) !== 0);
}

export function actionMask(actions: readonly GrantAction[]): number {
  let m = 0;
  for (const a of actions) m |= a === "*" ? ALL_ACTIONS : ACTION_BIT[a];
  return m;
}

export function grantView(e: GrantEntry): GrantView {
  return {
    ...(e.principal.kind === "role" ? { role: e.principal.name } : { user: e.principal.name }),
    uri: e.uri,
    match: e.match,
    actions: actionNames(e.actions),
  };
}

/**
 * Why a URI pattern cannot be granted on, or undefined. Patterns follow the loose URI rules of
 * their match policy; the empty prefix ("" with match "prefix") matches every URI.
 */
export function patternProblem(uri: unknown, match: MatchPolicy): string | undefined {
  if (typeof uri !== "string") return "uri must be a string";
  if (match === "prefix" && uri === "") return undefined;
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(uri) || !isValidUri(uri, "loose", match)) {
    return `"${uri}" is not a valid URI pattern for match "${match}"`;
  }
  return undefined;
}

export function isGrantAction(v: unknown): v is GrantAction {
  return v === "*" || (typeof v === "string" && (ACTIONS as readonly string[]).includes(v));
}

// --- parsing untrusted input ---

export function parseGrantSpec(v: unknown): GrantSpec {
  if (!isDict(v)) throw invalid("a grant must be a dict such as {roles, actions, uri, match}");
  unknownKeys(v, ["roles", "users", "actions", "uri", "match"], "grant");
  const roles = nameList(v["roles"], "roles", roleProblem);
  const users = nameList(v["users"], "users", (n) => nameProblem("authid", n));
  if (roles.length + users.length === 0) throw invalid("a grant needs at least one of roles or users");
  const acts = v["actions"];
  if (!Array.isArray(acts) || acts.length === 0 || !acts.every(isGrantAction)) {
    throw invalid(`actions must be a non-empty list of "*", ${ACTIONS.map((a) => `"${a}"`).join(", ")}`);
  }
  const match = v["match"] ?? "exact";
  if (match !== "exact" && match !== "prefix" && match !== "wildcard") {
    throw invalid(`match must be one of "exact", "prefix", "wildcard"`);
  }
  const p = patternProblem(v["uri"], match);
  if (p) throw invalid(p);
  return { roles, users, actions: actionMask(acts), uri: v["uri"] as string, match };
}

function nameList(v: unknown, key: string, problem: (n: unknown) => string | undefined): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw invalid(`${key} must be a list of names`);
  for (const n of v) {
    const p = problem(n);
    if (p) throw invalid(`${key}: ${p}`);
  }
  return [...new Set(v as string[])];
}
