/**
 * The security part of the configuration file: `realms[].security`, `admin` and `storage`.
 * Every problem names its key path, whether the schema or a cross-check (groups that exist,
 * cycles, CIDR, URI patterns, credentials for the authmethods, JWT keys) finds it.
 * @module
 */
import assert from "node:assert/strict";
import { test } from "../_support/harness.ts";
import { ConfigError } from "../../src/config/config_error.ts";
import { isSecured, parseConfig } from "../../src/config/load.ts";
import { parseArgs } from "../../src/cli/args.ts";
import { readFileSync } from "node:fs";
import { deriveSecret, scramCredential } from "../../src/auth/derive.ts";
import { MemoryStorage } from "../../src/platform/storage.ts";
import { buildSecurity } from "../../src/security/build.ts";

function problems(doc: unknown): string[] {
  try {
    parseConfig(JSON.stringify(doc), "c.json");
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return [...e.problems];
  }
}

const realm = (security: unknown) => ({ realms: [{ name: "r", security }] });

function expectProblems(doc: unknown, expected: string[]): void {
  const found = problems(doc);
  for (const e of expected) {
    assert.ok(found.some((p) => p.startsWith(`c.json: ${e}`)), `no "${e}" in:\n${found.join("\n")}`);
  }
  assert.equal(found.length, expected.length, found.join("\n"));
}

test("security config: a full secured realm with every authmethod parses", () => {
  const cfg = parseConfig(JSON.stringify({
    realms: [{
      name: "com.example",
      security: {
        users: [
          { authid: "t", password: "ticket-pw", authmethods: ["ticket"], groups: ["dev"] },
          { authid: "c", password: "cra-pw", authmethods: ["wampcra"] },
          { authid: "s", password: "scram-pw", authmethods: ["wamp-scram"], metadata: { team: "x" } },
          { authid: "k", cryptosignKeys: ["0".repeat(64)], role: "device", enabled: false },
        ],
        groups: [{ name: "dev", groups: ["staff"] }, { name: "staff" }],
        grants: [
          { roles: ["dev"], actions: ["call", "register"], uri: "com.example.", match: "prefix" },
          { users: ["k"], actions: ["*"], uri: "com.example..status", match: "wildcard" },
          { roles: ["anonymous"], actions: ["subscribe"], uri: "com.example.public" },
        ],
        sources: [{ cidr: "127.0.0.0/8", authmethods: ["ticket", "wampcra", "wamp-scram", "cryptosign"] }, { cidr: "::1", authmethods: ["anonymous"] }],
        jwt: { algorithm: "HS256", secret: "c2VjcmV0", issuer: "https://issuer", audience: "junction", roleClaim: "role" },
        anonymous: { role: "guest" },
      },
    }],
    storage: { path: "/var/lib/junction/junction.db" },
  }), "c.json");
  assert.equal(isSecured(cfg.realms[0]!), true);
  assert.equal(cfg.realms[0]!.security!.users!.length, 4);
  assert.deepEqual(cfg.storage, { path: "/var/lib/junction/junction.db" });
  assert.equal(cfg.admin, undefined, "absent stays absent");
  assert.equal(isSecured(parseConfig('{"realms": [{"name": "x", "security": {"enabled": false}}]}', "c.json").realms[0]!), false);
  assert.equal(isSecured(parseConfig('{"realms": [{"name": "x"}]}', "c.json").realms[0]!), false);
});

