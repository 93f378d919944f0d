/**
 * The per-realm security model (src/security/): nested groups and cycles, grants with each
 * match policy and each action, sources over IPv4 and IPv6, persistence through Storage
 * (write first, then memory), seeding from the configuration (the store wins), and the whole
 * thing in a Router: users authenticate with derived credentials, the admin API changes the
 * model over WAMP, and `junction.*` is closed to clients.
 * @module
 */
import assert from "node:assert/strict";
import { test } from "../_support/harness.ts";
import { ALL_ROLES, MemoryClient } from "../_support/memory_client.ts";
import { FakeClock } from "../_support/fake_clock.ts";
import type { Identity } from "../../src/auth/types.ts";
import { deriveSecret, scramCredential, scramKeys, scramSaltedPassword } from "../../src/auth/derive.ts";
import { decodeBase64, encodeBase64, hmacSha256, utf8 } from "../../src/auth/crypto.ts";
import { realmAuthenticator } from "../../src/auth/policy.ts";
import { clientProof, crossbarAuthMessage, serverSignature, specAuthMessage } from "../../src/auth/scram_math.ts";
import { FailureThrottle } from "../../src/auth/throttle.ts";
import { parseConfig, toRouterOptions } from "../../src/config/load.ts";
import type { LogFields, Logger, LogLevel } from "../../src/platform/logger.ts";
import { MemoryStorage, type Storage, type StorageKey } from "../../src/platform/storage.ts";
import { SeededRandom } from "../_support/seeded_random.ts";
import { Router } from "../../src/router/router.ts";
import { cidrContains, parseCidr } from "../../src/security/cidr.ts";
import { buildSecurity } from "../../src/security/build.ts";
import { defaultDeriver } from "../../src/security/defaults.ts";
import { ACTIONS, parseGrantSpec } from "../../src/security/grant.ts";
import { parseGroupInput } from "../../src/security/group.ts";
import { emptySnapshot, type ModelSnapshot } from "../../src/security/model.ts";
import { RealmSecurity } from "../../src/security/realm_security.ts";
import type { SecretDeriver } from "../../src/security/secrets.ts";
import { parseSourceInput } from "../../src/security/source.ts";
import { parseUserInput } from "../../src/security/user.ts";

/** Real derivations with cheap parameters: the model's tests are not about KDF cost. */
const cheap: SecretDeriver = {
  derive: (s) => deriveSecret(s, { iterations: 10 }),
  scram: (p) => scramCredential(p, "pbkdf2", { iterations: 10 }),
};

async function fresh(storage: Storage = new MemoryStorage(), realm = "r1"): Promise<RealmSecurity> {
  const rs = new RealmSecurity(storage, realm, cheap);
  await rs.seed(emptySnapshot({ name: realm, origin: "admin" }));
  return rs;
}

const who = (authid: string, authrole: string, authmethod = "ticket"): Identity => ({
  authid,
  authrole,
  authmethod,
  authprovider: "static",
});

async function rejects(p: Promise<unknown>, uri: string, text?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.equal((e as { uri?: string }).uri, uri, String(e));
    if (text) assert.match((e as Error).message, text);
    return true;
  });
}

class MemoryLog implements Logger {
  readonly lines: { level: LogLevel; msg: string; fields?: LogFields }[] = [];
  log(level: LogLevel, msg: string, fields?: LogFields): void {
    this.lines.push({ level, msg, ...(fields ? { fields } : {}) });
  }
}

// --- groups ---

test("security: groups nest, membership is transitive, and cycles are refused", async () => {
  const rs = await fresh();
  await rs.addGroup(parseGroupInput({ name: "staff" }));
  await rs.addGroup(parseGroupInput({ name: "dev", groups: ["staff"] }));
  await rs.addGroup(parseGroupInput({ name: "intern", groups: ["dev"] }));
  await rejects(rs.addGroup(parseGroupInput({ name: "x", groups: ["nope"] })), "junction.error.no_such_group");
  await rejects(rs.updateGroup("staff", { groups: ["intern"] }), "junction.error.group_cycle", /staff -> intern -> dev -> staff/);
  await rejects(rs.updateGroup("staff", { groups: ["staff"] }), "junction.error.group_cycle");
  await rejects(rs.addGroup(parseGroupInput({ name: "dev" })), "junction.error.already_exists");
  assert.deepEqual(rs.getGroup("staff").groups, [], "a refused change changes nothing");

  await rs.addGrant(parseGrantSpec({ roles: ["staff"], actions: ["call"], uri: "com.staff.", match: "prefix" }));
  await rs.addUser(parseUserInput({ authid: "ivy", password: "pw-ivy", groups: ["intern"] }));
  assert.equal(rs.user("ivy")?.authrole, "intern", "authrole: the first group");
  assert.equal(rs.authorize(who("ivy", "intern"), "call", "com.staff.lunch"), true, "intern -> dev -> staff");
  assert.equal(rs.authorize(who("ivy", "intern"), "publish", "com.staff.lunch"), false);

  await rejects(rs.deleteGroup("dev"), "junction.error.in_use", /user "ivy"|group "intern"/);
  await rs.updateUser("ivy", { groups: [] });
  assert.equal(rs.user("ivy")?.authrole, "user", "no group, no role: the default authrole");
  assert.equal(rs.authorize(who("ivy", "user"), "call", "com.staff.lunch"), false, "membership gone, grant gone");
  await rs.deleteGroup("intern");
  await rs.deleteGroup("dev");
  await rejects(rs.deleteGroup("dev"), "junction.error.no_such_group");
});

