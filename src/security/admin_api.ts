/**
 * The admin API: `junction.realm.*`, `junction.user.*`, `junction.group.*`, `junction.grant.*`
 * and `junction.source.*`, registered in the admin realm by the realm's internal meta session
 * (src/router/meta/meta_client.ts), so calls go through the dealer and the realm's authorizer
 * like any other: only identities with a grant for a procedure may call it. The admin realm is
 * always secured, so anonymous callers and open realms never reach these procedures.
 *
 * Every procedure but `junction.realm.list` takes the target realm's name first. Answers are
 * the changed or requested records; secrets (derived keys, the JWT secret) are never returned.
 * @module
 */
import Value from "typebox/value";
import { JwtSchema } from "../config/security_schema.ts";
import type { JwtTicketSettings } from "../auth/credentials.ts";
import { bind, type MetaCall, MetaError, type MetaHandler, type MetaResult, stringParam } from "../router/meta/call.ts";
import type { MetaClient } from "../router/meta/meta_client.ts";
import { isDict } from "../wamp/validate.ts";
import { invalid, SecurityError } from "./errors.ts";
import { parseGrantSpec } from "./grant.ts";
import { parseGroupChanges, parseGroupInput } from "./group.ts";
import { roleProblem } from "./names.ts";
import type { NewRealmSettings, SecurityRegistry } from "./registry.ts";
import { parseSourceInput } from "./source.ts";
import { parseUserChanges, parseUserInput, unknownKeys } from "./user.ts";

/** The procedures, for grants and documentation. */
export const ADMIN_PROCEDURES = [
  "junction.realm.list",
  "junction.realm.get",
  "junction.realm.add",
  "junction.realm.delete",
  "junction.user.list",
  "junction.user.get",
  "junction.user.add",
  "junction.user.update",
  "junction.user.delete",
  "junction.group.list",
  "junction.group.get",
  "junction.group.add",
  "junction.group.update",
  "junction.group.delete",
  "junction.grant.list",
  "junction.grant.add",
  "junction.grant.revoke",
  "junction.source.list",
  "junction.source.add",
  "junction.source.delete",
] as const;

type Procedure = (typeof ADMIN_PROCEDURES)[number];