test("security config: schema problems name the key path", () => {
  expectProblems(realm({ users: [{ authid: "a", password: "p", groupz: [] }] }), [
    'realms[0].security.users[0].groupz: unknown key (did you mean "groups"?)',
  ]);
  expectProblems(realm({ users: [{ password: "p" }] }), ["realms[0].security.users[0].authid: missing, expected a non-empty name"]);
  expectProblems(realm({ users: [{ authid: "a", password: "p", authmethods: ["tickett"] }] }), [
    'realms[0].security.users[0].authmethods[0]: expected one of "ticket", "wampcra", "wamp-scram", "cryptosign", found "tickett"',
  ]);
  expectProblems(realm({ users: [{ authid: "a", cryptosignKeys: ["abc"] }] }), [
    'realms[0].security.users[0].cryptosignKeys[0]: expected an Ed25519 public key, 64 hex digits, found "abc"',
  ]);
  expectProblems(realm({ grants: [{ roles: ["x"], actions: ["fly"], uri: "a" }] }), [
    'realms[0].security.grants[0].actions[0]: expected one of "*", "call"',
  ]);
  expectProblems(realm({ grants: [{ roles: ["x"], actions: [], uri: "a" }] }), [
    'realms[0].security.grants[0].actions: expected a non-empty list of "*", "call"',
  ]);
  expectProblems(realm({ grants: [{ roles: ["x"], actions: ["call"], uri: "a", match: "regex" }] }), [
    'realms[0].security.grants[0].match: expected one of "exact", "prefix", "wildcard", found "regex"',
  ]);
  expectProblems(realm({ sources: [{ cidr: "10.0.0.0/8", authmethods: ["password"] }] }), [
    'realms[0].security.sources[0].authmethods[0]: expected one of "anonymous", "ticket"',
  ]);
  expectProblems(realm({ jwt: { algorithm: "none" } }), ['realms[0].security.jwt.algorithm: expected one of "HS256"']);
  expectProblems(realm({ enabled: "yes" }), ['realms[0].security.enabled: expected true or false, found "yes"']);
  expectProblems(realm([]), ["realms[0].security: expected a security object"]);
  expectProblems({ admin: { users: [] } }, ["admin.users: expected a non-empty list of user objects, found a list"]);
  expectProblems({ admin: { realm: "bad realm", users: [{ authid: "a", password: "p" }] } }, ['admin.realm: expected a WAMP URI such as "junction.admin", found "bad realm"']);
  expectProblems({ storage: { path: "" } }, ['storage.path: expected a file path, found ""']);
  expectProblems({ storage: { file: "x" } }, ["storage.file: unknown key"]);
});

test("security config: cross-checks name the key path too", () => {
  expectProblems(realm({
    users: [
      { authid: "a", password: "p", groups: ["nope"] },
      { authid: "a", password: "p" },
      { authid: "anonymous", password: "p" },
      { authid: "b" },
      { authid: "c", authmethods: ["ticket", "cryptosign"] },
    ],
  }), [
    'realms[0].security.users[0].groups[0]: no group "nope" is defined in realms[0].security.groups',
    'realms[0].security.users[1].authid: duplicate user "a", already defined at users[0]',
    'realms[0].security.users[2].authid: "anonymous" is reserved',
    'realms[0].security.users[3]: user "b" needs a password or cryptosignKeys',
    'realms[0].security.users[4].cryptosignKeys: missing, authmethod "cryptosign" needs at least one key',
    'realms[0].security.users[4].password: missing, authmethod "ticket" needs a password',
  ]);
  expectProblems(realm({
    groups: [{ name: "a", groups: ["b"] }, { name: "b", groups: ["a"] }, { name: "c", groups: ["zz"] }, { name: "c" }],
  }), [
    'realms[0].security.groups[0].groups: group "a" cannot join "b": that would make a cycle a -> b -> a',
    'realms[0].security.groups[1].groups: group "b" cannot join "a": that would make a cycle b -> a -> b',
    'realms[0].security.groups[2].groups[0]: no group "zz" is defined',
    'realms[0].security.groups[3].name: duplicate group "c", already defined at groups[2]',
  ]);
  expectProblems(realm({
    grants: [
      { actions: ["call"], uri: "a" },
      { roles: ["x"], actions: ["call"], uri: "a..b" },
      { roles: ["x"], actions: ["call"], uri: "a..b", match: "wildcard" },
      { roles: ["all"], actions: ["call"], uri: "", match: "prefix" },
    ],
  }), [
    "realms[0].security.grants[0]: a grant needs at least one of roles or users",
    'realms[0].security.grants[1].uri: "a..b" is not a valid URI pattern for match "exact"',
    'realms[0].security.grants[3].roles[0]: "all" is reserved',
  ]);
  expectProblems(realm({ sources: [{ cidr: "10.0.0.1/8", authmethods: ["ticket"] }, { cidr: "::1/129", authmethods: ["ticket"] }] }), [
    'realms[0].security.sources[0].cidr: "10.0.0.1/8" has host bits set; the network is 10.0.0.0/8',
    'realms[0].security.sources[1].cidr: the prefix length must be from 0 to 128, found "129"',
  ]);
  expectProblems(realm({ jwt: { algorithm: "HS256" } }), ["realms[0].security.jwt.secret: missing, algorithm HS256 needs the shared secret"]);
  expectProblems(realm({ jwt: { algorithm: "ES256", secret: "x" } }), ["realms[0].security.jwt.publicKey: missing, algorithm ES256 needs a public key"]);
  expectProblems({
    realms: [{ name: "junction.admin" }],
    admin: { users: [{ authid: "root", password: "p", groups: ["ops"] }] },
  }, [
    'admin.users[0].groups[0]: no group "ops" is defined in admin.groups',
    'admin.realm: the admin realm "junction.admin" is already defined at realms[0]',
  ]);
});