test("security: reserved names cannot be users or groups", () => {
  assert.throws(() => parseUserInput({ authid: "anonymous", password: "x" }), /reserved/);
  assert.throws(() => parseGroupInput({ name: "all" }), /reserved/);
  assert.throws(() => parseUserInput({ authid: "a\u0000b", password: "x" }), /control/);
});

// --- grants ---

const PATTERNS = [
  { match: "exact", uri: "com.app.proc", yes: ["com.app.proc"], no: ["com.app.proc2", "com.app", "com.app.proc.x"] },
  { match: "prefix", uri: "com.app.", yes: ["com.app.a", "com.app.a.b"], no: ["com.apps", "com.other.a", "com.app"] },
  { match: "wildcard", uri: "com..proc", yes: ["com.a.proc", "com.b.proc"], no: ["com.a.b.proc", "com.a.other", "org.a.proc"] },
] as const;

test("security: a grant allows exactly its action on the URIs its pattern matches", async () => {
  for (const action of ACTIONS) {
    for (const pat of PATTERNS) {
      const rs = await fresh();
      const id = who("bob", "dev");
      for (const u of pat.yes) assert.equal(rs.authorize(id, action, u), false, `no grant: ${action} ${u}`);
      await rs.addGrant(parseGrantSpec({ roles: ["dev"], actions: [action], uri: pat.uri, match: pat.match }));
      for (const u of pat.yes) assert.equal(rs.authorize(id, action, u), true, `${action} ${pat.match} ${pat.uri} on ${u}`);
      for (const u of pat.no) assert.equal(rs.authorize(id, action, u), false, `${action} ${pat.match} ${pat.uri} not on ${u}`);
      for (const other of ACTIONS.filter((a) => a !== action)) {
        assert.equal(rs.authorize(id, other, pat.yes[0]), false, `${action} does not allow ${other}`);
      }
      assert.equal(rs.authorize(who("eve", "ops"), action, pat.yes[0]), false, "another role");
    }
  }
});

test("security: '*' allows every action; the empty prefix every URI; revoking removes actions", async () => {
  const rs = await fresh();
  await rs.addGrant(parseGrantSpec({ roles: ["root"], actions: ["*"], uri: "", match: "prefix" }));
  for (const a of ACTIONS) assert.equal(rs.authorize(who("x", "root"), a, "any.thing"), true);
  await rs.addGrant(parseGrantSpec({ roles: ["dev"], actions: ["call", "publish"], uri: "com.a" }));
  await rs.addGrant(parseGrantSpec({ roles: ["dev"], actions: ["subscribe"], uri: "com.a" }));
  assert.deepEqual(rs.grants().find((g) => g.role === "dev")?.actions, ["call", "publish", "subscribe"], "merged per pattern");
  const left = await rs.revokeGrant(parseGrantSpec({ roles: ["dev"], actions: ["publish"], uri: "com.a" }));
  assert.deepEqual(left, [{ role: "dev", uri: "com.a", match: "exact", actions: ["call", "subscribe"] }]);
  assert.equal(rs.authorize(who("x", "dev"), "publish", "com.a"), false);
  assert.equal(rs.authorize(who("x", "dev"), "call", "com.a"), true);
  await rs.revokeGrant(parseGrantSpec({ roles: ["dev"], actions: ["*"], uri: "com.a" }));
  assert.equal(rs.grants().some((g) => g.role === "dev"), false, "a grant with no action left is gone");
  await rejects(rs.revokeGrant(parseGrantSpec({ roles: ["dev"], actions: ["call"], uri: "com.a" })), "junction.error.no_such_grant");
  assert.throws(() => parseGrantSpec({ actions: ["call"], uri: "a" }), /roles or users/);
  assert.throws(() => parseGrantSpec({ roles: ["x"], actions: ["fly"], uri: "a" }), /actions/);
  assert.throws(() => parseGrantSpec({ roles: ["x"], actions: ["call"], uri: "a..b" }), /not a valid URI pattern/);
});

test("security: a session's cached authorization follows changes to grants, groups and users", async () => {
  const rs = await fresh();
  await rs.addGroup(parseGroupInput({ name: "dev" }));
  await rs.addUser(parseUserInput({ authid: "al", password: "pw", groups: ["dev"] }));
  const session = who("al", "dev");
  assert.equal(rs.authorize(session, "call", "a.b"), false);
  await rs.addGrant(parseGrantSpec({ roles: ["dev"], actions: ["call"], uri: "a.b" }));
  assert.equal(rs.authorize(session, "call", "a.b"), true, "granted");
  await rs.updateUser("al", { enabled: false });
  assert.equal(rs.authorize(session, "call", "a.b"), false, "disabled");
  await rs.updateUser("al", { enabled: true });
  assert.equal(rs.authorize(session, "call", "a.b"), true);
  await rs.revokeGrant(parseGrantSpec({ roles: ["dev"], actions: ["call"], uri: "a.b" }));
  assert.equal(rs.authorize(session, "call", "a.b"), false, "revoked");
});

