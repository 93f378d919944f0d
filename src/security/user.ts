/**
 * Users of a realm: what an admin or the configuration says about one (UserInput, UserChanges),
 * what the store keeps (UserEntry: credentials as derived keys and public keys only), and what
 * the admin API shows (UserView: never a derived key, which for WAMP-CRA is as good as the
 * password).
 * @module
 */
import type { UserCredentials, UserRecord } from "../auth/credentials.ts";
import { type Dict, isDict } from "../wamp/validate.ts";
import { invalid } from "./errors.ts";
import { type AuthMethodName, groupList, isAuthMethod, nameProblem, PASSWORD_METHODS, roleProblem } from "./names.ts";
import type { SecretDeriver } from "./secrets.ts";

/**
 * The authrole of a user with neither a role nor a group. A group of that name, if defined,
 * therefore applies to such users too.
 */
export const DEFAULT_USER_ROLE = "user";

export interface UserEntry {
  readonly authid: string;
  readonly enabled: boolean;
  /** Ordered: the first is the authrole unless `role` is set. */
  readonly groups: readonly string[];
  /** An explicit authrole, overriding the first group. */
  readonly role?: string;
  readonly credentials: UserCredentials;
  readonly metadata?: Dict;
}

export interface UserInput {
  readonly authid: string;
  /** Clear password; only ever passed to the SecretDeriver. */
  readonly password?: string;
  /** Which methods the user may use; default: every method its secrets allow. */
  readonly authmethods?: readonly AuthMethodName[];
  readonly groups: readonly string[];
  readonly role?: string;
  /** Hex Ed25519 public keys (64 hex digits each). */
  readonly cryptosignKeys?: readonly string[];
  readonly enabled: boolean;
  readonly metadata?: Dict;
}

/** A partial update; `null` clears `role` and `metadata`. */
export interface UserChanges {
  readonly password?: string;
  readonly authmethods?: readonly AuthMethodName[];
  readonly groups?: readonly string[];
  readonly role?: string | null;
  readonly cryptosignKeys?: readonly string[];
  readonly enabled?: boolean;
  readonly metadata?: Dict | null;
}

export interface UserView {
  authid: string;
  enabled: boolean;
  authrole: string;
  groups: string[];
  role?: string;
  /** Methods the user holds credentials for. */
  authmethods: string[];
  cryptosignKeys: string[];
  metadata?: Dict;
}

export function authroleOf(u: Pick<UserEntry, "role" | "groups">): string {
  return u.role ?? u.groups[0] ?? DEFAULT_USER_ROLE;
}

/** The authenticators' view of a stored user. */
export function toUserRecord(u: UserEntry): UserRecord {
  return {
    authid: u.authid,
    enabled: u.enabled,
    authrole: authroleOf(u),
    credentials: u.credentials,
    ...(u.metadata ? { metadata: u.metadata } : {}),
  };
}

export function methodsOf(c: UserCredentials): AuthMethodName[] {
  const out: AuthMethodName[] = [];
  if (c.ticket) out.push("ticket");
  if (c.wampcra) out.push("wampcra");
  if (c.scram) out.push("wamp-scram");
  if (c.cryptosign && c.cryptosign.authorizedKeys.length > 0) out.push("cryptosign");
  return out;
}

export function userView(u: UserEntry): UserView {
  return {
    authid: u.authid,
    enabled: u.enabled,
    authrole: authroleOf(u),
    groups: [...u.groups],
    ...(u.role !== undefined ? { role: u.role } : {}),
    authmethods: methodsOf(u.credentials),
    cryptosignKeys: [...(u.credentials.cryptosign?.authorizedKeys ?? [])],
    ...(u.metadata ? { metadata: u.metadata } : {}),
  };
}

// --- credentials ---

/**
 * Credentials for a new user: each password method in `authmethods` (all three by default when
 * a password is given) is derived from the password; cryptosign takes the keys as given.
 */
export async function credentialsFor(input: UserInput, deriver: SecretDeriver): Promise<UserCredentials> {
  const wanted = input.authmethods ?? [
    ...(input.password !== undefined ? PASSWORD_METHODS : []),
    ...(input.cryptosignKeys?.length ? ["cryptosign" as const] : []),
  ];
  const creds = await derive(wanted, input.password, input.cryptosignKeys, {}, deriver);
  if (methodsOf(creds).length === 0) {
    throw invalid(`user "${input.authid}" needs a password or cryptosignKeys to authenticate with`);
  }
  return creds;
}

/**
 * Credentials after an update. A new password re-derives the password methods the user holds
 * (or those named in `authmethods`); `authmethods` without a password may only keep or drop
 * methods the user already has; `cryptosignKeys` replaces the keys.
 */
export async function updatedCredentials(
  current: UserEntry,
  changes: UserChanges,
  deriver: SecretDeriver,
): Promise<UserCredentials> {
  const had = methodsOf(current.credentials);
  const keys = changes.cryptosignKeys ?? current.credentials.cryptosign?.authorizedKeys;
  let wanted: readonly AuthMethodName[];
  if (changes.authmethods) wanted = changes.authmethods;
  else {
    const heldPassword = had.filter((m) => (PASSWORD_METHODS as readonly string[]).includes(m));
    wanted = [
      ...(changes.password !== undefined && heldPassword.length === 0 ? PASSWORD_METHODS : heldPassword),
      ...(keys?.length ? ["cryptosign" as const] : []),
    ];
  }
  const creds = await derive(wanted, changes.password, keys, current.credentials, deriver);
  if (methodsOf(creds).length === 0) {
    throw invalid(`user "${current.authid}" would have no way left to authenticate`);
  }
  return creds;
}