test("security config: the admin section's defaults", () => {
  const cfg = parseConfig(JSON.stringify({ admin: { users: [{ authid: "root", password: "p" }, { authid: "ro", password: "q", groups: [] }] } }), "c.json");
  assert.deepEqual(cfg.admin, {
    realm: "junction.admin",
    users: [{ authid: "root", password: "p", groups: ["admin"] }, { authid: "ro", password: "q", groups: [] }],
    groups: [{ name: "admin" }],
    grants: [{ roles: ["admin"], actions: ["call"], uri: "junction.", match: "prefix" }],
    sources: [],
  });
  assert.deepEqual(cfg.realms.map((r) => r.name), ["realm1"], "the embedded default realm stays, open");
  assert.equal(isSecured(cfg.realms[0]!), false);
  const custom = parseConfig(JSON.stringify({
    admin: { realm: "ops.admin", users: [{ authid: "root", password: "p", groups: ["ops"] }], groups: [{ name: "ops" }], grants: [] },
  }), "c.json");
  assert.equal(custom.admin!.realm, "ops.admin");
  assert.deepEqual(custom.admin!.grants, [], "given grants are taken as they are");
});

test("security config: --data names the data file", () => {
  const r = parseArgs(["--data", "/tmp/j.db"]);
  assert.ok(r.ok && r.args.dataPath === "/tmp/j.db");
  const e = parseArgs(["--data"]);
  assert.ok(!e.ok && e.error === "Missing value for --data: expected a file path");
});

test("security config: the example configuration (test/fixtures/security_example.json) is valid and seeds", async () => {
  const text = readFileSync(new URL("../fixtures/security_example.json", import.meta.url), "utf8");
  const cfg = parseConfig(text, "security_example.json");
  const lines: string[] = [];
  const security = await buildSecurity(cfg, new MemoryStorage(), {
    logger: { log: (level, msg) => void lines.push(`${level} ${msg}`) },
    deriver: { derive: (s) => deriveSecret(s, { iterations: 10 }), scram: (p) => scramCredential(p, "pbkdf2", { iterations: 10 }) },
  });
  const rs = security.registry.target("com.example");
  assert.deepEqual(rs.users().map((u) => [u.authid, u.authrole, u.authmethods.join("+")]), [
    ["tina", "dev", "ticket"],
    ["carl", "ops", "wampcra"],
    ["sam", "dev", "wamp-scram"],
    ["sensor-7", "device", "cryptosign"],
    ["ada", "staff", "ticket+wampcra+wamp-scram"],
  ]);
  assert.equal(rs.jwt?.algorithm, "HS256");
  assert.equal(rs.anonymousRole, "anonymous");
  assert.deepEqual(rs.methodsFor("10.1.2.3"), ["ticket", "wamp-scram", "cryptosign"]);
  assert.deepEqual(rs.methodsFor("::ffff:127.0.0.1"), ["anonymous", "ticket", "wampcra", "wamp-scram", "cryptosign"]);
  assert.equal(rs.authorize({ authid: "carl", authrole: "ops", authmethod: "wampcra", authprovider: "static" }, "register", "com.example.dev.x"), true, "carl's second group");
  assert.equal(rs.authorize({ authid: "j", authrole: "editor", authmethod: "ticket", authprovider: "jwt" }, "publish", "com.example.cms.page"), true, "a JWT role");
  assert.deepEqual(security.extraRealms.map((r) => r.name), ["junction.admin"]);
  assert.ok(lines.every((l) => !l.startsWith("warn") && !l.startsWith("error")), lines.join("\n"));
});