test("security: grants by authid; anonymous sessions get role grants only; disabled users get nothing", async () => {
  const rs = await fresh();
  await rs.addUser(parseUserInput({ authid: "carol", password: "pw-carol", role: "viewer" }));
  await rs.addGrant(parseGrantSpec({ users: ["carol"], actions: ["register"], uri: "com.carol.", match: "prefix" }));
  await rs.addGrant(parseGrantSpec({ roles: ["anonymous"], actions: ["subscribe"], uri: "com.public.", match: "prefix" }));
  await rs.addGrant(parseGrantSpec({ roles: ["guest"], actions: ["call"], uri: "com.public.time" }));
  assert.equal(rs.user("carol")?.authrole, "viewer", "an explicit role wins over groups");
  assert.equal(rs.authorize(who("carol", "viewer"), "register", "com.carol.x"), true);
  assert.equal(rs.authorize(who("carol", "guest", "anonymous"), "register", "com.carol.x"), false, "an anonymous 'carol' is not carol");
  assert.equal(rs.authorize(who("anonymous-1", "guest", "anonymous"), "subscribe", "com.public.news"), true);
  assert.equal(rs.authorize(who("anonymous-1", "guest", "anonymous"), "call", "com.public.time"), true, "its role's grants");
  assert.equal(rs.authorize(who("carol", "viewer"), "subscribe", "com.public.news"), false, "'anonymous' is not everyone");
  await rs.updateUser("carol", { enabled: false });
  assert.equal(rs.authorize(who("carol", "viewer"), "register", "com.carol.x"), false, "disabled");
  await rs.deleteUser("carol");
  assert.equal(rs.grants().some((g) => g.user === "carol"), false, "a user's own grants go with it");
  assert.throws(() => rs.getUser("carol"), /no user/);
});

// --- users and credentials ---

test("security: users keep derived keys and public keys only; views show no secret", async () => {
  const rs = await fresh();
  const key = "a".repeat(64);
  const view = await rs.addUser(parseUserInput({ authid: "dan", password: "correct horse", cryptosignKeys: [key.toUpperCase()] }));
  assert.deepEqual(view.authmethods, ["ticket", "wampcra", "wamp-scram", "cryptosign"]);
  assert.deepEqual(view.cryptosignKeys, [key], "keys lower-cased");
  const stored = JSON.stringify(rs.snapshot());
  assert.ok(!stored.includes("correct horse"), "no clear password anywhere in the model");
  assert.ok(!JSON.stringify(view).includes(rs.user("dan")!.credentials.ticket!.derivedKey), "no derived key in views");
  const onlyCra = await rs.addUser(parseUserInput({ authid: "eli", password: "pw", authmethods: ["wampcra"] }));
  assert.deepEqual(onlyCra.authmethods, ["wampcra"]);
  await rejects(rs.addUser(parseUserInput({ authid: "fay", authmethods: ["ticket"] })), "wamp.error.invalid_argument", /needs a password/);
  await rejects(rs.addUser(parseUserInput({ authid: "gus" })), "wamp.error.invalid_argument", /needs a password or cryptosignKeys/);
  await rejects(rs.addUser(parseUserInput({ authid: "dan", password: "x" })), "junction.error.already_exists");
  const before = rs.user("eli")!.credentials.wampcra!;
  await rs.updateUser("eli", { password: "new" });
  assert.notEqual(rs.user("eli")!.credentials.wampcra!.derivedKey, before.derivedKey, "a new password re-derives");
  assert.deepEqual(rs.getUser("eli").authmethods, ["wampcra"], "the same methods as before");
  await rs.updateUser("dan", { cryptosignKeys: [] });
  assert.deepEqual(rs.getUser("dan").authmethods, ["ticket", "wampcra", "wamp-scram"]);
});

// --- WAMP-SCRAM: keys for both dialects ---

/** As the default deriver (convention "both", Argon2id), with cheap parameters. */
const ARGON = { iterations: 2, memory: 64 };
const bothDialects: SecretDeriver = { ...cheap, scram: (p) => scramCredential(p, "argon2id13", { ...ARGON, convention: "both" }) };

/** The credential `password` gives under `convention` with the stored credential's salt. */
const rederive = (password: string, salt: string, convention: "spec" | "autobahn") =>
  scramCredential(password, "argon2id13", { ...ARGON, salt, convention });

test("security: a password gives WAMP-SCRAM keys for both dialects, one salt; stored, loaded, kept and re-derived", async () => {
  const storage = new MemoryStorage();
  const a = new RealmSecurity(storage, "r1", bothDialects);
  await a.seed(emptySnapshot({ name: "r1", origin: "admin" }));
  await a.addUser(parseUserInput({ authid: "sam", password: "sam-pw", authmethods: ["wamp-scram"] }));
  const c = a.user("sam")!.credentials.scram!;
  const spec = await rederive("sam-pw", c.salt, "spec");
  const autobahn = await rederive("sam-pw", c.salt, "autobahn");
  assert.deepEqual(c, { ...spec, autobahn: { storedKey: autobahn.storedKey, serverKey: autobahn.serverKey } });
  assert.deepEqual(a.getUser("sam").authmethods, ["wamp-scram"], "still one method to the admin API");
  assert.ok(!JSON.stringify(a.getUser("sam")).includes(c.autobahn!.storedKey), "no key in views");

  // Stored as part of the user record, and read back.
  const raw = new TextDecoder().decode((await storage.get(["security", "r1", "user", "sam"]))!);
  assert.ok(raw.includes(`"autobahn":{"storedKey":"${c.autobahn!.storedKey}","serverKey":"${c.autobahn!.serverKey}"}`), raw);
  const b = new RealmSecurity(storage, "r1", bothDialects);
  assert.equal(await b.load(), true);
  assert.deepEqual(b.user("sam")!.credentials, a.user("sam")!.credentials);

  // Changes without a password keep them; a new password re-derives both, with a new salt.
  await b.updateUser("sam", { enabled: false, metadata: { note: "x" } });
  await b.updateUser("sam", { authmethods: ["wamp-scram"], enabled: true });
  assert.deepEqual(b.user("sam")!.credentials.scram, c);
  await b.updateUser("sam", { password: "new-pw" });
  const n = b.user("sam")!.credentials.scram!;
  assert.notEqual(n.salt, c.salt);
  assert.equal(n.autobahn!.storedKey, (await rederive("new-pw", n.salt, "autobahn")).storedKey);
  assert.equal(n.storedKey, (await rederive("new-pw", n.salt, "spec")).storedKey);

  // The production deriver does the same with its defaults (one Argon2id run at 19 MiB).
  const d = await defaultDeriver().scram("correct horse");
  assert.deepEqual([d.kdf, d.iterations, d.memory], ["argon2id13", 2, 19_456]);
  assert.ok(d.autobahn && d.autobahn.storedKey !== d.storedKey && d.autobahn.serverKey !== d.serverKey);
});

