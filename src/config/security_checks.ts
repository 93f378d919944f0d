/**
 * Checks of the security sections that a schema cannot express: names defined once, groups
 * that exist, no group cycles, valid CIDR ranges and URI patterns, credentials that fit the
 * authmethods, JWT keys that fit the algorithm. Each problem names its key path, as schema
 * problems do. A section is checked only once it passed the schema, so these checks can trust
 * its shape.
 * @module
 */
import Value from "typebox/value";
import { parseCidr } from "../security/cidr.ts";
import { SecurityError } from "../security/errors.ts";
import { patternProblem } from "../security/grant.ts";
import { refuseCycle } from "../security/group.ts";
import { nameProblem, roleProblem } from "../security/names.ts";
import { formatPath, valueAt } from "./describe.ts";
import { AdminSchema, adminWithDefaults, type GrantConfig, type GroupConfig, SecuritySchema, type SourceConfig, type UserConfig } from "./security_schema.ts";

interface Section {
  users?: UserConfig[];
  groups?: GroupConfig[];
  grants?: GrantConfig[];
  sources?: SourceConfig[];
  jwt?: { algorithm: string; secret?: string; publicKey?: unknown };
}

/** Every problem of every security section and of the admin section in `doc`. */
export function securityProblems(doc: unknown): string[] {
  const problems: string[] = [];
  const realms = valueAt(doc, ["realms"]);
  const realmAt = new Map<string, number>();
  if (Array.isArray(realms)) {
    realms.forEach((r: unknown, i) => {
      const name = valueAt(r, ["name"]);
      if (typeof name === "string" && !realmAt.has(name)) realmAt.set(name, i);
      const sec = valueAt(r, ["security"]);
      if (sec !== undefined && Value.Check(SecuritySchema, sec)) {
        problems.push(...sectionProblems(["realms", String(i), "security"], sec as Section));
      }
    });
  }
  const admin = valueAt(doc, ["admin"]);
  if (admin !== undefined && Value.Check(AdminSchema, admin)) {
    const filled = adminWithDefaults(admin);
    problems.push(...sectionProblems(["admin"], filled));
    const clash = realmAt.get(filled.realm);
    if (clash !== undefined) {
      problems.push(`${formatPath(["admin", "realm"])}: the admin realm "${filled.realm}" is already defined at realms[${clash}]; name another`);
    }
  }
  return problems;
}

function sectionProblems(at: string[], s: Section): string[] {
  const out: string[] = [];
  const say = (path: string[], text: string) => out.push(`${formatPath([...at, ...path])}: ${text}`);
  const groups = s.groups ?? [];
  const groupAt = new Map<string, number>();
  groups.forEach((g, i) => {
    const p = nameProblem("group", g.name);
    if (p) say(["groups", String(i), "name"], p);
    const first = groupAt.get(g.name);
    if (first !== undefined) say(["groups", String(i), "name"], `duplicate group "${g.name}", already defined at groups[${first}]`);
    else groupAt.set(g.name, i);
  });
  const parentsOf = (g: string) => {
    const i = groupAt.get(g);
    return i === undefined ? undefined : groups[i]!.groups;
  };
  groups.forEach((g, i) => {
    (g.groups ?? []).forEach((parent, j) => {
      if (!groupAt.has(parent)) say(["groups", String(i), "groups", String(j)], `no group "${parent}" is defined in ${formatPath([...at, "groups"])}`);
    });
    try {
      refuseCycle(g.name, g.groups ?? [], parentsOf);
    } catch (e) {
      if (!(e instanceof SecurityError)) throw e;
      say(["groups", String(i), "groups"], e.message);
    }
  });

  const userAt = new Map<string, number>();
  (s.users ?? []).forEach((u, i) => {
    const path = ["users", String(i)];
    const p = nameProblem("authid", u.authid);
    if (p) say([...path, "authid"], p);
    const first = userAt.get(u.authid);
    if (first !== undefined) say([...path, "authid"], `duplicate user "${u.authid}", already defined at users[${first}]`);
    else userAt.set(u.authid, i);
    (u.groups ?? []).forEach((g, j) => {
      if (!groupAt.has(g)) say([...path, "groups", String(j)], `no group "${g}" is defined in ${formatPath([...at, "groups"])}`);
    });
    const keys = u.cryptosignKeys ?? [];
    const methods = u.authmethods ?? [
      ...(u.password !== undefined ? ["ticket", "wampcra", "wamp-scram"] : []),
      ...(keys.length > 0 ? ["cryptosign"] : []),
    ];
    if (methods.length === 0) say(path, `user "${u.authid}" needs a password or cryptosignKeys to authenticate with`);
    for (const m of methods) {
      if (m === "cryptosign" && keys.length === 0) say([...path, "cryptosignKeys"], `missing, authmethod "cryptosign" needs at least one key`);
      if (m !== "cryptosign" && u.password === undefined) say([...path, "password"], `missing, authmethod "${m}" needs a password`);
    }
  });

  (s.grants ?? []).forEach((g, i) => {
    const path = ["grants", String(i)];
    if ((g.roles?.length ?? 0) + (g.users?.length ?? 0) === 0) say(path, "a grant needs at least one of roles or users");
    (g.roles ?? []).forEach((r, j) => {
      const p = roleProblem(r);
      if (p) say([...path, "roles", String(j)], p);
    });
    const p = patternProblem(g.uri, g.match ?? "exact");
    if (p) say([...path, "uri"], p);
  });

  (s.sources ?? []).forEach((src, i) => {
    const r = parseCidr(src.cidr);
    if (typeof r === "string") say(["sources", String(i), "cidr"], r);
  });

  if (s.jwt) {
    const hmac = s.jwt.algorithm.startsWith("HS");
    if (hmac && s.jwt.secret === undefined) say(["jwt", "secret"], `missing, algorithm ${s.jwt.algorithm} needs the shared secret`);
    if (!hmac && s.jwt.publicKey === undefined) say(["jwt", "publicKey"], `missing, algorithm ${s.jwt.algorithm} needs a public key`);
  }
  return out;
}
