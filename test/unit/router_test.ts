import assert from "node:assert/strict";
import { test } from "../_support/harness.ts";
import { FakeClock } from "../_support/fake_clock.ts";
import { SeededRandom } from "../_support/seeded_random.ts";
import { ALL_ROLES, MemoryClient } from "../_support/memory_client.ts";
import { Router } from "../../src/router/router.ts";
import type { RouterOptions } from "../../src/router/options.ts";

function setup(opts: RouterOptions = {}) {
  const clock = new FakeClock();
  const router = new Router({ realms: [{ name: "realm1" }], clock, random: new SeededRandom(7), ...opts });
  const client = (protocol = "wamp.2.json") => new MemoryClient(router, protocol);
  const joined = (protocol = "wamp.2.json", details?: Record<string, unknown>) => {
    const c = client(protocol);
    const w = c.hello("realm1", details);
    assert.equal(w[0], 2, `expected WELCOME, got ${JSON.stringify(w)}`);
    return c;
  };
  return { clock, router, client, joined };
}

function assertAbort(c: MemoryClient, reason: string, messageIncludes?: string) {
  const m = c.take();
  assert.equal(m[0], 3, `expected ABORT, got ${JSON.stringify(m)}`);
  assert.equal(m[2], reason);
  if (messageIncludes) assert.match(String((m[1] as { message?: string }).message), new RegExp(messageIncludes));
  assert.equal(c.closed, true, "transport closed after ABORT");
}

