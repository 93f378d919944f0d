/**
 * The configuration file as a security model, and the rule between the two:
 *
 * - The store wins. A realm's model is written from the configuration only when the store has
 *   none for that realm (first start, or a new realm in the file). Passwords are derived then,
 *   and only the derived keys are stored.
 * - After that, the file is never applied again: changes made through the admin API survive
 *   restarts. At every start the file is compared with the store, and each difference is
 *   logged as a warning (passwords cannot be compared, as only salted keys are kept). To
 *   apply a changed file, make the same change through the admin API, or delete the realm's
 *   model (junction.realm.delete for realms added at run time; a fresh data file otherwise).
 * @module
 */
import type { Logger } from "../platform/logger.ts";
import type { GrantConfig, GroupConfig, SecurityConfig, SourceConfig, UserConfig } from "../config/security_schema.ts";
import { actionMask, actionNames, expandGrant, type GrantAction, type GrantEntry, grantKey } from "./grant.ts";
import type { GroupEntry } from "./group.ts";
import type { ModelSnapshot, RealmOrigin, RealmSettings } from "./model.ts";
import { PASSWORD_METHODS } from "./names.ts";
import type { RealmSecurity } from "./realm_security.ts";
import type { SecretDeriver } from "./secrets.ts";
import { parseSourceInput, type SourceEntry } from "./source.ts";
import { credentialsFor, methodsOf, parseUserInput, type UserEntry, type UserInput } from "./user.ts";

/** A security section with every list present: a realm's `security`, or the filled `admin`. */
export interface SecuritySection {
  users?: UserConfig[];
  groups?: GroupConfig[];
  grants?: GrantConfig[];
  sources?: SourceConfig[];
  jwt?: SecurityConfig["jwt"];
  anonymous?: SecurityConfig["anonymous"];
}

export function settingsFrom(name: string, origin: RealmOrigin, s: SecuritySection): RealmSettings {
  return {
    name,
    origin,
    ...(s.jwt ? { jwt: s.jwt } : {}),
    ...(s.anonymous ? { anonymous: { role: s.anonymous.role } } : {}),
  };
}

/** The model a section describes, with every password derived (the slow part of seeding). */
export async function snapshotFrom(
  name: string,
  origin: RealmOrigin,
  s: SecuritySection,
  deriver: SecretDeriver,
): Promise<ModelSnapshot> {
  const users: UserEntry[] = [];
  for (const u of s.users ?? []) {
    const input = parseUserInput(u);
    users.push({
      authid: input.authid,
      enabled: input.enabled,
      groups: [...input.groups],
      ...(input.role !== undefined ? { role: input.role } : {}),
      credentials: await credentialsFor(input, deriver),
      ...(input.metadata ? { metadata: input.metadata } : {}),
    });
  }
  return {
    settings: settingsFrom(name, origin, s),
    users,
    groups: groupsFrom(s),
    grants: [...grantsFrom(s).values()],
    sources: sourcesFrom(s),
  };
}

/**
 * Loads a configured realm's model, or seeds it from the section when the store has none.
 * @returns whether it was seeded
 */
export async function loadOrSeed(
  rs: RealmSecurity,
  origin: RealmOrigin,
  s: SecuritySection,
  deriver: SecretDeriver,
  logger: Logger,
): Promise<boolean> {
  if (await rs.load()) {
    const diffs = differences(rs.snapshot()!, s);
    if (diffs.length > 0) {
      logger.log("warn", "the configuration differs from the stored security model; the stored model is used", {
        realm: rs.realm,
        differences: diffs.length > 20 ? [...diffs.slice(0, 20), `... and ${diffs.length - 20} more`] : diffs,
        hint: "make the change through the admin API (junction.*); the file only seeds a realm whose model is not stored yet",
      });
    }
    return false;
  }
  await rs.seed(await snapshotFrom(rs.realm, origin, s, deriver));
  logger.log("info", "security model seeded from the configuration", {
    realm: rs.realm,
    users: s.users?.length ?? 0,
    groups: s.groups?.length ?? 0,
    grants: s.grants?.length ?? 0,
    sources: s.sources?.length ?? 0,
  });
  return true;
}