/** Registers every admin procedure through `client`, acting on `registry`. */
export function registerAdminApi(client: MetaClient, registry: SecurityRegistry): void {
  const one = (v: unknown): MetaResult => ({ args: [v] });
  const realmOf = (c: MetaCall, params: string[], required: number) => {
    const p = bind(c, ["realm", ...params], required + 1);
    return { p, realm: stringParam(p, "realm") };
  };
  const target = (c: MetaCall, params: string[] = [], required = params.length) => {
    const { p, realm } = realmOf(c, params, required);
    return { p, rs: registry.target(realm) };
  };
  const handlers: Record<Procedure, MetaHandler> = {
    "junction.realm.list": (c) => {
      bind(c, []);
      return one(registry.list());
    },
    "junction.realm.get": (c) => one(registry.info(realmOf(c, [], 0).realm)),
    "junction.realm.add": async (c) => {
      const { p, realm } = realmOf(c, ["settings"], 0);
      return one(await registry.addRealm(realm, realmSettings(p.get("settings"))));
    },
    "junction.realm.delete": async (c) => {
      await registry.deleteRealm(realmOf(c, [], 0).realm);
    },

    "junction.user.list": (c) => one(target(c).rs.users()),
    "junction.user.get": (c) => {
      const { p, rs } = target(c, ["authid"]);
      return one(rs.getUser(stringParam(p, "authid")));
    },
    "junction.user.add": async (c) => {
      const { p, rs } = target(c, ["user"]);
      return one(await rs.addUser(parseUserInput(p.get("user"))));
    },
    "junction.user.update": async (c) => {
      const { p, realm } = realmOf(c, ["authid", "changes"], 0);
      const authid = stringParam(p, "authid");
      const changes = parseUserChanges(p.get("changes"));
      const updated = await registry.target(realm).updateUser(authid, changes);
      if (changes.enabled === false) registry.closeUserSessions(realm, authid);
      return one(updated);
    },
    "junction.user.delete": async (c) => {
      const { p, realm } = realmOf(c, ["authid"], 0);
      const authid = stringParam(p, "authid");
      await registry.target(realm).deleteUser(authid);
      registry.closeUserSessions(realm, authid);
    },

    "junction.group.list": (c) => one(target(c).rs.groups()),
    "junction.group.get": (c) => {
      const { p, rs } = target(c, ["name"]);
      return one(rs.getGroup(stringParam(p, "name")));
    },
    "junction.group.add": async (c) => {
      const { p, rs } = target(c, ["group"]);
      return one(await rs.addGroup(parseGroupInput(p.get("group"))));
    },
    "junction.group.update": async (c) => {
      const { p, rs } = target(c, ["name", "changes"]);
      return one(await rs.updateGroup(stringParam(p, "name"), parseGroupChanges(p.get("changes"))));
    },
    "junction.group.delete": async (c) => {
      const { p, rs } = target(c, ["name"]);
      await rs.deleteGroup(stringParam(p, "name"));
    },

    "junction.grant.list": (c) => one(target(c).rs.grants()),
    "junction.grant.add": async (c) => {
      const { p, rs } = target(c, ["grant"]);
      return one(await rs.addGrant(parseGrantSpec(p.get("grant"))));
    },
    "junction.grant.revoke": async (c) => {
      const { p, rs } = target(c, ["grant"]);
      return one(await rs.revokeGrant(parseGrantSpec(p.get("grant"))));
    },

    "junction.source.list": (c) => one(target(c).rs.sources()),
    "junction.source.add": async (c) => {
      const { p, rs } = target(c, ["source"]);
      return one(await rs.addSource(parseSourceInput(p.get("source"))));
    },
    "junction.source.delete": async (c) => {
      const { p, rs } = target(c, ["cidr"]);
      const cidr = parseSourceInput({ cidr: stringParam(p, "cidr"), authmethods: ["ticket"] }).cidr;
      await rs.deleteSource(cidr);
    },
  };
  for (const name of ADMIN_PROCEDURES) client.register(name, asMeta(handlers[name]));
}

/** SecurityErrors become ERROR with their URI; anything else is the meta client's runtime_error. */
function asMeta(h: MetaHandler): MetaHandler {
  const convert = (e: unknown): never => {
    throw e instanceof SecurityError ? new MetaError(e.uri, e.message) : e;
  };
  return (c) => {
    try {
      const out = h(c);
      return out instanceof Promise ? out.catch(convert) : out;
    } catch (e) {
      return convert(e);
    }
  };
}

/** `junction.realm.add`'s optional settings: `{jwt?, anonymous?: {role}}`. */
function realmSettings(v: unknown): NewRealmSettings {
  if (v === undefined) return {};
  if (!isDict(v)) throw invalid("settings must be a dict such as {jwt, anonymous}");
  unknownKeys(v, ["jwt", "anonymous"], "realm setting");
  const out: { jwt?: JwtTicketSettings; anonymous?: { role: string } } = {};
  if (v["jwt"] !== undefined) {
    const jwt = v["jwt"];
    if (!Value.Check(JwtSchema, jwt)) throw invalid("jwt must be {algorithm, secret | publicKey, issuer?, audience?, roleClaim?}");
    const hmac = jwt.algorithm.startsWith("HS");
    if (hmac ? jwt.secret === undefined : jwt.publicKey === undefined) {
      throw invalid(`jwt: algorithm ${jwt.algorithm} needs ${hmac ? "a secret" : "a publicKey"}`);
    }
    out.jwt = jwt as JwtTicketSettings;
  }
  if (v["anonymous"] !== undefined) {
    const a = v["anonymous"];
    const role = isDict(a) ? a["role"] : undefined;
    const p = roleProblem(role);
    if (!isDict(a) || p) throw invalid(`anonymous must be {role}: ${p ?? "a dict"}`);
    out.anonymous = { role: role as string };
  }
  return out;
}