/** HELLO with a SCRAM dialect, the client's proof, and the final message (WELCOME or ABORT). */
async function scramJoin(router: Router, realm: string, authid: string, password: string, dialect: "wamp-scram" | "scram") {
  const c = new MemoryClient(router);
  const nonce = encodeBase64(new Uint8Array(16).fill(9));
  c.send([1, realm, { roles: ALL_ROLES, authmethods: [dialect], authid, authextra: dialect === "scram" ? { nonce } : { nonce, channel_binding: null } }]);
  await settle(c);
  const ch = c.take();
  if (ch[0] !== 4) return ch;
  const e = ch[2] as Record<string, string | number>;
  const parts = { authid, clientNonce: nonce, combinedNonce: String(e.nonce), salt: String(e.salt), iterations: Number(e.iterations), cbindName: null, cbindData: null };
  // autobahn-python forms SaltedPassword its own way; a spec client follows the spec.
  const salted = await scramSaltedPassword(password, "argon2id13", decodeBase64(String(e.salt)), Number(e.iterations), Number(e.memory), dialect === "scram" ? "autobahn" : "spec");
  const keys = await scramKeys(salted);
  const am = dialect === "scram" ? crossbarAuthMessage(parts) : specAuthMessage(parts);
  const proof = encodeBase64(await clientProof(keys.clientKey, keys.storedKey, am));
  c.send([5, proof, dialect === "scram" ? {} : { nonce: e.nonce, channel_binding: null, cbind_data: null }]);
  await settle(c);
  const final = c.take();
  if (final[0] === 2) {
    const sig = encodeBase64(await serverSignature(keys.serverKey, am));
    assert.equal((final[2] as { authextra: Record<string, unknown> }).authextra["scram_server_signature"], sig, "the client can check the server");
  }
  return final;
}

test("security: a user stored without the autobahn keys (before they existed) loads and logs in with wamp-scram", async () => {
  const storage = new MemoryStorage();
  const old = await scramCredential("old-pw", "argon2id13", { ...ARGON, random: new SeededRandom(3) });
  assert.equal(old.autobahn, undefined);
  // Records as an earlier version wrote them (format 1, the credential without `autobahn`).
  const put = (key: string[], record: object) => storage.set(["security", "r1", ...key], utf8(JSON.stringify([{ v: 1, ...record }])));
  await put(["user", "olga"], { authid: "olga", enabled: true, groups: [], credentials: { scram: old } });
  await put(["realm"], { name: "r1", origin: "admin" });
  const rs = new RealmSecurity(storage, "r1", bothDialects);
  assert.equal(await rs.load(), true);
  assert.deepEqual(rs.user("olga")!.credentials, { scram: old });
  assert.deepEqual(rs.getUser("olga").authmethods, ["wamp-scram"]);

  const clock = new FakeClock();
  const random = new SeededRandom(4);
  const router = new Router({
    realms: [{ name: "r1", authenticator: realmAuthenticator(rs, { random, clock, throttle: new FailureThrottle(clock) }), authorizer: rs }],
    clock,
    random,
  });
  await router.ready();
  const spec = await scramJoin(router, "r1", "olga", "old-pw", "wamp-scram");
  assert.equal(spec[0], 2, JSON.stringify(spec));
  assert.deepEqual([(spec[2] as Identity).authid, (spec[2] as Identity).authmethod], ["olga", "wamp-scram"]);
  // autobahn-python's AuthScram needs the keys such a record lacks, as before.
  assert.equal((await scramJoin(router, "r1", "olga", "old-pw", "scram"))[2], "wamp.error.authentication_failed");
  // Once the password is set again, both dialects work.
  await rs.updateUser("olga", { password: "new-pw" });
  assert.ok(rs.user("olga")!.credentials.scram!.autobahn);
  assert.equal((await scramJoin(router, "r1", "olga", "new-pw", "scram"))[0], 2);
  assert.equal((await scramJoin(router, "r1", "olga", "new-pw", "wamp-scram"))[0], 2);
  assert.equal((await scramJoin(router, "r1", "olga", "old-pw", "scram"))[2], "wamp.error.authentication_failed");
  assert.equal((await scramJoin(router, "r1", "ghost", "old-pw", "scram"))[2], "wamp.error.authentication_failed");
});

// --- sources ---