/** How the stored model differs from what the section says, one sentence each. */
export function differences(stored: ModelSnapshot, s: SecuritySection): string[] {
  const out: string[] = [];
  const only = (where: "configuration" | "store", what: string) => out.push(`${what}: only in the ${where}`);

  const storedUsers = new Map(stored.users.map((u) => [u.authid, u]));
  const configUsers = new Map((s.users ?? []).map((u) => [u.authid, parseUserInput(u)]));
  for (const [authid, c] of configUsers) {
    const u = storedUsers.get(authid);
    if (!u) only("configuration", `user "${authid}"`);
    else out.push(...userDifferences(u, c));
  }
  for (const authid of storedUsers.keys()) if (!configUsers.has(authid)) only("store", `user "${authid}"`);

  const storedGroups = new Map(stored.groups.map((g) => [g.name, g]));
  const configGroups = new Map(groupsFrom(s).map((g) => [g.name, g]));
  for (const [name, c] of configGroups) {
    const g = storedGroups.get(name);
    if (!g) only("configuration", `group "${name}"`);
    else {
      if (!sameList(g.groups, c.groups)) out.push(`group "${name}": member of ${list(c.groups)} in the configuration, ${list(g.groups)} in the store`);
      if (!sameJson(g.metadata, c.metadata)) out.push(`group "${name}": metadata differs`);
    }
  }
  for (const name of storedGroups.keys()) if (!configGroups.has(name)) only("store", `group "${name}"`);

  const storedGrants = new Map(stored.grants.map((g) => [grantKey(g), g]));
  const configGrants = grantsFrom(s);
  for (const [key, c] of configGrants) {
    const g = storedGrants.get(key);
    if (!g) only("configuration", grantText(c));
    else if (g.actions !== c.actions) out.push(`${grantText(c)}: actions ${list(actionNames(g.actions))} in the store`);
  }
  for (const [key, g] of storedGrants) if (!configGrants.has(key)) only("store", grantText(g));

  const storedSources = new Map(stored.sources.map((x) => [x.cidr, x]));
  const configSources = new Map(sourcesFrom(s).map((x) => [x.cidr, x]));
  for (const [cidr, c] of configSources) {
    const x = storedSources.get(cidr);
    if (!x) only("configuration", `source ${cidr}`);
    else if (!sameList(x.authmethods, c.authmethods)) out.push(`source ${cidr}: authmethods ${list(c.authmethods)} in the configuration, ${list(x.authmethods)} in the store`);
  }
  for (const cidr of storedSources.keys()) if (!configSources.has(cidr)) only("store", `source ${cidr}`);

  if (!sameJson(stored.settings.jwt, s.jwt)) out.push("jwt settings differ");
  if (stored.settings.anonymous?.role !== s.anonymous?.role) {
    out.push(`anonymous role: ${s.anonymous?.role ?? "none"} in the configuration, ${stored.settings.anonymous?.role ?? "none"} in the store`);
  }
  return out;
}

function userDifferences(u: UserEntry, c: UserInput): string[] {
  const out: string[] = [];
  const at = `user "${u.authid}"`;
  if (u.enabled !== c.enabled) out.push(`${at}: enabled is ${c.enabled} in the configuration, ${u.enabled} in the store`);
  if (!sameList(u.groups, c.groups)) out.push(`${at}: groups ${list(c.groups)} in the configuration, ${list(u.groups)} in the store`);
  if (u.role !== c.role) out.push(`${at}: role ${c.role ?? "none"} in the configuration, ${u.role ?? "none"} in the store`);
  const wanted = c.authmethods ?? [
    ...(c.password !== undefined ? PASSWORD_METHODS : []),
    ...(c.cryptosignKeys?.length ? ["cryptosign" as const] : []),
  ];
  const held = methodsOf(u.credentials);
  if (!sameSet(held, wanted)) out.push(`${at}: authmethods ${list(wanted)} in the configuration, ${list(held)} in the store`);
  if (!sameSet(u.credentials.cryptosign?.authorizedKeys ?? [], c.cryptosignKeys ?? [])) out.push(`${at}: cryptosignKeys differ`);
  if (!sameJson(u.metadata, c.metadata)) out.push(`${at}: metadata differs`);
  return out;
}

function groupsFrom(s: SecuritySection): GroupEntry[] {
  return (s.groups ?? []).map((g) => ({ name: g.name, groups: [...(g.groups ?? [])], ...(g.metadata ? { metadata: g.metadata } : {}) }));
}

/** Grants merged per principal and pattern, as the store keeps them. */
function grantsFrom(s: SecuritySection): Map<string, GrantEntry> {
  const out = new Map<string, GrantEntry>();
  for (const g of s.grants ?? []) {
    const spec = {
      roles: g.roles ?? [],
      users: g.users ?? [],
      actions: actionMask(g.actions as GrantAction[]),
      uri: g.uri,
      match: g.match ?? "exact",
    };
    for (const e of expandGrant(spec)) {
      const key = grantKey(e);
      const had = out.get(key);
      out.set(key, had ? { ...e, actions: had.actions | e.actions } : e);
    }
  }
  return out;
}

function sourcesFrom(s: SecuritySection): SourceEntry[] {
  const out = new Map<string, SourceEntry>();
  for (const src of s.sources ?? []) {
    const e = parseSourceInput(src);
    const had = out.get(e.cidr);
    // Two entries for one range in the file: their methods add up.
    out.set(e.cidr, had ? parseSourceInput({ cidr: e.cidr, authmethods: [...had.authmethods, ...e.authmethods] }) : e);
  }
  return [...out.values()];
}

function grantText(g: GrantEntry): string {
  return `grant to ${g.principal.kind} "${g.principal.name}" of ${list(actionNames(g.actions))} on "${g.uri}" (${g.match})`;
}

function list(xs: readonly string[]): string {
  return `[${xs.join(", ")}]`;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

/** Key order does not matter; JSON text of the keys-sorted value is compared. */
function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === "object" && !Array.isArray(x) && !(x instanceof Uint8Array)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x) ?? "undefined";
}

