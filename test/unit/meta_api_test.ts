import assert from "node:assert/strict";
import { test } from "../_support/harness.ts";
import { FakeClock } from "../_support/fake_clock.ts";
import { SeededRandom } from "../_support/seeded_random.ts";
import { MemoryClient } from "../_support/memory_client.ts";
import { Router } from "../../src/router/router.ts";
import type { RealmOptions } from "../../src/router/options.ts";
import type { Authenticator } from "../../src/auth/types.ts";
import { LocalPeer } from "../../src/session/local_peer.ts";
import { META_FEATURES, routerRoles } from "../../src/wamp/features.ts";

type Dict = Record<string, unknown>;
type Msg = unknown[];

const ROLES = {
  caller: {},
  callee: { features: { registration_revocation: true } },
  publisher: {},
  subscriber: { features: { subscription_revocation: true } },
};

/** Lets queued work run: the meta API answers and publishes in a microtask. */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Joins whoever asks with the authid and authrole they ask for (autobahn's HELLO.authrole). */
const trusting: Authenticator = {
  hello: (info) =>
    Promise.resolve({
      kind: "welcome",
      identity: {
        authid: info.authid ?? "nobody",
        authrole: info.authrole ?? "user",
        authmethod: "ticket",
        authprovider: "test",
      },
    }),
};

function setup(realm: Partial<RealmOptions> = {}) {
  const clock = new FakeClock();
  const router = new Router({ realms: [{ name: "realm1", ...realm }], clock, random: new SeededRandom(11) });
  const join = async (details: Dict = {}): Promise<MemoryClient> => {
    const c = new MemoryClient(router);
    c.send([1, "realm1", { roles: ROLES, ...details }]);
    await settle();
    const w = c.take();
    assert.equal(w[0], 2, `expected WELCOME, got ${JSON.stringify(w)}`);
    c.sessionId = w[1] as number;
    return c;
  };
  return { clock, router, join, realm: () => router.realm("realm1")! };
}

/** Removes and returns the first message that satisfies `pick`. */
function takeWhere(c: MemoryClient, pick: (m: Msg) => boolean, what: string): Msg {
  const i = c.inbox.findIndex(pick);
  if (i < 0) throw new Error(`no ${what} among ${JSON.stringify(c.inbox)}`);
  return c.inbox.splice(i, 1)[0]!;
}

/** CALLs and returns the RESULT or ERROR for it. */
async function call(c: MemoryClient, procedure: string, args?: unknown[], kwargs?: Dict): Promise<Msg> {
  const tail = kwargs ? [args ?? [], kwargs] : args ? [args] : [];
  const r = c.request(48, {}, procedure, ...tail);
  await settle();
  return takeWhere(c, (m) => (m[0] === 50 && m[1] === r) || (m[0] === 8 && m[1] === 48 && m[2] === r), `answer to ${procedure}`);
}

/** The positional results of a successful call. */
async function ok(c: MemoryClient, procedure: string, args?: unknown[], kwargs?: Dict): Promise<unknown[]> {
  const m = await call(c, procedure, args, kwargs);
  assert.equal(m[0], 50, `${procedure} failed: ${JSON.stringify(m)}`);
  return (m[3] as unknown[] | undefined) ?? [];
}

/** The error URI of a failed call. */
async function fails(c: MemoryClient, procedure: string, args?: unknown[], kwargs?: Dict): Promise<string> {
  const m = await call(c, procedure, args, kwargs);
  assert.equal(m[0], 8, `${procedure} should fail: ${JSON.stringify(m)}`);
  assert.equal(typeof (m[5] as unknown[])[0], "string", "the error explains itself");
  return m[4] as string;
}

function subscribe(c: MemoryClient, topic: string, options: Dict = {}): number {
  const r = c.request(32, options, topic);
  const m = takeWhere(c, (x) => x[0] === 33 && x[1] === r, `SUBSCRIBED ${topic}`);
  return m[2] as number;
}

function register(c: MemoryClient, procedure: string, options: Dict = {}): number {
  const r = c.request(64, options, procedure);
  const m = takeWhere(c, (x) => (x[0] === 65 || x[0] === 8) && x[1 + Number(x[0] === 8)] === r, `REGISTERED ${procedure}`);
  assert.equal(m[0], 65, JSON.stringify(m));
  return m[2] as number;
}

/** Removes and returns the payloads ([args, kwargs]) of every EVENT for a subscription. */
function events(c: MemoryClient, subscription: number): Array<[unknown[], Dict | undefined]> {
  const out: Array<[unknown[], Dict | undefined]> = [];
  for (let i = 0; i < c.inbox.length;) {
    const m = c.inbox[i]!;
    if (m[0] === 36 && m[1] === subscription) {
      out.push([(m[4] as unknown[] | undefined) ?? [], m[5] as Dict | undefined]);
      c.inbox.splice(i, 1);
    } else i++;
  }
  return out;
}

function goodbyeOf(c: MemoryClient): Msg {
  return takeWhere(c, (m) => m[0] === 6, "GOODBYE");
}

// --- announcement and wiring ---

test("meta: WELCOME announces the meta API on the roles the spec names", async () => {
  const { join, router } = setup();
  const c = new MemoryClient(router);
  const w = c.hello("realm1", { roles: ROLES });
  const roles = (w[2] as Dict).roles as Record<string, { features: Dict }>;
  assert.equal(roles.broker!.features.session_meta_api, true);
  assert.equal(roles.broker!.features.subscription_meta_api, true);
  assert.equal(roles.dealer!.features.session_meta_api, true);
  assert.equal(roles.dealer!.features.registration_meta_api, true);
  assert.equal(roles.dealer!.features.testament_meta_api, true);
  assert.equal(roles.broker!.features.testament_meta_api, undefined);
  const off = routerRoles({ metaApi: false }) as Record<string, { features: Dict }>;
  for (const [role, flags] of Object.entries(META_FEATURES)) {
    for (const flag of Object.keys(flags)) assert.equal(off[role]!.features[flag], undefined, `${role}.${flag} off`);
  }
  await join();
});

test("meta: a realm with metaApi false serves no meta procedures", async () => {
  const { join, realm } = setup({ metaApi: false });
  assert.equal(realm().meta, undefined);
  const c = await join();
  assert.equal(await fails(c, "wamp.session.count"), "wamp.error.no_such_procedure");
});

test("meta: the internal session is not listed, counted or gettable, and works with strictRequestIds", async () => {
  const { join, realm } = setup({ strictRequestIds: true });
  const internal = realm().meta!.client.session;
  assert.equal(internal.internal, true);
  assert.ok(internal.established);
  const a = await join();
  assert.deepEqual(await ok(a, "wamp.session.count"), [1]);
  assert.deepEqual(await ok(a, "wamp.session.list"), [[a.sessionId]]);
  assert.equal(await fails(a, "wamp.session.get", [internal.id]), "wamp.error.no_such_session");
  assert.equal(await fails(a, "wamp.session.kill", [internal.id]), "wamp.error.no_such_session");
  assert.equal(realm().sessionCount, 1);
});

test("meta: LocalPeer hands messages over unencoded and refuses after close", () => {
  const got: unknown[] = [];
  let closed = 0;
  const peer = new LocalPeer((m) => got.push(m), () => closed++);
  const msg = [36, 1, 2, {}, [new Uint8Array([1])]];
  const cache = new Map<string, Uint8Array | string>();
  assert.equal(peer.send(msg, cache), "ok");
  assert.equal(got[0], msg, "the same array, not a copy");
  assert.equal(cache.size, 0, "the frame cache is left to real transports");
  assert.equal(peer.serializer, "json");
  assert.equal(peer.info.kind, "local");
  peer.close();
  peer.close();
  assert.equal(closed, 1);
  assert.equal(peer.send(msg), "closed");
  assert.equal(got.length, 1);
});

// --- session meta API ---

test("meta: wamp.session.count and list, with and without filter_authroles", async () => {
  const { join } = setup({ authenticator: trusting });
  const admin = await join({ authid: "root", authrole: "admin" });
  const u1 = await join({ authid: "u1", authrole: "user" });
  const u2 = await join({ authid: "u2", authrole: "user" });
  assert.deepEqual(await ok(admin, "wamp.session.count"), [3]);
  assert.deepEqual(await ok(admin, "wamp.session.count", [["user"]]), [2]);
  assert.deepEqual(await ok(admin, "wamp.session.count", [["admin", "user"]]), [3]);
  assert.deepEqual(await ok(admin, "wamp.session.count", [["nobody"]]), [0]);
  assert.deepEqual(await ok(admin, "wamp.session.count", [[]]), [3], "an empty filter filters nothing");
  assert.deepEqual(await ok(admin, "wamp.session.count", [], { filter_authroles: ["admin"] }), [1]);
  assert.deepEqual(await ok(admin, "wamp.session.count", [null]), [3]);
  const [all] = await ok(admin, "wamp.session.list");
  assert.deepEqual([...(all as number[])].sort(), [admin.sessionId, u1.sessionId, u2.sessionId].sort());
  const [users] = await ok(u1, "wamp.session.list", [["user"]]);
  assert.deepEqual([...(users as number[])].sort(), [u1.sessionId, u2.sessionId].sort());
  u2.drop();
  assert.deepEqual(await ok(admin, "wamp.session.count"), [2]);
});

test("meta: session procedures reject malformed arguments with invalid_argument", async () => {
  const { join } = setup();
  const c = await join();
  const E = "wamp.error.invalid_argument";
  assert.equal(await fails(c, "wamp.session.count", ["user"]), E);
  assert.equal(await fails(c, "wamp.session.count", [[1, 2]]), E);
  assert.equal(await fails(c, "wamp.session.list", [["a"], ["b"]]), E, "too many positional arguments");
  assert.equal(await fails(c, "wamp.session.list", [], { filter: ["a"] }), E, "unknown keyword");
  assert.equal(await fails(c, "wamp.session.count", [["a"]], { filter_authroles: ["a"] }), E, "given twice");
  assert.equal(await fails(c, "wamp.session.get"), E, "missing session id");
  assert.equal(await fails(c, "wamp.session.get", ["1"]), E);
  assert.equal(await fails(c, "wamp.session.get", [0]), E);
  assert.equal(await fails(c, "wamp.session.get", [1.5]), E);
  assert.equal(await fails(c, "wamp.session.kill", [c.sessionId + 1], { message: 5 }), E);
  assert.equal(await fails(c, "wamp.session.kill_by_authid", [7]), E);
  assert.equal(await fails(c, "wamp.session.kill_by_authrole"), E);
});

test("meta: wamp.session.get returns SessionDetails; unknown ids are no_such_session", async () => {
  const { join } = setup({ authenticator: trusting });
  const a = await join({ authid: "alice", authrole: "admin" });
  const b = await join({ authid: "bob", authrole: "user" });
  const [details] = await ok(a, "wamp.session.get", [b.sessionId]);
  assert.deepEqual(details, {
    session: b.sessionId,
    realm: "realm1",
    authid: "bob",
    authrole: "user",
    authmethod: "ticket",
    authprovider: "test",
    transport: { type: "local", serializer: "json" },
  });
  assert.equal(((await ok(a, "wamp.session.get", [], { session_id: a.sessionId }))[0] as Dict).authid, "alice");
  assert.equal(await fails(a, "wamp.session.get", [12345]), "wamp.error.no_such_session");
  b.drop();
  assert.equal(await fails(a, "wamp.session.get", [b.sessionId]), "wamp.error.no_such_session");
});

test("meta: on_join carries SessionDetails; on_leave carries [session, authid, authrole] for every way of leaving", async () => {
  const { join } = setup({ authenticator: trusting });
  const watcher = await join({ authid: "w", authrole: "admin" });
  const onJoin = subscribe(watcher, "wamp.session.on_join");
  const onLeave = subscribe(watcher, "wamp.session.on_leave");
  const a = await join({ authid: "a", authrole: "user" });
  await settle();
  assert.deepEqual(events(watcher, onJoin), [[[{
    session: a.sessionId,
    realm: "realm1",
    authid: "a",
    authrole: "user",
    authmethod: "ticket",
    authprovider: "test",
    transport: { type: "local", serializer: "json" },
  }], undefined]]);
  // GOODBYE from the client
  a.send([6, {}, "wamp.close.close_realm"]);
  await settle();
  assert.deepEqual(events(watcher, onLeave), [[[a.sessionId, "a", "user"], undefined]]);
  // transport loss
  const b = await join({ authid: "b", authrole: "user" });
  b.drop();
  await settle();
  assert.deepEqual(events(watcher, onLeave), [[[b.sessionId, "b", "user"], undefined]]);
  // protocol violation (ABORT)
  const c = await join({ authid: "c", authrole: "user" });
  c.send([2, 1, {}]);
  await settle();
  assert.deepEqual(events(watcher, onLeave), [[[c.sessionId, "c", "user"], undefined]]);
  assert.equal(events(watcher, onJoin).length, 2);
});

test("meta: wamp.session.kill sends GOODBYE with reason and message; the victim leaves", async () => {
  const { join, realm } = setup();
  const killer = await join();
  const victim = await join();
  const other = await join();
  const onLeave = subscribe(killer, "wamp.session.on_leave");
  assert.deepEqual(await ok(killer, "wamp.session.kill", [victim.sessionId], { reason: "com.example.bye", message: "go away" }), []);
  assert.deepEqual(goodbyeOf(victim), [6, { message: "go away" }, "com.example.bye"]);
  assert.equal(other.inbox.length, 0, "others are untouched");
  assert.equal(realm().session(victim.sessionId), undefined, "left the realm at once");
  await settle();
  assert.deepEqual(events(killer, onLeave), [[[victim.sessionId, `anonymous-${victim.sessionId}`, "anonymous"], undefined]]);
  victim.send([6, {}, "wamp.close.goodbye_and_out"]);
  assert.equal(victim.closed, true, "closed after the client's GOODBYE");
  // default reason
  await ok(killer, "wamp.session.kill", [other.sessionId]);
  assert.equal(goodbyeOf(other)[2], "wamp.close.killed");
});

test("meta: wamp.session.kill errors: own session, unknown session, invalid reason", async () => {
  const { join } = setup();
  const a = await join();
  const b = await join();
  assert.equal(await fails(a, "wamp.session.kill", [a.sessionId]), "wamp.error.no_such_session");
  assert.equal(await fails(a, "wamp.session.kill", [424242]), "wamp.error.no_such_session");
  assert.equal(await fails(a, "wamp.session.kill", [b.sessionId], { reason: "not a uri" }), "wamp.error.invalid_uri");
  assert.equal(await fails(a, "wamp.session.kill", [b.sessionId], { reason: "" }), "wamp.error.invalid_uri");
  assert.equal(await fails(a, "wamp.session.kill", [b.sessionId], { reason: 42 }), "wamp.error.invalid_uri");
  assert.equal(await fails(a, "wamp.session.kill_all", [], { reason: "a..b" }), "wamp.error.invalid_uri");
  assert.equal(b.inbox.length, 0, "nobody was killed");
  assert.equal(a.closed || b.closed, false);
});

test("meta: kill_by_authid returns the killed ids and spares the caller", async () => {
  const { join } = setup();
  const me = await join({ authid: "shared" });
  const twin1 = await join({ authid: "shared" });
  const twin2 = await join({ authid: "shared" });
  const stranger = await join({ authid: "other" });
  const [killed] = await ok(me, "wamp.session.kill_by_authid", ["shared"], { message: "dup" });
  assert.deepEqual([...(killed as number[])].sort(), [twin1.sessionId, twin2.sessionId].sort());
  for (const t of [twin1, twin2]) assert.deepEqual(goodbyeOf(t), [6, { message: "dup" }, "wamp.close.killed"]);
  assert.equal(me.inbox.length, 0, "the caller is spared");
  assert.equal(stranger.inbox.length, 0);
  assert.deepEqual(await ok(me, "wamp.session.kill_by_authid", ["nobody"]), [[]]);
  assert.deepEqual(await ok(me, "wamp.session.count"), [2]);
});

test("meta: kill_by_authrole returns a count and spares the caller", async () => {
  const { join } = setup({ authenticator: trusting });
  const me = await join({ authid: "me", authrole: "ops" });
  const peer = await join({ authid: "p", authrole: "ops" });
  const user = await join({ authid: "u", authrole: "user" });
  assert.deepEqual(await ok(me, "wamp.session.kill_by_authrole", ["ops"], { reason: "com.example.rotate" }), [1]);
  assert.equal(goodbyeOf(peer)[2], "com.example.rotate");
  assert.equal(me.inbox.length + user.inbox.length, 0);
  assert.deepEqual(await ok(me, "wamp.session.kill_by_authrole", [], { authrole: "user" }), [1]);
  assert.equal(goodbyeOf(user)[2], "wamp.close.killed");
});

test("meta: kill_all closes everyone else and publishes neither on_leave nor testaments", async () => {
  const { join } = setup();
  const boss = await join();
  const onLeave = subscribe(boss, "wamp.session.on_leave");
  const will = subscribe(boss, "com.example.will");
  const victims = [await join(), await join(), await join()];
  assert.deepEqual(await ok(victims[0]!, "wamp.session.add_testament", ["com.example.will", ["bye"], {}]), []);
  assert.deepEqual(await ok(boss, "wamp.session.kill_all", [], { reason: "wamp.close.system_shutdown", message: "all out" }), [3]);
  for (const v of victims) assert.deepEqual(goodbyeOf(v), [6, { message: "all out" }, "wamp.close.system_shutdown"]);
  await settle();
  assert.deepEqual(events(boss, onLeave), []);
  assert.deepEqual(events(boss, will), []);
  assert.deepEqual(await ok(boss, "wamp.session.count"), [1]);
  assert.deepEqual(await ok(boss, "wamp.session.kill_all"), [0]);
});

// --- registration meta API ---

test("meta: registration list, lookup, match and get follow the dealer (wamp.* left out)", async () => {
  const { join, clock } = setup();
  const callee = await join();
  const c = await join();
  const exact = register(callee, "a1.b2.c3.d4.e55");
  const prefix = register(callee, "a1.b2.c3", { match: "prefix" });
  const wild = register(callee, "a1.b2..d4.e5", { match: "wildcard" });
  const [lists] = await ok(c, "wamp.registration.list");
  assert.deepEqual(lists, { exact: [exact], prefix: [prefix], wildcard: [wild] });
  assert.deepEqual(await ok(c, "wamp.registration.lookup", ["a1.b2.c3.d4.e55"]), [exact]);
  assert.deepEqual(await ok(c, "wamp.registration.lookup", ["a1.b2.c3", { match: "prefix" }]), [prefix]);
  assert.deepEqual(await ok(c, "wamp.registration.lookup", ["a1.b2.c3"]), [null], "no exact registration");
  assert.deepEqual(await ok(c, "wamp.registration.lookup", ["a1.b2..d4.e5"], { options: { match: "wildcard" } }), [wild]);
  assert.equal(await fails(c, "wamp.registration.lookup", ["x", { match: "fuzzy" }]), "wamp.error.invalid_argument");
  assert.equal(await fails(c, "wamp.registration.lookup", ["x", "exact"]), "wamp.error.invalid_argument");
  assert.deepEqual(await ok(c, "wamp.registration.match", ["a1.b2.c3.d4.e55"]), [exact]);
  assert.deepEqual(await ok(c, "wamp.registration.match", ["a1.b2.c3.d98.e74"]), [prefix]);
  assert.deepEqual(await ok(c, "wamp.registration.match", ["a1.b2.c55.d4.e5"]), [wild]);
  assert.deepEqual(await ok(c, "wamp.registration.match", ["a2.b2.c2"]), [null]);
  assert.deepEqual(await ok(c, "wamp.registration.match", ["wamp.session.count"]), [null], "meta procedures are not shown");
  assert.deepEqual(await ok(c, "wamp.registration.get", [prefix]), [{
    id: prefix,
    created: new Date(clock.now()).toISOString(),
    uri: "a1.b2.c3",
    match: "prefix",
    invoke: "single",
  }]);
  assert.equal(await fails(c, "wamp.registration.get", [999]), "wamp.error.no_such_registration");
  assert.equal(await fails(c, "wamp.registration.get", ["x"]), "wamp.error.invalid_argument");
  assert.equal(await fails(c, "wamp.registration.list", [1]), "wamp.error.invalid_argument");
});

test("meta: list_callees and count_callees of a shared registration", async () => {
  const { join } = setup();
  const a = await join();
  const b = await join();
  const c = await join();
  const id = register(a, "com.example.shared", { invoke: "roundrobin" });
  assert.equal(register(b, "com.example.shared", { invoke: "roundrobin" }), id);
  assert.deepEqual(await ok(c, "wamp.registration.list_callees", [id]), [[a.sessionId, b.sessionId]]);
  assert.deepEqual(await ok(c, "wamp.registration.count_callees", [id]), [2]);
  assert.equal(((await ok(c, "wamp.registration.get", [id]))[0] as Dict).invoke, "roundrobin");
  a.drop();
  assert.deepEqual(await ok(c, "wamp.registration.list_callees", [id]), [[b.sessionId]]);
  assert.equal(await fails(c, "wamp.registration.count_callees", [id + 1]), "wamp.error.no_such_registration");
  assert.equal(await fails(c, "wamp.registration.list_callees", []), "wamp.error.invalid_argument");
  b.drop();
  assert.equal(await fails(c, "wamp.registration.count_callees", [id]), "wamp.error.no_such_registration");
});

test("meta: remove_callee revokes a callee; errors for unknown registrations and non-callees", async () => {
  const { join } = setup();
  const revocable = await join();
  const plain = await join({ roles: { callee: {}, caller: {} } });
  const admin = await join();
  const id = register(revocable, "com.example.p", { invoke: "first" });
  register(plain, "com.example.p", { invoke: "first" });
  assert.equal(await fails(admin, "wamp.registration.remove_callee", [id, admin.sessionId]), "wamp.error.no_such_session");
  assert.equal(await fails(admin, "wamp.registration.remove_callee", [id, 31337]), "wamp.error.no_such_session");
  assert.equal(await fails(admin, "wamp.registration.remove_callee", [77, revocable.sessionId]), "wamp.error.no_such_registration");
  assert.equal(await fails(admin, "wamp.registration.remove_callee", [id]), "wamp.error.invalid_argument");
  assert.equal(
    await fails(admin, "wamp.registration.remove_callee", [id, revocable.sessionId], { reason: "bad reason" }),
    "wamp.error.invalid_uri",
  );
  assert.deepEqual(await ok(admin, "wamp.registration.remove_callee", [id, revocable.sessionId, "com.example.revoked"]), []);
  assert.deepEqual(revocable.take(), [67, 0, { registration: id, reason: "com.example.revoked" }]);
  assert.deepEqual(await ok(admin, "wamp.registration.list_callees", [id]), [[plain.sessionId]]);
  assert.deepEqual(await ok(admin, "wamp.registration.remove_callee", [id, plain.sessionId]), []);
  assert.equal(plain.inbox.length, 0, "no revocation message without the feature");
  assert.equal(await fails(admin, "wamp.registration.get", [id]), "wamp.error.no_such_registration");
});

test("meta: registration events on_create, on_register, on_unregister, on_delete in spec order", async () => {
  const { join, clock } = setup();
  const w = await join();
  const topics = ["on_create", "on_register", "on_unregister", "on_delete"];
  const subs = new Map(topics.map((t) => [subscribe(w, `wamp.registration.${t}`), t]));
  const a = await join();
  const b = await join();
  const id = register(a, "com.example.ev", { invoke: "roundrobin" });
  register(b, "com.example.ev", { invoke: "roundrobin" });
  const r = a.request(66, id);
  assert.deepEqual(a.take(), [67, r]);
  b.drop();
  const refused = a.request(64, {}, "wamp.session.nope");
  assert.deepEqual(a.take().slice(0, 5), [8, 64, refused, {}, "wamp.error.invalid_uri"], "reserved: no events either");
  await settle();
  const seen = w.inbox.filter((m) => m[0] === 36).map((m) => [subs.get(m[1] as number), ...(m[4] as unknown[])]);
  assert.deepEqual(seen, [
    ["on_create", a.sessionId, { id, created: new Date(clock.now()).toISOString(), uri: "com.example.ev", match: "exact", invoke: "roundrobin" }],
    ["on_register", a.sessionId, id],
    ["on_register", b.sessionId, id],
    ["on_unregister", a.sessionId, id],
    ["on_unregister", b.sessionId, id],
    ["on_delete", b.sessionId, id],
  ]);
});

// --- subscription meta API ---

test("meta: subscription list, lookup, match, get, list_subscribers, count_subscribers", async () => {
  const { join, clock } = setup();
  const a = await join();
  const b = await join();
  const c = await join();
  const exact = subscribe(a, "com.example.t.x");
  assert.equal(subscribe(b, "com.example.t.x"), exact);
  const prefix = subscribe(a, "com.example.t", { match: "prefix" });
  const wild = subscribe(b, "com.example..x", { match: "wildcard" });
  subscribe(c, "wamp.session.on_join"); // meta subscriptions are not shown
  const [lists] = await ok(c, "wamp.subscription.list");
  assert.deepEqual(lists, { exact: [exact], prefix: [prefix], wildcard: [wild] });
  assert.deepEqual(await ok(c, "wamp.subscription.lookup", ["com.example.t.x"]), [exact]);
  assert.deepEqual(await ok(c, "wamp.subscription.lookup", ["com.example.t", { match: "prefix" }]), [prefix]);
  assert.deepEqual(await ok(c, "wamp.subscription.lookup", ["com.example.t"]), [null]);
  assert.deepEqual(await ok(c, "wamp.subscription.lookup", ["wamp.session.on_join"]), [null]);
  assert.equal(await fails(c, "wamp.subscription.lookup", ["t", { match: 1 }]), "wamp.error.invalid_argument");
  const [matched] = await ok(c, "wamp.subscription.match", ["com.example.t.x"]);
  assert.deepEqual([...(matched as number[])].sort(), [exact, prefix, wild].sort());
  assert.deepEqual(await ok(c, "wamp.subscription.match", ["com.example.t.y"]), [[prefix]]);
  assert.deepEqual(await ok(c, "wamp.subscription.match", ["org.none"]), [null], "null when nothing matches");
  assert.deepEqual(await ok(c, "wamp.subscription.match", ["wamp.session.on_join"]), [null]);
  assert.deepEqual(await ok(c, "wamp.subscription.get", [wild]), [{
    id: wild,
    created: new Date(clock.now()).toISOString(),
    uri: "com.example..x",
    match: "wildcard",
  }]);
  assert.deepEqual(await ok(c, "wamp.subscription.list_subscribers", [exact]), [[a.sessionId, b.sessionId]]);
  assert.deepEqual(await ok(c, "wamp.subscription.count_subscribers", [exact]), [2]);
  for (const p of ["get", "list_subscribers", "count_subscribers"]) {
    assert.equal(await fails(c, `wamp.subscription.${p}`, [5]), "wamp.error.no_such_subscription", p);
    assert.equal(await fails(c, `wamp.subscription.${p}`, [[5]]), "wamp.error.invalid_argument", p);
  }
  assert.equal(await fails(c, "wamp.subscription.match", []), "wamp.error.invalid_argument");
});

test("meta: remove_subscriber revokes a subscription; errors for unknown ids and non-subscribers", async () => {
  const { join } = setup();
  const revocable = await join();
  const plain = await join({ roles: { subscriber: {}, caller: {} } });
  const admin = await join();
  const id = subscribe(revocable, "com.example.news");
  subscribe(plain, "com.example.news");
  assert.equal(await fails(admin, "wamp.subscription.remove_subscriber", [id, admin.sessionId]), "wamp.error.no_such_session");
  assert.equal(await fails(admin, "wamp.subscription.remove_subscriber", [9, plain.sessionId]), "wamp.error.no_such_subscription");
  assert.equal(
    await fails(admin, "wamp.subscription.remove_subscriber", [id, plain.sessionId], { reason: "#" }),
    "wamp.error.invalid_uri",
  );
  assert.deepEqual(await ok(admin, "wamp.subscription.remove_subscriber", [id, revocable.sessionId], { reason: "com.example.gone" }), []);
  assert.deepEqual(revocable.take(), [35, 0, { subscription: id, reason: "com.example.gone" }]);
  assert.deepEqual(await ok(admin, "wamp.subscription.remove_subscriber", [id, plain.sessionId]), []);
  assert.equal(plain.inbox.length, 0, "no revocation message without the feature");
  admin.request(16, {}, "com.example.news", ["hi"]);
  assert.equal(revocable.inbox.length + plain.inbox.length, 0, "no more events");
  assert.equal(await fails(admin, "wamp.subscription.get", [id]), "wamp.error.no_such_subscription");
});

test("meta: subscription events on_create, on_subscribe, on_unsubscribe, on_delete in spec order", async () => {
  const { join, clock } = setup();
  const w = await join();
  const topics = ["on_create", "on_subscribe", "on_unsubscribe", "on_delete"];
  const subs = new Map(topics.map((t) => [subscribe(w, `wamp.subscription.${t}`), t]));
  const a = await join();
  const b = await join();
  const id = subscribe(a, "com.example", { match: "prefix" });
  subscribe(b, "com.example", { match: "prefix" });
  subscribe(b, "wamp.session.on_leave"); // meta topics: no events
  const r = b.request(34, id);
  assert.deepEqual(b.take(), [35, r]);
  a.drop();
  await settle();
  const seen = w.inbox.filter((m) => m[0] === 36).map((m) => [subs.get(m[1] as number), ...(m[4] as unknown[])]);
  assert.deepEqual(seen, [
    ["on_create", a.sessionId, { id, created: new Date(clock.now()).toISOString(), uri: "com.example", match: "prefix" }],
    ["on_subscribe", a.sessionId, id],
    ["on_subscribe", b.sessionId, id],
    ["on_unsubscribe", b.sessionId, id],
    ["on_unsubscribe", a.sessionId, id],
    ["on_delete", a.sessionId, id],
  ]);
});

test("meta: wamp.subscription.get_events errors (no history kept, unknown id, bad filters)", async () => {
  const { join } = setup();
  const a = await join();
  const id = subscribe(a, "com.example.h");
  assert.equal(await fails(a, "wamp.subscription.get_events", [id]), "wamp.error.history_unavailable");
  assert.equal(await fails(a, "wamp.subscription.get_events", [id], { limit: 10, reverse: true }), "wamp.error.history_unavailable");
  assert.equal(await fails(a, "wamp.subscription.get_events", [id + 1]), "wamp.error.no_such_subscription");
  assert.equal(await fails(a, "wamp.subscription.get_events", [id], { limit: 0 }), "wamp.error.invalid_argument");
  assert.equal(await fails(a, "wamp.subscription.get_events", [id], { from_time: "yesterday" }), "wamp.error.invalid_argument");
  assert.equal(await fails(a, "wamp.subscription.get_events", []), "wamp.error.invalid_argument");
});

// --- testaments ---

test("meta: testaments are published when the transport is lost, detached scope first, in order", async () => {
  const { join } = setup();
  const b = await join();
  const t = subscribe(b, "com.example.will");
  const a = await join();
  assert.deepEqual(await ok(a, "wamp.session.add_testament", ["com.example.will", ["destroyed 1"], { n: 1 }]), []);
  assert.deepEqual(
    await ok(a, "wamp.session.add_testament", ["com.example.will", ["detached"], {}], { scope: "detached" }),
    [],
  );
  assert.deepEqual(
    await ok(a, "wamp.session.add_testament", ["com.example.will", ["destroyed 2"]], { scope: "destroyed" }),
    [],
  );
  await settle();
  assert.deepEqual(events(b, t), [], "nothing while the session lives");
  a.drop();
  await settle();
  assert.deepEqual(events(b, t), [
    [["detached"], undefined],
    [["destroyed 1"], { n: 1 }],
    [["destroyed 2"], undefined],
  ]);
});

test("meta: flushed testaments are not published; flush empties only its scope and returns the count", async () => {
  const { join } = setup();
  const b = await join();
  const t = subscribe(b, "com.example.will");
  const a = await join();
  await ok(a, "wamp.session.add_testament", ["com.example.will", ["x"], {}]);
  await ok(a, "wamp.session.add_testament", ["com.example.will", ["y"], {}]);
  await ok(a, "wamp.session.add_testament", ["com.example.will", ["kept"], {}], { scope: "detached" });
  assert.deepEqual(await ok(a, "wamp.session.flush_testaments"), [2], "default scope: destroyed");
  assert.deepEqual(await ok(a, "wamp.session.flush_testaments", [], { scope: "destroyed" }), [0]);
  a.drop();
  await settle();
  assert.deepEqual(events(b, t), [[["kept"], undefined]]);
  const c = await join();
  await ok(c, "wamp.session.add_testament", ["com.example.will", ["z"], {}], { scope: "detached" });
  assert.deepEqual(await ok(c, "wamp.session.flush_testaments", ["detached"]), [1]);
  c.drop();
  await settle();
  assert.deepEqual(events(b, t), []);
});

test("meta: testaments are published on GOODBYE and on kill, with their publish options", async () => {
  const { join } = setup({ authenticator: trusting });
  const admin = await join({ authid: "admin", authrole: "admin" });
  const fan = await join({ authid: "fan", authrole: "user" });
  const tAdmin = subscribe(admin, "com.example.will");
  const tFan = subscribe(fan, "com.example.will");
  const a = await join({ authid: "a", authrole: "user" });
  await ok(a, "wamp.session.add_testament", ["com.example.will", ["admins only"], {}], {
    publish_options: { eligible_authrole: ["admin"], acknowledge: true },
  });
  a.send([6, {}, "wamp.close.close_realm"]);
  await settle();
  assert.deepEqual(events(admin, tAdmin), [[["admins only"], undefined]]);
  assert.deepEqual(events(fan, tFan), [], "eligible_authrole was honoured");
  const v = await join({ authid: "v", authrole: "user" });
  await ok(v, "wamp.session.add_testament", ["com.example.will", ["killed"], {}]);
  await ok(admin, "wamp.session.kill", [v.sessionId]);
  await settle();
  assert.deepEqual(events(fan, tFan), [[["killed"], undefined]]);
  assert.deepEqual(events(admin, tAdmin), [[["killed"], undefined]]);
});

test("meta: add_testament and flush_testaments validate their arguments", async () => {
  const { join } = setup({ uriCheck: "strict" });
  const a = await join();
  const add = (args: unknown[], kwargs?: Dict) => fails(a, "wamp.session.add_testament", args, kwargs);
  assert.equal(await add(["Not.Strict", [], {}]), "wamp.error.invalid_uri", "the realm's URI check applies");
  assert.equal(await add(["bad topic", [], {}]), "wamp.error.invalid_uri");
  assert.equal(await add([7, [], {}]), "wamp.error.invalid_uri");
  assert.equal(await add(["wamp.session.on_leave", [], {}]), "wamp.error.invalid_uri", "no testaments on meta topics");
  assert.equal(await add([]), "wamp.error.invalid_argument", "topic is required");
  assert.equal(await add(["com.t", {}, {}]), "wamp.error.invalid_argument", "args must be a list");
  assert.equal(await add(["com.t", [], []]), "wamp.error.invalid_argument", "kwargs must be a dict");
  assert.equal(await add(["com.t", [], {}], { scope: "forever" }), "wamp.error.invalid_argument");
  assert.equal(await add(["com.t", [], {}], { publish_options: [] }), "wamp.error.invalid_argument");
  assert.equal(await add(["com.t", [], {}], { retain: true }), "wamp.error.invalid_argument");
  assert.equal(await fails(a, "wamp.session.flush_testaments", [], { scope: 3 }), "wamp.error.invalid_argument");
  assert.deepEqual(await ok(a, "wamp.session.add_testament", ["com.t"]), [], "args and kwargs may be left out");
});

test("meta: an authorizer governs calls of meta procedures like any other", async () => {
  const { join } = setup({
    authorizer: { authorize: (_who, action, uri) => !(action === "call" && uri.startsWith("wamp.session.kill")) },
  });
  const a = await join();
  const b = await join();
  assert.equal(await fails(a, "wamp.session.kill", [b.sessionId]), "wamp.error.not_authorized");
  assert.deepEqual(await ok(a, "wamp.session.count"), [2]);
});

test("meta: testaments and event history act for the caller, so the caller's grants apply", async () => {
  const { join } = setup({
    authenticator: trusting,
    authorizer: {
      authorize: (who, action, uri) =>
        who.authrole === "admin" || !((action === "publish" || action === "subscribe") && uri.startsWith("com.secret")),
    },
  });
  const admin = await join({ authid: "admin", authrole: "admin" });
  const secret = subscribe(admin, "com.secret.alerts");
  const open = subscribe(admin, "com.open");
  const guest = await join({ authid: "guest", authrole: "guest" });
  assert.equal(await fails(guest, "wamp.session.add_testament", ["com.secret.alerts", ["boo"], {}]), "wamp.error.not_authorized");
  await ok(guest, "wamp.session.add_testament", ["com.open", ["bye"], {}]);
  assert.equal(await fails(guest, "wamp.subscription.get_events", [secret]), "wamp.error.not_authorized");
  assert.equal(await fails(admin, "wamp.subscription.get_events", [secret]), "wamp.error.history_unavailable");
  guest.drop();
  await settle();
  assert.deepEqual(events(admin, secret), []);
  assert.deepEqual(events(admin, open), [[["bye"], undefined]]);
});

test("meta: get_events returns the subscription's kept events, filtered, as Arguments", async () => {
  const { join, clock } = setup({ history: [{ uri: "com.example.h", match: "exact", limit: 10 }] });
  const a = await join();
  const id = subscribe(a, "com.example.h");
  const pub = await join();
  const at = new Date(clock.now()).toISOString();
  for (const n of [1, 2, 3]) pub.request(16, {}, "com.example.h", [n], { n });
  events(a, id);
  const [first, second, third] = await ok(a, "wamp.subscription.get_events", [id]) as Dict[];
  assert.deepEqual(first, { timestamp: at, subscription: id, publication: first!.publication, details: {}, args: [1], kwargs: { n: 1 } });
  assert.deepEqual([second!.args, third!.args], [[2], [3]]);
  const newest = await ok(a, "wamp.subscription.get_events", [id], { reverse: true, limit: 2, ignored: "unknown keys" });
  assert.deepEqual(newest.map((e) => (e as Dict).args), [[3], [2]]);
  assert.deepEqual(await ok(a, "wamp.subscription.get_events", [id], { after_publication: third!.publication }), []);
});