test("security: CIDR ranges over IPv4, IPv6 and IPv4-mapped IPv6", () => {
  const r = (t: string) => {
    const c = parseCidr(t);
    if (typeof c === "string") throw new Error(c);
    return c;
  };
  assert.equal(r("10.0.0.0/8").text, "10.0.0.0/8");
  assert.equal(r("2001:DB8:0:0::/32").text, "2001:db8::/32");
  assert.equal(r("::ffff:127.0.0.0/104").text, "127.0.0.0/8", "a mapped range is the IPv4 range");
  assert.equal(r("192.168.1.7").text, "192.168.1.7/32");
  assert.match(parseCidr("10.0.0.1/8") as string, /host bits/);
  assert.match(parseCidr("10.0.0.0/33") as string, /prefix length/);
  assert.match(parseCidr("10.0.0/8") as string, /not an IPv4 or IPv6/);
  assert.match(parseCidr("1::2::3/64") as string, /not an IPv4 or IPv6/);
  assert.equal(cidrContains(r("127.0.0.0/8"), "127.0.0.1"), true);
  assert.equal(cidrContains(r("127.0.0.0/8"), "::ffff:127.0.0.1"), true, "IPv4-mapped IPv6");
  assert.equal(cidrContains(r("127.0.0.0/8"), "::ffff:7f00:1"), true, "mapped, in hex");
  assert.equal(cidrContains(r("127.0.0.0/8"), "128.0.0.1"), false);
  assert.equal(cidrContains(r("127.0.0.0/8"), "::1"), false);
  assert.equal(cidrContains(r("::1/128"), "::1"), true);
  assert.equal(cidrContains(r("::1/128"), "[::1]"), true);
  assert.equal(cidrContains(r("fe80::/10"), "fe80::1%eth0"), true);
  assert.equal(cidrContains(r("fe80::/10"), "fec0::1"), false);
  assert.equal(cidrContains(r("10.1.2.0/23"), "10.1.3.255"), true);
  assert.equal(cidrContains(r("10.1.2.0/23"), "10.1.4.0"), false);
  assert.equal(cidrContains(r("0.0.0.0/0"), "8.8.8.8"), true);
  assert.equal(cidrContains(r("0.0.0.0/0"), "2001:db8::1"), false, "all of IPv4 is not IPv6");
  assert.equal(cidrContains(r("::/0"), "8.8.8.8"), true, "all of IPv6 includes mapped IPv4");
  assert.equal(cidrContains(r("10.0.0.0/8"), "not an address"), false);
});

test("security: sources decide the authmethods per client address", async () => {
  const rs = await fresh();
  assert.deepEqual(rs.methodsFor("203.0.113.9"), ["ticket", "wampcra", "wamp-scram", "cryptosign"], "no sources: any method but anonymous");
  await rs.addSource(parseSourceInput({ cidr: "127.0.0.0/8", authmethods: ["ticket", "wampcra"] }));
  await rs.addSource(parseSourceInput({ cidr: "::1/128", authmethods: ["cryptosign"] }));
  await rs.addSource(parseSourceInput({ cidr: "10.0.0.0/8", authmethods: ["wamp-scram", "anonymous"] }));
  assert.deepEqual(rs.methodsFor("127.0.0.1"), ["ticket", "wampcra"]);
  assert.deepEqual(rs.methodsFor("::ffff:127.0.0.1"), ["ticket", "wampcra"], "dual-stack form of an IPv4 client");
  assert.deepEqual(rs.methodsFor("::1"), ["cryptosign"]);
  assert.deepEqual(rs.methodsFor("10.9.8.7"), ["wamp-scram"], "anonymous only where the realm allows anonymous");
  assert.deepEqual(rs.methodsFor("192.0.2.1"), []);
  assert.deepEqual(rs.methodsFor(undefined), [], "unknown address: only catch-all ranges");
  await rs.addSource(parseSourceInput({ cidr: "0.0.0.0/0", authmethods: ["ticket"] }));
  assert.deepEqual(rs.methodsFor("192.0.2.1"), ["ticket"]);
  assert.deepEqual(rs.methodsFor(undefined), ["ticket"]);
  await rs.addSource(parseSourceInput({ cidr: "127.0.0.0/8", authmethods: ["cryptosign"] }));
  assert.deepEqual(rs.methodsFor("127.0.0.1"), ["ticket", "cryptosign"], "same range: replaced (and 0.0.0.0/0 adds ticket)");
  await rs.deleteSource("::1/128");
  assert.deepEqual(rs.methodsFor("::1"), []);
  await rejects(rs.deleteSource("::1/128"), "junction.error.no_such_source");
  assert.throws(() => parseSourceInput({ cidr: "10.0.0.1/8", authmethods: ["ticket"] }), /host bits/);
});

// --- persistence ---

test("security: every change is in storage; a new RealmSecurity over the same storage sees it", async () => {
  const storage = new MemoryStorage();
  const a = await fresh(storage);
  await a.addGroup(parseGroupInput({ name: "staff" }));
  await a.addGroup(parseGroupInput({ name: "dev", groups: ["staff"], metadata: { floor: 3, bin: new Uint8Array([1, 2]) } }));
  await a.addUser(parseUserInput({ authid: "bob", password: "pw-bob", groups: ["dev"], metadata: { team: "x" } }));
  await a.addUser(parseUserInput({ authid: "tmp", password: "pw-tmp" }));
  await a.addGrant(parseGrantSpec({ roles: ["staff"], users: ["bob"], actions: ["call", "subscribe"], uri: "com..x", match: "wildcard" }));
  await a.addSource(parseSourceInput({ cidr: "2001:db8::/32", authmethods: ["ticket"] }));
  await a.deleteUser("tmp");

  const b = new RealmSecurity(storage, "r1", cheap);
  assert.equal(await b.load(), true);
  assert.deepEqual(sorted(b.snapshot()!), sorted(a.snapshot()!));
  assert.deepEqual(b.getGroup("dev").metadata, { floor: 3, bin: new Uint8Array([1, 2]) }, "binary metadata survives");
  assert.equal(b.authorize(who("bob", "dev"), "call", "com.a.x"), true);
  assert.equal(b.user("tmp"), undefined);
  assert.deepEqual(b.methodsFor("2001:db8::5"), ["ticket"]);
  assert.equal(await new RealmSecurity(storage, "r2", cheap).load(), false, "another realm has no model");

  await b.drop();
  assert.equal(b.authorize(who("bob", "dev"), "call", "com.a.x"), false, "dropped: nothing allowed");
  assert.equal(b.user("bob"), undefined);
  assert.deepEqual(await storage.list(["security", "r1"]), []);
});