test("HELLO gets WELCOME with a random session id, realm, auth details and router roles", () => {
  const { client } = setup();
  const c = client();
  const w = c.hello("realm1", { roles: ALL_ROLES, agent: "test" });
  assert.equal(w[0], 2);
  const id = w[1] as number;
  assert.ok(Number.isInteger(id) && id >= 1 && id <= 2 ** 53);
  const d = w[2] as Record<string, unknown>;
  assert.equal(d.realm, "realm1");
  assert.equal(d.authrole, "anonymous");
  assert.equal(d.authmethod, "anonymous");
  assert.equal(typeof d.authid, "string");
  const roles = d.roles as Record<string, { features: Record<string, boolean> }>;
  assert.ok(roles.broker && roles.dealer);
  assert.equal(roles.broker.features.publisher_exclusion, true);
  assert.match(String(d.agent), /^Junction\//);
});

test("HELLO for an unknown realm gets ABORT no_such_realm; autoCreateRealms creates it", () => {
  const { client } = setup();
  const c = client();
  c.send([1, "nope", { roles: ALL_ROLES }]);
  assertAbort(c, "wamp.error.no_such_realm", "nope");
  const auto = setup({ autoCreateRealms: true });
  const c2 = auto.client();
  assert.equal(c2.hello("fresh.realm")[0], 2);
  assert.ok(auto.router.realm("fresh.realm"));
});

test("HELLO with an invalid realm URI gets ABORT invalid_uri", () => {
  const { client } = setup();
  const c = client();
  c.send([1, "bad realm", { roles: ALL_ROLES }]);
  assertAbort(c, "wamp.error.invalid_uri");
});

test("HELLO without roles is a protocol violation", () => {
  const { client } = setup();
  const c = client();
  c.send([1, "realm1", {}]);
  assertAbort(c, "wamp.error.protocol_violation", "roles");
});

test("messages before HELLO are protocol violations", () => {
  for (const m of [[32, 1, {}, "t"], [6, {}, "wamp.close.close_realm"], [8, 68, 1, {}, "x"], [70, 1, {}], [5, "sig", {}]]) {
    const { client } = setup();
    const c = client();
    c.send(m);
    assertAbort(c, "wamp.error.protocol_violation");
  }
});

test("ABORT before WELCOME is never answered", () => {
  const { client } = setup();
  const c = client();
  c.send([3, {}, "wamp.close.system_shutdown"]);
  assert.equal(c.inbox.length, 0);
  assert.equal(c.closed, true);
});

test("malformed messages get ABORT protocol_violation with a readable reason", () => {
  const cases: Array<[unknown, string]> = [
    [[], "empty"],
    [{ a: 1 }, "must be a list"],
    [["HELLO", 1], "integer message type"],
    [[0, 1, {}], "unknown message type 0"],
    [[2, 1, {}], "only by routers"],
    [[36, 1, 2, {}], "only by routers"],
    [[32, 2, {}], "4 elements"],
    [[32, 2, [], "t"], "must be a dict"],
    [[32, 0, {}, "t"], "must be an id"],
    [[32, 2 ** 53 + 2, {}, "t"], "must be an id"],
    [[48, 2, {}, "p", {}], "must be a list"],
    [[48, 2, {}, "p", [], []], "must be a dict"],
    [[16, 1.5, {}, "t"], "must be an id"],
    [[1, "realm1", { roles: ALL_ROLES }], "HELLO in an established session"],
    [[5, "x", {}], "AUTHENTICATE"],
    [[8, 48, 1, {}, "x"], "only send ERROR for INVOCATION"],
  ];
  for (const [msg, why] of cases) {
    const { joined } = setup();
    const c = joined();
    c.send(msg as unknown[]);
    assertAbort(c, "wamp.error.protocol_violation", why);
  }
});

test("undecodable and wrong-kind frames are protocol violations", () => {
  const { joined } = setup();
  const a = joined();
  a.sendFrame("[1, 2");
  assertAbort(a, "wamp.error.protocol_violation", "decoded");
  const b = joined();
  b.sendFrame(new Uint8Array([0x91, 0x01]));
  assertAbort(b, "wamp.error.protocol_violation", "binary frame");
  const c = joined("wamp.2.cbor");
  c.sendFrame("[1]");
  assertAbort(c, "wamp.error.protocol_violation", "text frame");
});

test("GOODBYE is answered with goodbye_and_out and the transport can join again", () => {
  const { joined } = setup();
  const c = joined();
  c.send([6, {}, "wamp.close.close_realm"]);
  assert.deepEqual(c.take(), [6, {}, "wamp.close.goodbye_and_out"]);
  assert.equal(c.closed, false);
  assert.equal(c.hello()[0], 2);
});

test("a transport that never sends HELLO is closed after the HELLO timeout", () => {
  const { client, clock, router } = setup({ helloTimeoutMs: 5_000 });
  const c = client();
  clock.advance(4_999);
  assert.equal(c.closed, false);
  clock.advance(1);
  assert.equal(c.closed, true);
  const joinedClient = client();
  joinedClient.hello();
  clock.advance(60_000);
  assert.equal(joinedClient.closed, false, "the timer stops at HELLO");
  assert.equal(router.sessionCount >= 1, true);
});

test("subscribe, publish, event: publisher excluded by default, acknowledge, shared subscription id", () => {
  const { joined } = setup();
  const sub1 = joined();
  const sub2 = joined("wamp.2.msgpack");
  const pub = joined("wamp.2.cbor");
  const r1 = sub1.request(32, {}, "com.example.topic");
  const s1 = sub1.take();
  assert.equal(s1[0], 33);
  assert.equal(s1[1], r1);
  sub2.request(32, {}, "com.example.topic");
  const s2 = sub2.take();
  assert.equal(s2[2], s1[2], "same topic, same subscription id");
  pub.request(32, {}, "com.example.topic");
  pub.take();

  const req = pub.request(16, { acknowledge: true }, "com.example.topic", [1, "two"], { k: new Uint8Array([1, 2, 3]) });
  const ack = pub.take();
  assert.equal(ack[0], 17);
  assert.equal(ack[1], req);
  for (const s of [sub1, sub2]) {
    const ev = s.take();
    assert.equal(ev[0], 36);
    assert.equal(ev[1], s1[2]);
    assert.equal(ev[2], ack[2], "EVENT carries the publication id of PUBLISHED");
    assert.deepEqual(ev[4], [1, "two"]);
    assert.deepEqual((ev[5] as { k: Uint8Array }).k, new Uint8Array([1, 2, 3]));
  }
  assert.equal(pub.inbox.length, 0, "publisher excluded by default");

  pub.request(16, { exclude_me: false }, "com.example.topic");
  assert.equal(pub.take()[0], 36, "exclude_me false delivers to the publisher");
  assert.equal(sub1.take()[0], 36);
});

test("unacknowledged publish with a bad URI gets no answer; acknowledged gets invalid_uri", () => {
  const { joined } = setup();
  const c = joined();
  c.request(16, {}, "bad topic");
  assert.equal(c.inbox.length, 0);
  const r = c.request(16, { acknowledge: true }, "bad topic");
  const e = c.take();
  assert.deepEqual(e.slice(0, 5), [8, 16, r, {}, "wamp.error.invalid_uri"]);
  c.request(16, { acknowledge: true }, "wamp.session.on_join");
  assert.equal(c.take()[4], "wamp.error.invalid_uri", "reserved namespace");
});

test("unsubscribe and no_such_subscription", () => {
  const { joined } = setup();
  const a = joined();
  const b = joined();
  a.request(32, {}, "t.x");
  const subId = a.take()[2];
  const r0 = b.request(34, subId);
  assert.deepEqual(b.take().slice(0, 5), [8, 34, r0, {}, "wamp.error.no_such_subscription"]);
  const r1 = a.request(34, subId);
  assert.deepEqual(a.take(), [35, r1]);
  b.request(16, {}, "t.x");
  assert.equal(a.inbox.length, 0, "no events after unsubscribe");
});

test("register, call, invocation, yield, result across serializers with binary payloads", () => {
  const { joined } = setup();
  const callee = joined("wamp.2.cbor");
  const caller = joined("wamp.2.json");
  const rr = callee.request(64, {}, "com.example.add");
  const reg = callee.take();
  assert.deepEqual(reg.slice(0, 2), [65, rr]);
  const cr = caller.request(48, {}, "com.example.add", [2, 3, new Uint8Array([255, 0])], { x: "y" });
  const inv = callee.take();
  assert.equal(inv[0], 68);
  assert.equal(inv[1], 1, "first INVOCATION id of this callee");
  assert.equal(inv[2], reg[2]);
  assert.deepEqual(inv[4], [2, 3, new Uint8Array([255, 0])]);
  assert.deepEqual(inv[5], { x: "y" });
  callee.send([70, inv[1], {}, [5, new Uint8Array([9])], { ok: true }]);
  const res = caller.take();
  assert.equal(res[0], 50);
  assert.equal(res[1], cr);
  assert.deepEqual(res[3], [5, new Uint8Array([9])]);
  assert.deepEqual(res[4], { ok: true });
  // the second call gets INVOCATION id 2
  caller.request(48, {}, "com.example.add");
  assert.equal(callee.take()[1], 2);
});

test("register twice: procedure_already_exists; unknown procedure: no_such_procedure", () => {
  const { joined } = setup();
  const a = joined();
  const b = joined();
  a.request(64, {}, "p.one");
  a.take();
  const r = b.request(64, {}, "p.one");
  assert.deepEqual(b.take().slice(0, 5), [8, 64, r, {}, "wamp.error.procedure_already_exists"]);
  const c = b.request(48, {}, "p.none");
  assert.deepEqual(b.take().slice(0, 5), [8, 48, c, {}, "wamp.error.no_such_procedure"]);
  const bad = b.request(64, {}, "wamp.session.count");
  assert.deepEqual(b.take().slice(0, 5), [8, 64, bad, {}, "wamp.error.invalid_uri"]);
  const bad2 = b.request(64, {}, "p..x");
  assert.deepEqual(b.take().slice(0, 5), [8, 64, bad2, {}, "wamp.error.invalid_uri"]);
});

test("unregister and no_such_registration", () => {
  const { joined } = setup();
  const a = joined();
  const b = joined();
  a.request(64, {}, "p.one");
  const regId = a.take()[2];
  const rb = b.request(66, regId);
  assert.deepEqual(b.take().slice(0, 5), [8, 66, rb, {}, "wamp.error.no_such_registration"]);
  const ra = a.request(66, regId);
  assert.deepEqual(a.take(), [67, ra]);
  b.request(48, {}, "p.one");
  assert.equal(b.take()[4], "wamp.error.no_such_procedure");
});

test("a callee ERROR reaches the caller with its URI, args and kwargs", () => {
  const { joined } = setup();
  const callee = joined();
  const caller = joined("wamp.2.msgpack");
  callee.request(64, {}, "p.fail");
  callee.take();
  const cr = caller.request(48, {}, "p.fail");
  const inv = callee.take();
  callee.send([8, 68, inv[1], { x: 1 }, "com.example.error.bad", ["why"], { code: 7 }]);
  assert.deepEqual(caller.take(), [8, 48, cr, { x: 1 }, "com.example.error.bad", ["why"], { code: 7 }]);
});

test("a callee that leaves mid-call: its callers get wamp.error.canceled at once", () => {
  const { joined } = setup();
  const callee = joined();
  const caller = joined();
  callee.request(64, {}, "p.slow");
  callee.take();
  const cr = caller.request(48, {}, "p.slow");
  callee.take();
  callee.drop();
  const e = caller.take();
  assert.deepEqual(e.slice(0, 5), [8, 48, cr, {}, "wamp.error.canceled"]);
  caller.request(48, {}, "p.slow");
  assert.equal(caller.take()[4], "wamp.error.no_such_procedure", "registration removed");
});

test("a caller that leaves: the late YIELD is dropped quietly", () => {
  const { joined } = setup();
  const callee = joined();
  const caller = joined();
  callee.request(64, {}, "p.slow");
  callee.take();
  caller.request(48, {}, "p.slow");
  const inv = callee.take();
  caller.drop();
  callee.send([70, inv[1], {}, [1]]);
  assert.equal(callee.inbox.length, 0);
  assert.equal(callee.closed, false);
});

test("YIELD or ERROR for an INVOCATION never sent is a protocol violation", () => {
  const { joined } = setup();
  const callee = joined();
  callee.send([70, 100, {}, [1]]);
  assertAbort(callee, "wamp.error.protocol_violation", "never sent");
  const c2 = joined();
  c2.send([8, 68, 5, {}, "x.y"]);
  assertAbort(c2, "wamp.error.protocol_violation", "never sent");
});

test("a protocol violation removes the session's registrations and subscriptions", () => {
  const { joined, router } = setup();
  const bad = joined();
  bad.request(64, {}, "p.bad");
  bad.take();
  bad.request(32, {}, "t.bad");
  bad.take();
  bad.send([2, 1, {}]);
  assertAbort(bad, "wamp.error.protocol_violation");
  const other = joined();
  other.request(48, {}, "p.bad");
  assert.equal(other.take()[4], "wamp.error.no_such_procedure");
  assert.equal(router.realm("realm1")!.broker.subscriptionCount, 0);
});

test("strictRequestIds: a request id out of sequence is a protocol violation", () => {
  const { joined } = setup({ realms: [{ name: "realm1", strictRequestIds: true }] });
  const c = joined();
  c.send([64, 1, {}, "rpc"]);
  assert.equal(c.take()[0], 65);
  c.send([32, 3, {}, "topic"]);
  assertAbort(c, "wamp.error.protocol_violation", "expected 2");
  const d = joined();
  d.send([64, 1, {}, "rpc2"]);
  d.take();
  d.send([32, 1, {}, "topic"]);
  assertAbort(d, "wamp.error.protocol_violation", "not the next");
});

test("strict URI check is a realm option", () => {
  const { joined } = setup({ realms: [{ name: "realm1", uriCheck: "strict" }] });
  const c = joined();
  const r = c.request(32, {}, "com.Example.Topic");
  assert.deepEqual(c.take().slice(0, 5), [8, 32, r, {}, "wamp.error.invalid_uri"]);
  c.request(32, {}, "com.example.topic");
  assert.equal(c.take()[0], 33);
});

test("shutdown says GOODBYE system_shutdown to every session and closes after the reply", async () => {
  const { joined, router, clock } = setup();
  const a = joined();
  const b = joined("wamp.2.cbor");
  const done = router.shutdown(1_000);
  for (const c of [a, b]) {
    const g = c.take();
    assert.equal(g[0], 6);
    assert.equal(g[2], "wamp.close.system_shutdown");
  }
  a.send([6, {}, "wamp.close.goodbye_and_out"]);
  assert.equal(a.closed, true);
  assert.equal(b.closed, false);
  b.send([48, 9, {}, "ignored"]);
  b.sendFrame("[not json");
  b.send([2, 1, {}]);
  assert.equal(b.inbox.length, 0, "other messages after our GOODBYE are ignored, even malformed ones");
  clock.advance(1_000);
  assert.equal(b.closed, true, "closed after the grace period");
  await done;
});

test("call canceling: skip, killnowait and kill", () => {
  const { joined } = setup();
  const callee = joined("wamp.2.json", { roles: { callee: { features: { call_canceling: true } } } });
  const caller = joined();
  callee.request(64, {}, "p.long");
  callee.take();

  const c1 = caller.request(48, {}, "p.long");
  const i1 = callee.take();
  caller.send([49, c1, { mode: "skip" }]);
  assert.deepEqual(caller.take().slice(0, 5), [8, 48, c1, {}, "wamp.error.canceled"]);
  assert.equal(callee.inbox.length, 0, "skip does not interrupt");
  callee.send([70, i1[1], {}, [1]]);
  assert.equal(caller.inbox.length, 0, "the late result is dropped");

  const c2 = caller.request(48, {}, "p.long");
  const i2 = callee.take();
  caller.send([49, c2, { mode: "killnowait" }]);
  assert.deepEqual(callee.take(), [69, i2[1], { mode: "killnowait" }]);
  assert.equal(caller.take()[4], "wamp.error.canceled");

  const c3 = caller.request(48, {}, "p.long");
  const i3 = callee.take();
  caller.send([49, c3, { mode: "kill" }]);
  assert.deepEqual(callee.take(), [69, i3[1], { mode: "kill" }]);
  assert.equal(caller.inbox.length, 0, "kill waits for the callee");
  callee.send([8, 68, i3[1], {}, "wamp.error.canceled"]);
  assert.deepEqual(caller.take().slice(0, 5), [8, 48, c3, {}, "wamp.error.canceled"]);

  const c4 = caller.request(48, {}, "p.long");
  callee.take();
  caller.send([49, c4, { mode: "bogus" }]);
  assert.equal(caller.take()[4], "wamp.error.invalid_argument");
  caller.send([49, 999, {}]);
  assertAbort(caller, "wamp.error.protocol_violation", "never sent");
});
