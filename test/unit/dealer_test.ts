import assert from "node:assert/strict";
import { test } from "../_support/harness.ts";
import { FakeClock } from "../_support/fake_clock.ts";
import { SeededRandom } from "../_support/seeded_random.ts";
import { MemoryClient } from "../_support/memory_client.ts";
import { Router } from "../../src/router/router.ts";
import type { RealmOptions } from "../../src/router/options.ts";

type Features = Record<string, boolean>;

function setup(realm: Partial<RealmOptions> = {}) {
  const clock = new FakeClock();
  const router = new Router({ realms: [{ name: "realm1", ...realm }], clock, random: new SeededRandom(3) });
  const join = (features: Features = {}, authid?: string) => {
    const c = new MemoryClient(router);
    const roles = { caller: { features }, callee: { features }, publisher: {}, subscriber: {} };
    const w = c.hello("realm1", authid ? { roles, authid } : { roles });
    assert.equal(w[0], 2);
    return c;
  };
  return { clock, router, join };
}

function register(c: MemoryClient, procedure: string, options: Record<string, unknown> = {}): number {
  const r = c.request(64, options, procedure);
  const m = c.take();
  assert.equal(m[0], 65, `REGISTER ${procedure} ${JSON.stringify(options)} -> ${JSON.stringify(m)}`);
  assert.equal(m[1], r);
  return m[2] as number;
}

const ALL: Features = {
  progressive_call_results: true,
  progressive_call_invocations: true,
  call_canceling: true,
  call_timeout: true,
  caller_identification: true,
  registration_revocation: true,
  payload_passthru_mode: true,
};

test("dealer: progressive call results stream to a caller that asked for them", () => {
  const { join } = setup();
  const callee = join(ALL);
  const caller = join(ALL);
  register(callee, "p.stream");
  const cr = caller.request(48, { receive_progress: true }, "p.stream");
  const inv = callee.take();
  assert.equal((inv[3] as Record<string, unknown>).receive_progress, true);
  for (let i = 0; i < 3; i++) callee.send([70, inv[1], { progress: true }, [i]]);
  callee.send([70, inv[1], {}, ["done"]]);
  for (let i = 0; i < 3; i++) assert.deepEqual(caller.take(), [50, cr, { progress: true }, [i]]);
  assert.deepEqual(caller.take(), [50, cr, {}, ["done"]]);
  assert.equal(caller.inbox.length, 0);
});

test("dealer: progressive YIELDs are dropped for a caller that did not ask; no receive_progress to callees without the feature", () => {
  const { join } = setup();
  const callee = join(ALL);
  const caller = join(ALL);
  register(callee, "p.stream");
  const cr = caller.request(48, {}, "p.stream");
  const inv = callee.take();
  assert.equal((inv[3] as Record<string, unknown>).receive_progress, undefined);
  callee.send([70, inv[1], { progress: true }, [1]]);
  assert.equal(caller.inbox.length, 0);
  callee.send([70, inv[1], {}, [2]]);
  assert.deepEqual(caller.take(), [50, cr, {}, [2]]);

  const plain = join({});
  register(plain, "p.plain");
  caller.request(48, { receive_progress: true }, "p.plain");
  assert.equal((plain.take()[3] as Record<string, unknown>).receive_progress, undefined);
});

test("dealer: progressive call invocations reuse the request and invocation ids, sticky to one callee", () => {
  const { join } = setup({ strictRequestIds: true });
  const callee = join(ALL);
  const caller = join(ALL);
  register(callee, "p.upload");
  caller.send([48, 1, { progress: true }, "p.upload", ["chunk1"]]);
  const i1 = callee.take();
  assert.deepEqual(i1[3], { progress: true });
  caller.send([48, 1, { progress: true }, "p.upload", ["chunk2"]]);
  const i2 = callee.take();
  assert.equal(i2[1], i1[1], "same INVOCATION id");
  assert.deepEqual(i2[3], { progress: true });
  caller.send([48, 1, {}, "p.upload", ["last"]]);
  const i3 = callee.take();
  assert.deepEqual(i3[3], {});
  assert.deepEqual(i3[4], ["last"]);
  callee.send([70, i1[1], {}, ["ok"]]);
  assert.deepEqual(caller.take(), [50, 1, {}, ["ok"]]);
  // A late chunk of the finished call is dropped quietly; the next call id continues the sequence.
  caller.send([48, 1, { progress: true }, "p.upload", ["late"]]);
  assert.equal(callee.inbox.length, 0);
  assert.equal(caller.closed, false);
  caller.send([48, 2, {}, "p.upload"]);
  assert.equal(callee.take()[0], 68);
});

