/**
 * Names in a realm's security model: authids, group (role) names, authmethods. Reserved names
 * follow Bondy (`bondy_rbac.erl`): `anonymous` is the role of anonymous sessions and cannot be
 * a user or a group someone joins; `all` is kept free for a future "every session" role.
 * @module
 */

import { invalid } from "./errors.ts";

/** The authentication methods a source may allow (WAMP spec "Authentication" names). */
export const AUTHMETHODS = ["anonymous", "ticket", "wampcra", "wamp-scram", "cryptosign"] as const;
export type AuthMethodName = (typeof AUTHMETHODS)[number];

/** Methods a user's credentials can be derived from a password for. */
export const PASSWORD_METHODS = ["ticket", "wampcra", "wamp-scram"] as const;

export const ANONYMOUS = "anonymous";
const RESERVED = new Set([ANONYMOUS, "all"]);

export function isAuthMethod(v: unknown): v is AuthMethodName {
  return typeof v === "string" && (AUTHMETHODS as readonly string[]).includes(v);
}

/**
 * Why a name cannot be an authid or a group, or undefined when it can. Names become storage key
 * components and log fields: no control characters, at most 255 characters, not empty.
 */
export function nameProblem(kind: "authid" | "group", name: unknown): string | undefined {
  if (typeof name !== "string" || name === "") return `${kind} must be a non-empty string`;
  if (name.length > 255) return `${kind} must be at most 255 characters`;
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return `${kind} must not contain control characters`;
  if (RESERVED.has(name)) return `"${name}" is reserved and cannot be a ${kind === "authid" ? "user" : "group"}`;
  return undefined;
}

/** A role a grant may name: a group, "anonymous", or a role asserted by JWT tickets. */
export function roleProblem(role: unknown): string | undefined {
  if (role === ANONYMOUS) return undefined;
  const p = nameProblem("group", role);
  return p?.replace(/^group/, "role");
}

/** A list of group names (a user's or a group's `groups`): valid names, none twice. */
export function groupList(v: unknown): string[] {
  if (!Array.isArray(v)) throw invalid("groups must be a list of group names");
  for (const g of v) {
    const p = nameProblem("group", g);
    if (p) throw invalid(p);
  }
  if (new Set(v).size !== v.length) throw invalid("groups must not name a group twice");
  return v as string[];
}