async function derive(
  wanted: readonly AuthMethodName[],
  password: string | undefined,
  keys: readonly string[] | undefined,
  keep: UserCredentials,
  deriver: SecretDeriver,
): Promise<UserCredentials> {
  const need = (m: "ticket" | "wampcra" | "wamp-scram") => {
    if (password === undefined && !keepOf(keep, m)) throw invalid(`authmethod "${m}" needs a password`);
  };
  const out: { -readonly [K in keyof UserCredentials]: UserCredentials[K] } = {};
  for (const m of new Set(wanted)) {
    switch (m) {
      case "ticket":
        need(m);
        out.ticket = password !== undefined ? await deriver.derive(password) : keep.ticket!;
        break;
      case "wampcra":
        need(m);
        out.wampcra = password !== undefined ? await deriver.derive(password) : keep.wampcra!;
        break;
      case "wamp-scram":
        need(m);
        out.scram = password !== undefined ? await deriver.scram(password) : keep.scram!;
        break;
      case "cryptosign":
        if (!keys?.length) throw invalid(`authmethod "cryptosign" needs cryptosignKeys`);
        out.cryptosign = { authorizedKeys: [...keys] };
        break;
      case "anonymous":
        throw invalid(`"anonymous" is not a user authmethod; configure the realm's anonymous role instead`);
    }
  }
  return out;
}

function keepOf(c: UserCredentials, m: "ticket" | "wampcra" | "wamp-scram"): boolean {
  return m === "ticket" ? !!c.ticket : m === "wampcra" ? !!c.wampcra : !!c.scram;
}

// --- parsing untrusted input (admin API calls, configuration) ---

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const FIELDS = ["authid", "password", "authmethods", "groups", "role", "cryptosignKeys", "enabled", "metadata"];

export function parseUserInput(v: unknown): UserInput {
  if (!isDict(v)) throw invalid("a user must be a dict such as {authid, password, groups}");
  unknownKeys(v, FIELDS, "user");
  const authid = v["authid"];
  const p = nameProblem("authid", authid);
  if (p) throw invalid(p);
  const { role, metadata, groups, enabled, ...rest } = parseCommon(v);
  return {
    authid: authid as string,
    ...rest,
    groups: groups ?? [],
    enabled: enabled ?? true,
    // null means "none" in a change; in a new user it is the same as leaving the key out.
    ...(typeof role === "string" ? { role } : {}),
    ...(metadata ? { metadata } : {}),
  };
}

export function parseUserChanges(v: unknown): UserChanges {
  if (!isDict(v)) throw invalid("the changes must be a dict such as {password, groups, enabled}");
  unknownKeys(v, FIELDS.filter((f) => f !== "authid"), "user change");
  return parseCommon(v);
}

function parseCommon(v: Dict): { -readonly [K in keyof UserChanges]: UserChanges[K] } {
  const out: { -readonly [K in keyof UserChanges]: UserChanges[K] } = {};
  if (v["password"] !== undefined) {
    const pw = v["password"];
    if (typeof pw !== "string" || pw === "") throw invalid("password must be a non-empty string");
    out.password = pw;
  }
  if (v["authmethods"] !== undefined) {
    const ms = v["authmethods"];
    if (!Array.isArray(ms) || !ms.every(isAuthMethod)) {
      throw invalid(`authmethods must be a list of ${["ticket", "wampcra", "wamp-scram", "cryptosign"].join(", ")}`);
    }
    out.authmethods = ms;
  }
  if (v["groups"] !== undefined) {
    out.groups = groupList(v["groups"]);
  }
  if (v["role"] !== undefined) {
    const r = v["role"];
    const p = r === null ? undefined : roleProblem(r);
    if (p) throw invalid(p);
    out.role = r as string | null;
  }
  if (v["cryptosignKeys"] !== undefined) {
    const ks = v["cryptosignKeys"];
    if (!Array.isArray(ks) || !ks.every((k) => typeof k === "string" && HEX_KEY.test(k))) {
      throw invalid("cryptosignKeys must be a list of Ed25519 public keys, 64 hex digits each");
    }
    out.cryptosignKeys = [...new Set((ks as string[]).map((k) => k.toLowerCase()))];
  }
  if (v["enabled"] !== undefined) {
    if (typeof v["enabled"] !== "boolean") throw invalid("enabled must be true or false");
    out.enabled = v["enabled"];
  }
  if (v["metadata"] !== undefined) {
    const m = v["metadata"];
    if (m !== null && !isDict(m)) throw invalid("metadata must be a dict");
    out.metadata = m as Dict | null;
  }
  return out;
}

export function unknownKeys(v: Dict, known: readonly string[], what: string): void {
  for (const k of Object.keys(v)) {
    if (!known.includes(k)) throw invalid(`unknown ${what} key "${k}"; expected ${known.join(", ")}`);
  }
}