test("dealer: progressive invocation refusals", () => {
  const { join } = setup();
  const callee = join({});
  const caller = join(ALL);
  register(callee, "p.old");
  const r = caller.request(48, { progress: true }, "p.old");
  assert.deepEqual(caller.take().slice(0, 5), [8, 48, r, {}, "wamp.error.feature_not_supported"]);

  // Reusing the id of a non-progressive call in flight is a protocol violation.
  const c2 = join(ALL);
  const r2 = c2.request(48, {}, "p.old");
  callee.take();
  c2.send([48, r2, { progress: true }, "p.old"]);
  assert.equal(c2.take()[2], "wamp.error.protocol_violation");

  // Progressive CALL from a caller that did not announce the feature.
  const c3 = join({});
  c3.request(48, { progress: true }, "p.old");
  assert.equal(c3.take()[2], "wamp.error.protocol_violation");
});

test("dealer: call timeout cancels at the dealer with wamp.error.timeout and interrupts the callee", () => {
  const { join, clock } = setup();
  const callee = join(ALL);
  const caller = join(ALL);
  register(callee, "p.slow");
  const cr = caller.request(48, { timeout: 1000 }, "p.slow");
  const inv = callee.take();
  assert.equal((inv[3] as Record<string, unknown>).timeout, undefined, "not forwarded without forward_timeout");
  clock.advance(999);
  assert.equal(caller.inbox.length, 0);
  clock.advance(1);
  assert.deepEqual(caller.take().slice(0, 5), [8, 48, cr, {}, "wamp.error.timeout"]);
  const intr = callee.take();
  assert.equal(intr[0], 69);
  assert.equal(intr[1], inv[1]);
  assert.equal((intr[2] as Record<string, unknown>).mode, "killnowait");
  callee.send([70, inv[1], {}, [1]]);
  assert.equal(caller.inbox.length, 0, "late result dropped");

  // A result in time stops the timer.
  const cr2 = caller.request(48, { timeout: 1000 }, "p.slow");
  const inv2 = callee.take();
  callee.send([70, inv2[1], {}, [2]]);
  assert.deepEqual(caller.take(), [50, cr2, {}, [2]]);
  clock.advance(5000);
  assert.equal(caller.inbox.length, 0);

  const bad = caller.request(48, { timeout: -1 }, "p.slow");
  assert.deepEqual(caller.take().slice(0, 5), [8, 48, bad, {}, "wamp.error.invalid_argument"]);
});

test("dealer: with progressive results the timeout runs between results", () => {
  const { join, clock } = setup();
  const callee = join(ALL);
  const caller = join(ALL);
  register(callee, "p.stream");
  const cr = caller.request(48, { timeout: 100, receive_progress: true }, "p.stream");
  const inv = callee.take();
  clock.advance(90);
  callee.send([70, inv[1], { progress: true }, [1]]);
  caller.take();
  clock.advance(90);
  assert.equal(caller.inbox.length, 0);
  clock.advance(10);
  assert.equal(caller.take()[4], "wamp.error.timeout");
  assert.equal(caller.inbox.length, 0);
  void cr;
});

test("dealer: forward_timeout hands the timeout to a callee that enforces it", () => {
  const { join, clock } = setup();
  const callee = join(ALL);
  const caller = join(ALL);
  register(callee, "p.own", { forward_timeout: true });
  caller.request(48, { timeout: 50 }, "p.own");
  const inv = callee.take();
  assert.equal((inv[3] as Record<string, unknown>).timeout, 50);
  clock.advance(1000);
  assert.equal(caller.inbox.length, 0, "the dealer runs no timer of its own");
});