/** A snapshot's lists in a fixed order (storage lists in key order, memory in insertion order). */
function sorted(s: ModelSnapshot): ModelSnapshot {
  const by = <T>(f: (x: T) => string) => (a: T, b: T) => (f(a) < f(b) ? -1 : f(a) > f(b) ? 1 : 0);
  return {
    settings: s.settings,
    users: [...s.users].sort(by((u) => u.authid)),
    groups: [...s.groups].sort(by((g) => g.name)),
    grants: [...s.grants].sort(by((g) => `${g.principal.kind}/${g.principal.name}/${g.match}/${g.uri}`)),
    sources: [...s.sources].sort(by((x) => x.cidr)),
  };
}

/** A storage whose writes wait for the test to release (or fail) them. */
class GatedStorage extends MemoryStorage {
  readonly pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
  gated = false;
  override set(key: StorageKey, value: Uint8Array): Promise<void> {
    if (!this.gated) return super.set(key, value);
    return new Promise((resolve, reject) => {
      this.pending.push({
        resolve: () => void super.set(key, value).then(resolve),
        reject,
      });
    });
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0));

test("security: a change applies only after its write resolved; a failed write changes nothing", async () => {
  const storage = new GatedStorage();
  const rs = await fresh(storage);
  storage.gated = true;
  const id = who("x", "dev");
  let done = false;
  const granting = rs.addGrant(parseGrantSpec({ roles: ["dev"], actions: ["call"], uri: "a.b" })).then(() => (done = true));
  await tick();
  assert.equal(storage.pending.length, 1);
  assert.equal(rs.authorize(id, "call", "a.b"), false, "not yet durable, not yet in effect");
  assert.equal(done, false);
  storage.pending.shift()!.resolve();
  await granting;
  assert.equal(rs.authorize(id, "call", "a.b"), true);

  const failing = rs.addGrant(parseGrantSpec({ roles: ["dev"], actions: ["publish"], uri: "a.b" }));
  await tick();
  storage.pending.shift()!.reject(new Error("disk full"));
  await assert.rejects(failing, /disk full/);
  assert.equal(rs.authorize(id, "publish", "a.b"), false);
  storage.gated = false;
  const again = new RealmSecurity(storage, "r1", cheap);
  await again.load();
  assert.deepEqual(again.grants(), rs.grants(), "memory and storage agree");
});

test("security: concurrent changes run one at a time", async () => {
  const rs = await fresh();
  const results = await Promise.allSettled([
    rs.addGroup(parseGroupInput({ name: "g" })),
    rs.addGroup(parseGroupInput({ name: "g" })),
  ]);
  assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected"]);
});

// --- configuration seeding ---

const SECURED = {
  realms: [
    { name: "realm1" },
    {
      name: "com.app",
      security: {
        users: [
          { authid: "alice", password: "alice-pw", groups: ["dev"] },
          { authid: "bob", password: "bob-pw", authmethods: ["wampcra"], groups: ["ops"] },
        ],
        groups: [{ name: "staff" }, { name: "dev", groups: ["staff"] }, { name: "ops" }],
        grants: [
          { roles: ["staff"], actions: ["call", "subscribe"], uri: "com.app.", match: "prefix" },
          { roles: ["dev"], actions: ["register"], uri: "com.app.dev.", match: "prefix" },
        ],
        sources: [{ cidr: "0.0.0.0/0", authmethods: ["ticket", "wampcra"] }],
      },
    },
  ],
  admin: { users: [{ authid: "root", password: "root-pw" }] },
};

test("security config: an empty store is seeded; afterwards the store wins and differences are logged", async () => {
  const storage = new MemoryStorage();
  const log1 = new MemoryLog();
  const cfg = parseConfig(JSON.stringify(SECURED), "c.json");
  const s1 = await buildSecurity(cfg, storage, { logger: log1, deriver: cheap });
  assert.equal(log1.lines.filter((l) => l.msg === "security model seeded from the configuration").length, 2, "com.app and the admin realm");
  const app = s1.registry.target("com.app");
  assert.equal(app.user("alice")?.authrole, "dev");
  assert.equal(app.authorize(who("alice", "dev"), "call", "com.app.x"), true);
  assert.equal(s1.optionsFor("realm1"), undefined, "realm1 stays open");
  assert.ok(s1.optionsFor("com.app")?.authenticator && s1.optionsFor("com.app")?.authorizer);
  assert.equal(cfg.realms[1]!.security!.users![0]!.password, undefined, "clear passwords are dropped from the configuration");
  assert.equal(cfg.admin!.users[0]!.password, undefined);
  const stored = JSON.stringify((await storage.list(["security"])).map((e) => new TextDecoder().decode(e.value)));
  assert.ok(!stored.includes("alice-pw") && !stored.includes("root-pw"), "only derived keys are stored");

  // A run-time change, then a restart with a configuration that says something else.
  await app.addUser(parseUserInput({ authid: "carl", password: "carl-pw", groups: ["ops"] }));
  await app.updateUser("alice", { groups: ["ops"] });
  const changed = structuredClone(SECURED);
  changed.realms[1]!.security!.users.push({ authid: "zed", password: "zed-pw", groups: ["ops"] });
  changed.realms[1]!.security!.grants[0]!.actions.push("publish");
  const log2 = new MemoryLog();
  const s2 = await buildSecurity(parseConfig(JSON.stringify(changed), "c.json"), storage, { logger: log2, deriver: cheap });
  const app2 = s2.registry.target("com.app");
  assert.ok(app2.user("carl"), "the run-time user survives");
  assert.equal(app2.user("zed"), undefined, "the file does not add users to a stored model");
  assert.equal(app2.user("alice")?.authrole, "ops", "nor overwrite run-time changes");
  assert.equal(log2.lines.some((l) => l.msg.startsWith("security model seeded")), false);
  const warn = log2.lines.find((l) => l.level === "warn" && l.fields?.["realm"] === "com.app");
  assert.ok(warn, JSON.stringify(log2.lines));
  const diffs = (warn.fields!["differences"] as string[]).join("\n");
  assert.match(diffs, /user "zed": only in the configuration/);
  assert.match(diffs, /user "carl": only in the store/);
  assert.match(diffs, /user "alice": groups \[dev\] in the configuration, \[ops\] in the store/);
  assert.match(diffs, /grant to role "staff" of \[call, publish, subscribe\] on "com.app." \(prefix\): actions \[call, subscribe\] in the store/);
  assert.equal(log2.lines.some((l) => l.level === "warn" && l.fields?.["realm"] === "junction.admin"), false, "unchanged: no warning");
});