test("dealer: caller identification by disclose_me and disclose_caller; a realm can forbid disclose_me", () => {
  const { join } = setup();
  const callee = join(ALL);
  const caller = join(ALL, "alice");
  register(callee, "p.who");
  caller.request(48, { disclose_me: true }, "p.who");
  const d = callee.take()[3] as Record<string, unknown>;
  assert.equal(d.caller, caller.sessionId);
  assert.equal(d.caller_authid, "alice");
  assert.equal(d.caller_authrole, "anonymous");
  caller.request(48, {}, "p.who");
  assert.equal((callee.take()[3] as Record<string, unknown>).caller, undefined);
  register(callee, "p.always", { disclose_caller: true });
  caller.request(48, {}, "p.always");
  assert.equal((callee.take()[3] as Record<string, unknown>).caller, caller.sessionId);

  const closed = setup({ allowDisclose: false });
  const ce = closed.join(ALL);
  const ca = closed.join(ALL);
  register(ce, "p.who");
  const r = ca.request(48, { disclose_me: true }, "p.who");
  assert.deepEqual(ca.take().slice(0, 5), [8, 48, r, {}, "wamp.error.option_disallowed.disclose_me"]);
});

// The spec's example lists 'a1.b2.c3..e5' and calls 'a1.b2.c3.d4.e5', which its own prefix
// rule (a plain string prefix) would send to prefix 'a1.b2.c3'; the fifth pattern is moved to
// 'c77' so that the case tests what it means to: the longest literal run before a wildcard.
test("dealer: pattern-based registration precedence follows the spec's vectors", () => {
  const { join } = setup();
  const callee = join(ALL);
  const caller = join(ALL);
  const regs = [
    register(callee, "a1.b2.c3.d4.e55"),
    register(callee, "a1.b2.c3", { match: "prefix" }),
    register(callee, "a1.b2.c3.d4", { match: "prefix" }),
    register(callee, "a1.b2..d4.e5", { match: "wildcard" }),
    register(callee, "a1.b2.c77..e5", { match: "wildcard" }),
    register(callee, "a1.b2..d4.e5..g7", { match: "wildcard" }),
    register(callee, "a1.b2..d4..f6.g7", { match: "wildcard" }),
  ];
  const cases: Array<[string, number]> = [
    ["a1.b2.c3.d4.e55", 0],
    ["a1.b2.c3.d98.e74", 1],
    ["a1.b2.c3.d4.e325", 2],
    ["a1.b2.c55.d4.e5", 3],
    ["a1.b2.c77.d4.e5", 4],
    ["a1.b2.c33.d4.e5", 1],
    ["a1.b2.c88.d4.e5.f6.g7", 5],
  ];
  for (const [uri, expected] of cases) {
    caller.request(48, {}, uri);
    const inv = callee.take();
    assert.equal(inv[2], regs[expected], `${uri} -> registration ${expected + 1}`);
    const details = inv[3] as Record<string, unknown>;
    assert.equal(details.procedure, expected === 0 ? undefined : uri, "concrete URI for pattern matches");
    callee.send([70, inv[1], {}]);
    caller.take();
  }
  caller.request(48, {}, "a2.b2.c2.d2.e2");
  assert.equal(caller.take()[4], "wamp.error.no_such_procedure");
  const bad = callee.request(64, { match: "fuzzy" }, "x.y");
  assert.deepEqual(callee.take().slice(0, 5), [8, 64, bad, {}, "wamp.error.invalid_argument"]);
  callee.request(64, {}, "a..b");
  assert.equal(callee.take()[4], "wamp.error.invalid_uri", "empty components only for wildcard");
  // The same URI may be registered once per match policy.
  register(callee, "a1.b2.c3.d4.e55", { match: "prefix" });
});

test("dealer: shared registration policies", () => {
  const { join } = setup();
  const callees = [join(ALL), join(ALL), join(ALL)];
  const caller = join(ALL);
  const ids = callees.map((c) => register(c, "p.rr", { invoke: "roundrobin" }));
  assert.ok(ids.every((id) => id === ids[0]), "one registration shared by all callees");
  const seen: number[] = [];
  for (let i = 0; i < 6; i++) {
    caller.request(48, {}, "p.rr");
    const idx = callees.findIndex((c) => c.inbox.length > 0);
    seen.push(idx);
    const inv = callees[idx]!.take();
    callees[idx]!.send([70, inv[1], {}]);
    caller.take();
  }
  assert.deepEqual(seen, [0, 1, 2, 0, 1, 2]);

  for (const policy of ["first", "last"] as const) {
    const a = join(ALL);
    const b = join(ALL);
    register(a, `p.${policy}`, { invoke: policy });
    register(b, `p.${policy}`, { invoke: policy });
    caller.request(48, {}, `p.${policy}`);
    const [chosen, other] = policy === "first" ? [a, b] : [b, a];
    assert.equal(chosen.inbox.length, 1);
    assert.equal(other.inbox.length, 0);
    chosen.send([70, chosen.take()[1], {}]);
    caller.take();
    chosen.drop();
    caller.request(48, {}, `p.${policy}`);
    assert.equal(other.inbox.length, 1, "the standby takes over");
  }

  const r1 = join(ALL);
  const r2 = join(ALL);
  register(r1, "p.random", { invoke: "random" });
  register(r2, "p.random", { invoke: "random" });
  for (let i = 0; i < 20; i++) caller.request(48, {}, "p.random");
  assert.equal(r1.inbox.length + r2.inbox.length, 20);
  assert.ok(r1.inbox.length > 0 && r2.inbox.length > 0, "both callees used");

  const x = join(ALL);
  const r = x.request(64, { invoke: "random" }, "p.rr");
  const err = x.take();
  assert.deepEqual(err.slice(0, 5), [8, 64, r, {}, "wamp.error.procedure_already_exists"]);
  assert.match(String((err[5] as string[])[0]), /roundrobin/);
  const y = join(ALL);
  register(y, "p.single");
  const r3 = x.request(64, { invoke: "roundrobin" }, "p.single");
  assert.deepEqual(x.take().slice(0, 5), [8, 64, r3, {}, "wamp.error.procedure_already_exists"]);
  const r4 = callees[0]!.request(64, { invoke: "roundrobin" }, "p.rr");
  assert.equal(callees[0]!.take()[4], "wamp.error.procedure_already_exists", "same session twice");
  void r4;
  const r5 = x.request(64, { invoke: "sometimes" }, "p.z");
  assert.deepEqual(x.take().slice(0, 5), [8, 64, r5, {}, "wamp.error.invalid_argument"]);
});

test("dealer: sharded calls with the same rkey reach the same callee", () => {
  const { join } = setup();
  const callees = [join(ALL), join(ALL), join(ALL), join(ALL)];
  const caller = join(ALL);
  for (const c of callees) register(c, "p.shard", { invoke: "roundrobin" });
  const target = (rkey: string) => {
    caller.request(48, { runmode: "partition", rkey }, "p.shard");
    const idx = callees.findIndex((c) => c.inbox.length > 0);
    const inv = callees[idx]!.take();
    callees[idx]!.send([70, inv[1], {}]);
    caller.take();
    return idx;
  };
  const keys = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"];
  const first = keys.map(target);
  const again = keys.map(target);
  assert.deepEqual(again, first);
  assert.ok(new Set(first).size > 1, "keys spread over callees");
  const r = caller.request(48, { runmode: "partition" }, "p.shard");
  assert.deepEqual(caller.take().slice(0, 5), [8, 48, r, {}, "wamp.error.invalid_argument"]);
  const r2 = caller.request(48, { runmode: "all", rkey: "x" }, "p.shard");
  assert.equal(caller.take()[4], "wamp.error.invalid_argument");
  void r2;
});