test("security config: a secured realm never comes up open by mistake", () => {
  const cfg = parseConfig(JSON.stringify(SECURED), "c.json");
  assert.throws(() => toRouterOptions(cfg), /realm "com.app" is secured/);
  const off = parseConfig(JSON.stringify({ realms: [{ name: "x", security: { enabled: false } }] }), "c.json");
  assert.deepEqual(toRouterOptions(off).realms, [{ name: "x", uriCheck: "loose", strictRequestIds: false }]);
});

// --- in a router ---

const settle = async (c: MemoryClient, n = 1, ms = 5000): Promise<void> => {
  const until = Date.now() + ms;
  while (c.inbox.length < n) {
    if (Date.now() > until) throw new Error(`no message after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
};

/** A fake clock: no real timer of the router outlives the test. */
async function securedRouter(storage = new MemoryStorage()) {
  const cfg = parseConfig(JSON.stringify(SECURED), "c.json");
  const clock = new FakeClock();
  const security = await buildSecurity(cfg, storage, { logger: new MemoryLog(), deriver: cheap, clock });
  const router = new Router({ ...toRouterOptions(cfg, security), storage, clock });
  security.attach(router);
  await router.ready();
  return { router, security };
}

/** Joins with ticket or wampcra; returns WELCOME or ABORT. */
async function join(router: Router, realm: string, authid: string, password: string, method: "ticket" | "wampcra" = "ticket") {
  const c = new MemoryClient(router);
  c.send([1, realm, { roles: ALL_ROLES, authmethods: [method], authid }]);
  await settle(c);
  const ch = c.take();
  if (ch[0] !== 4) return { c, reply: ch };
  let signature = password;
  if (method === "wampcra") {
    const extra = ch[2] as { challenge: string; salt: string; iterations: number; keylen: number };
    const key = (await deriveSecret(password, { salt: extra.salt, iterations: extra.iterations, keylen: extra.keylen })).derivedKey;
    signature = encodeBase64(await hmacSha256(utf8(key), utf8(extra.challenge)));
  }
  c.send([5, signature, {}]);
  await settle(c);
  return { c, reply: c.take() };
}

async function call(c: MemoryClient, procedure: string, args: unknown[]): Promise<unknown[]> {
  c.request(48, {}, procedure, args);
  await settle(c);
  return c.take();
}

test("security router: configured users join with their passwords; grants apply to their requests", async () => {
  const { router } = await securedRouter();
  const alice = await join(router, "com.app", "alice", "alice-pw");
  assert.equal(alice.reply[0], 2, JSON.stringify(alice.reply));
  assert.equal((alice.reply[2] as Record<string, unknown>)["authrole"], "dev");
  const bob = await join(router, "com.app", "bob", "bob-pw", "wampcra");
  assert.equal(bob.reply[0], 2, JSON.stringify(bob.reply));
  assert.equal((await join(router, "com.app", "alice", "wrong")).reply[2], "wamp.error.authentication_failed");
  assert.equal((await join(router, "com.app", "bob", "bob-pw", "ticket")).reply[2], "wamp.error.authentication_failed", "bob has wampcra only");

  const c = alice.c;
  c.request(64, {}, "com.app.dev.echo");
  assert.equal(c.take()[0], 65, "REGISTERED: dev may register com.app.dev.*");
  c.request(64, {}, "com.app.other");
  assert.equal(c.take()[4], "wamp.error.not_authorized");
  c.request(32, {}, "com.app.news");
  assert.equal(c.take()[0], 33, "SUBSCRIBED through staff");
  c.request(16, { acknowledge: true }, "com.app.news");
  assert.equal(c.take()[4], "wamp.error.not_authorized", "nobody may publish");

  const anon = new MemoryClient(router);
  anon.send([1, "com.app", { roles: ALL_ROLES }]);
  await settle(anon);
  assert.equal(anon.take()[0], 3, "no anonymous role configured: ABORT");
  const open = new MemoryClient(router);
  assert.equal(open.hello("realm1")[0], 2, "realm1 is open");
});

test("security router: the admin API changes a realm over WAMP; only with a grant; never from clients' namespace", async () => {
  const storage = new MemoryStorage();
  const { router } = await securedRouter(storage);
  const admin = (await join(router, "junction.admin", "root", "root-pw")).c;

  const added = await call(admin, "junction.user.add", ["com.app", { authid: "nina", password: "nina-pw", groups: ["dev"] }]);
  assert.equal(added[0], 50, JSON.stringify(added));
  assert.deepEqual((added[3] as unknown[])[0], {
    authid: "nina",
    enabled: true,
    authrole: "dev",
    groups: ["dev"],
    authmethods: ["ticket", "wampcra", "wamp-scram"],
    cryptosignKeys: [],
  });
  const nina = await join(router, "com.app", "nina", "nina-pw");
  assert.equal(nina.reply[0], 2, "the new user joins at once");

  const dup = await call(admin, "junction.user.add", ["com.app", { authid: "nina", password: "x" }]);
  assert.deepEqual([dup[0], dup[4]], [8, "junction.error.already_exists"]);
  const bad = await call(admin, "junction.user.add", ["com.app", { authid: "x", password: "x", groups: ["nope"] }]);
  assert.deepEqual([bad[0], bad[4]], [8, "junction.error.no_such_group"]);
  const open = await call(admin, "junction.user.list", ["realm1"]);
  assert.deepEqual([open[0], open[4]], [8, "junction.error.not_allowed"], "an open realm has no users to manage");
  const list = await call(admin, "junction.realm.list", []);
  assert.deepEqual((list[3] as { name: string }[][])[0]!.map((r) => r.name), ["com.app", "junction.admin", "realm1"]);

  // Realms added at run time: secured, empty, and deletable.
  const r = await call(admin, "junction.realm.add", ["com.new"]);
  assert.equal(r[0], 50, JSON.stringify(r));
  await call(admin, "junction.group.add", ["com.new", { name: "users" }]);
  await call(admin, "junction.user.add", ["com.new", { authid: "u1", password: "u1-pw", groups: ["users"] }]);
  const g = await call(admin, "junction.grant.add", ["com.new", { roles: ["users"], actions: ["call"], uri: "com.new.", match: "prefix" }]);
  assert.deepEqual((g[3] as unknown[])[0], [{ role: "users", uri: "com.new.", match: "prefix", actions: ["call"] }]);
  const u1 = await join(router, "com.new", "u1", "u1-pw");
  assert.equal(u1.reply[0], 2);
  const del = await call(admin, "junction.realm.delete", ["com.new"]);
  assert.equal(del[0], 50, JSON.stringify(del));
  assert.equal(u1.c.take()[0], 6, "its sessions get GOODBYE");
  assert.equal((await join(router, "com.new", "u1", "u1-pw")).reply[0], 3);
  const readd = await call(admin, "junction.realm.add", ["com.new", { anonymous: { role: "guest" } }]);
  assert.deepEqual((readd[3] as unknown[])[0], {
    name: "com.new", secured: true, origin: "admin", users: 0, groups: 0, grants: 0, sources: 0, anonymous: { role: "guest" },
  }, "added again: empty");
  assert.equal((await join(router, "com.new", "u1", "u1-pw")).reply[0], 3, "the old users are gone");
  const guest = new MemoryClient(router);
  guest.send([1, "com.new", { roles: ALL_ROLES, authmethods: ["anonymous"] }]);
  await settle(guest);
  assert.equal((guest.take()[2] as Record<string, unknown>)["authrole"], "guest");
  const cfgDel = await call(admin, "junction.realm.delete", ["com.app"]);
  assert.deepEqual([cfgDel[0], cfgDel[4]], [8, "junction.error.not_allowed"]);

  // Authorization applies: an admin-realm user without the grant is refused.
  await call(admin, "junction.user.add", ["junction.admin", { authid: "viewer", password: "viewer-pw", groups: [] }]);
  const viewer = (await join(router, "junction.admin", "viewer", "viewer-pw")).c;
  const refused = await call(viewer, "junction.user.list", ["com.app"]);
  assert.deepEqual([refused[0], refused[4]], [8, "wamp.error.not_authorized"]);
  await call(admin, "junction.grant.add", ["junction.admin", { users: ["viewer"], actions: ["call"], uri: "junction..list", match: "wildcard" }]);
  const allowed = await call(viewer, "junction.user.list", ["com.app"]);
  assert.equal(allowed[0], 50, "granted by authid, wildcard junction.*.list");

  // Clients cannot register or publish in junction.*, even with a grant for everything.
  await call(admin, "junction.grant.add", ["com.app", { users: ["alice"], actions: ["*"], uri: "", match: "prefix" }]);
  const alice = (await join(router, "com.app", "alice", "alice-pw")).c;
  alice.request(64, {}, "junction.user.add");
  assert.equal(alice.take()[4], "wamp.error.invalid_uri");
  alice.request(16, { acknowledge: true }, "junction.x");
  assert.equal(alice.take()[4], "wamp.error.invalid_uri");
  const noProc = await call(alice, "junction.user.list", ["com.app"]);
  assert.deepEqual([noProc[0], noProc[4]], [8, "wamp.error.no_such_procedure"], "the admin API lives only in the admin realm");

  // Everything above is in storage: a second router over it sees the same model.
  const { security } = await securedRouter(storage);
  assert.ok(security.registry.target("com.app").user("nina"));
  assert.equal(security.registry.target("com.new").anonymousRole, "guest", "a realm added at run time comes back");
  assert.ok(security.extraRealms.some((r) => r.name === "com.new" && r.authenticator && r.authorizer));
  assert.equal(security.registry.target("com.new").user("u1"), undefined);
  assert.ok(security.registry.target("junction.admin").user("viewer"));
});