test("dealer: removeCallee revokes with the UNREGISTERED revocation form", () => {
  const { join, router } = setup();
  const a = join(ALL);
  const b = join({});
  const caller = join(ALL);
  const dealer = router.realm("realm1")!.dealer;
  const before = dealer.registrationCount; // the meta API's own registrations
  const ra = register(a, "p.a");
  const rb = register(b, "p.b");
  const sa = [...router.realm("realm1")!.sessions()].find((s) => s.id === a.sessionId)!;
  const sb = [...router.realm("realm1")!.sessions()].find((s) => s.id === b.sessionId)!;
  assert.equal(dealer.removeCallee(ra, sa, "wamp.error.unregistered"), true);
  assert.deepEqual(a.take(), [67, 0, { registration: ra, reason: "wamp.error.unregistered" }]);
  assert.equal(dealer.removeCallee(rb, sb), true);
  assert.equal(b.inbox.length, 0, "no revocation message without the feature");
  assert.equal(dealer.removeCallee(rb, sb), false);
  caller.request(48, {}, "p.a");
  assert.equal(caller.take()[4], "wamp.error.no_such_procedure");
  assert.equal(dealer.registrationCount, before);
});

test("dealer: payload passthru options travel to the callee and back", () => {
  const { join } = setup();
  const callee = join(ALL);
  const caller = join(ALL);
  const plain = join({});
  register(callee, "p.ppt");
  const blob = new Uint8Array([1, 2, 3]);
  const cr = caller.request(48, { ppt_scheme: "x_custom", ppt_serializer: "cbor" }, "p.ppt", [blob]);
  const inv = callee.take();
  assert.deepEqual(inv[3], { ppt_scheme: "x_custom", ppt_serializer: "cbor" });
  assert.deepEqual(inv[4], [blob]);
  callee.send([70, inv[1], { ppt_scheme: "x_custom", ppt_serializer: "cbor" }, [blob]]);
  assert.deepEqual(caller.take(), [50, cr, { ppt_scheme: "x_custom", ppt_serializer: "cbor" }, [blob]]);

  const bad = caller.request(48, { ppt_serializer: "cbor" }, "p.ppt");
  assert.equal(caller.take()[4], "wamp.error.invalid_argument", "ppt_scheme is required");
  void bad;
  const nocallee = join({});
  register(nocallee, "p.noppt");
  caller.request(48, { ppt_scheme: "x_custom" }, "p.noppt");
  assert.equal(caller.take()[4], "wamp.error.feature_not_supported");
  plain.request(48, { ppt_scheme: "x_custom" }, "p.ppt");
  assert.equal(plain.take()[2], "wamp.error.protocol_violation", "ppt without announcing the feature");
});

test("dealer: a timeout beyond the 32-bit timer range is waited in steps, not fired at once", () => {
  const { join, clock } = setup();
  const callee = join(ALL);
  const caller = join(ALL);
  register(callee, "p.slow");
  const long = 2 ** 31 + 5000;
  const cr = caller.request(48, { timeout: long }, "p.slow");
  callee.take();
  clock.advance(2 ** 31);
  assert.equal(caller.inbox.length, 0, "still waiting after 2^31 ms");
  clock.advance(5000);
  assert.deepEqual(caller.take().slice(0, 5), [8, 48, cr, {}, "wamp.error.timeout"]);
});

test("dealer: payload_transparency (Autobahn's name for the feature) counts as payload_passthru_mode", () => {
  const { join } = setup();
  const autobahnStyle: Features = { payload_transparency: true };
  const callee = join(autobahnStyle);
  const caller = join(autobahnStyle);
  register(callee, "p.ppt2");
  const cr = caller.request(48, { ppt_scheme: "x_custom" }, "p.ppt2", [new Uint8Array([1])]);
  const inv = callee.take();
  assert.deepEqual(inv[3], { ppt_scheme: "x_custom" });
  callee.send([70, inv[1], { ppt_scheme: "x_custom" }, [new Uint8Array([2])]]);
  assert.deepEqual(caller.take(), [50, cr, { ppt_scheme: "x_custom" }, [new Uint8Array([2])]]);
});
