/**
 * End to end, the Advanced Profile RPC features the router announces in WELCOME
 * (src/wamp/features.ts, DEALER_FEATURES): progressive call results and invocations, call
 * timeout, call canceling, caller identification, pattern-based, shared and sharded
 * registrations, registration revocation, payload passthru.
 *
 * For each feature:
 * - "raw frames over <cell>": the core scenario with exact frames on all six transport x
 *   serializer cells (WebSocket and RawSocket, json/msgpack/cbor);
 * - "autobahn ..." / "wampy ...": the same with the real clients where they implement the
 *   feature (AutobahnJS on WebSocket json/msgpack/cbor and RawSocket json; Wampy on WebSocket);
 * - "options and refusals": every option key and refusal, over WebSocket/JSON with raw frames.
 *
 * What the clients lack (so raw frames stand in):
 * - AutobahnJS 26.3.1 callees announce neither call_canceling nor call_timeout and do not
 *   handle INTERRUPT; its callers have no progressive call invocations; `cancel()` in skip or
 *   killnowait mode rejects the call locally and forgets it, so the router's (correct) ERROR
 *   for the call then makes autobahn fail its own transport ("CALL-ERROR received for
 *   non-pending request ID"): only `kill` is usable with autobahn.
 * - Wampy 8.0.2 callees announce neither call_canceling nor progressive_call_results; its
 *   callers do not announce progressive_call_invocations although `progressiveCall` sends
 *   progressive CALLs (the router then aborts the session, as the spec asks: tested below).
 *
 * test/unit/features_test.ts lists the tests here that cover each flag.
 * @module
 */
import assert from "node:assert/strict";
import { test } from "../_support/harness.ts";
import {
  type Any,
  assertBytes,
  AUTOBAHN_TRANSPORTS,
  AsyncQueue,
  bytes,
  CALL,
  CANCEL,
  deferred,
  ERROR,
  idOf,
  INTERRUPT,
  INVOCATION,
  type Peer,
  REGISTER,
  rejection,
  RESULT,
  show,
  sleep,
  T,
  TRANSPORTS,
  UNREGISTERED,
  WAMPY_TRANSPORTS,
  withRouter,
  withTimeout,
  without,
  GOODBYE,
  WS_JSON,
  YIELD,
} from "./_advanced.ts";

type Dict = Record<string, unknown>;
const details = (m: unknown[]): Dict => m[3] as Dict;

/** The callee's next message, which must be an INVOCATION. */
async function invocationOf(callee: Peer, what = "INVOCATION"): Promise<unknown[]> {
  return await callee.expect(INVOCATION, what);
}

// =====================================================================================
// progressive_call_results
// =====================================================================================

for (const t of TRANSPORTS) {
  test(`progressive_call_results: raw frames over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const callee = await c.raw(t);
      const caller = await c.raw(t);
      await callee.register("e2e.stream");
      const r = caller.request(CALL, { receive_progress: true }, "e2e.stream", [3]);
      const inv = await invocationOf(callee);
      assert.deepEqual(details(inv), { receive_progress: true });
      for (let i = 0; i < 3; i++) callee.send([YIELD, inv[1], { progress: true }, [i], { n: i }]);
      callee.send([YIELD, inv[1], { progress: true }]); // an empty progressive result is legal
      callee.send([YIELD, inv[1], {}, ["done"]]);
      for (let i = 0; i < 3; i++) assert.deepEqual(await caller.next(), [RESULT, r, { progress: true }, [i], { n: i }]);
      assert.deepEqual(await caller.next(), [RESULT, r, { progress: true }]);
      assert.deepEqual(await caller.next(), [RESULT, r, {}, ["done"]]);
      await caller.barrier("no RESULT after the final one");
    });
  }, T);
}

for (const t of AUTOBAHN_TRANSPORTS) {
  test(`progressive_call_results: autobahn caller with receive_progress over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const callee = await c.raw(t);
      const caller = await c.autobahn(t);
      await callee.register("e2e.stream");
      const p = caller.session.call("e2e.stream", [3], {}, { receive_progress: true });
      const inv = await invocationOf(callee);
      assert.equal(details(inv).receive_progress, true, "autobahn's receive_progress reaches the callee");
      for (let i = 0; i < 3; i++) callee.send([YIELD, inv[1], { progress: true }, [`part ${i}`]]);
      callee.send([YIELD, inv[1], {}, ["total"]]);
      for (let i = 0; i < 3; i++) assert.equal(await p.progress.take(`progressive result ${i}`, 5000), `part ${i}`);
      assert.equal(await withTimeout<Any>(p, "the final result"), "total");
      assert.equal(p.progress.size, 0);
    });
  }, T);
}

for (const t of WAMPY_TRANSPORTS) {
  test(`progressive_call_results: wampy caller with progress_callback over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const callee = await c.raw(t);
      const caller = await c.wampy(t);
      await callee.register("e2e.stream");
      const progress = new AsyncQueue<Any>();
      const p = caller.wampy.call("e2e.stream", [3], { progress_callback: (r: Any) => progress.push(r) });
      const inv = await invocationOf(callee);
      assert.equal(details(inv).receive_progress, true);
      for (let i = 0; i < 3; i++) callee.send([YIELD, inv[1], { progress: true }, [i]]);
      callee.send([YIELD, inv[1], {}, ["total"], { k: 1 }]);
      for (let i = 0; i < 3; i++) assert.deepEqual((await progress.take(`progress ${i}`, 5000)).argsList, [i]);
      const res = await withTimeout<Any>(p, "the final result");
      assert.deepEqual(res.argsList, ["total"]);
      assert.deepEqual(res.argsDict, { k: 1 });
    });
  }, T);
}

test("progressive_call_results: options and refusals over websocket/json (raw frames)", async () => {
  await withRouter(async (c) => {
    const callee = await c.raw(WS_JSON);
    const caller = await c.raw(WS_JSON);
    await callee.register("e2e.stream");

    // A caller that did not ask gets no progressive results, only the final one.
    const r1 = caller.request(CALL, {}, "e2e.stream");
    const inv1 = await invocationOf(callee);
    assert.equal(details(inv1).receive_progress, undefined);
    callee.send([YIELD, inv1[1], { progress: true }, ["dropped"]]);
    callee.send([YIELD, inv1[1], {}, ["final"]]);
    assert.deepEqual(await caller.next(), [RESULT, r1, {}, ["final"]]);

    // receive_progress: false is the same as absent.
    const r2 = caller.request(CALL, { receive_progress: false }, "e2e.stream");
    const inv2 = await invocationOf(callee);
    assert.equal(details(inv2).receive_progress, undefined);
    callee.send([YIELD, inv2[1], {}, []]);
    assert.deepEqual(await caller.next(), [RESULT, r2, {}]);

    // Not a boolean: invalid_argument, no INVOCATION.
    const r3 = caller.request(CALL, { receive_progress: "yes" }, "e2e.stream");
    const e3 = await caller.expectError(CALL, "wamp.error.invalid_argument", "receive_progress: \"yes\"");
    assert.equal(e3[2], r3);
    await callee.barrier("no INVOCATION for an invalid CALL");

    // A final ERROR ends a progressive call; a progressive YIELD after the end is dropped.
    const r4 = caller.request(CALL, { receive_progress: true }, "e2e.stream");
    const inv4 = await invocationOf(callee);
    callee.send([YIELD, inv4[1], { progress: true }, [1]]);
    callee.send([ERROR, INVOCATION, inv4[1], {}, "e2e.error.failed", ["half way"]]);
    callee.send([YIELD, inv4[1], { progress: true }, [2]]);
    assert.deepEqual(await caller.next(), [RESULT, r4, { progress: true }, [1]]);
    assert.deepEqual(await caller.next(), [ERROR, CALL, r4, {}, "e2e.error.failed", ["half way"]]);
    await caller.barrier("nothing after the final ERROR");

    // A callee that does not announce progressive_call_results is not asked for them.
    const plain = await c.raw(WS_JSON, { features: without("progressive_call_results") });
    await plain.register("e2e.plain");
    const r5 = caller.request(CALL, { receive_progress: true }, "e2e.plain");
    const inv5 = await invocationOf(plain);
    assert.equal(details(inv5).receive_progress, undefined, `INVOCATION to a callee without the feature: ${show(inv5)}`);
    plain.send([YIELD, inv5[1], {}, ["ok"]]);
    assert.deepEqual(await caller.next(), [RESULT, r5, {}, ["ok"]]);

    // Caller leaving mid-stream: the callee gets INTERRUPT killnowait (spec "Caller Leaving").
    const leaver = await c.raw(WS_JSON);
    leaver.request(CALL, { receive_progress: true }, "e2e.stream");
    const inv6 = await invocationOf(callee);
    callee.send([YIELD, inv6[1], { progress: true }, [1]]);
    await leaver.expect(RESULT, "the progressive result");
    leaver.close();
    assert.deepEqual(await callee.expect(INTERRUPT, "INTERRUPT after the caller left"), [INTERRUPT, inv6[1], { mode: "killnowait" }]);

    // Callee leaving mid-stream: the caller gets wamp.error.canceled (spec "Callee Leaving").
    const r7 = caller.request(CALL, { receive_progress: true }, "e2e.stream");
    const inv7 = await invocationOf(callee);
    callee.send([YIELD, inv7[1], { progress: true }, ["a"]]);
    assert.deepEqual(await caller.next(), [RESULT, r7, { progress: true }, ["a"]]);
    callee.close();
    const e7 = await caller.expectError(CALL, "wamp.error.canceled", "the callee left mid-stream");
    assert.equal(e7[2], r7);
  });
}, T);

test("progressive_call_results: an autobahn-js callee (progressive results without call_canceling) streams to an autobahn-js caller", async () => {
  // The spec's newest text would have the dealer ignore progressive results from callees that
  // do not also announce call_canceling; autobahn-js callees are such callees, and Crossbar
  // streams their results, so Junction does too (src/router/dealer.ts says why).
  await withRouter(async (c) => {
    const abCallee = await c.autobahn(WS_JSON);
    await abCallee.session.register("e2e.ab", (_a: unknown[], _k: unknown, d: Any) => {
      assert.equal(typeof d.progress, "function", "the callee was offered progressive results");
      for (let i = 0; i < 3; i++) d.progress([`part ${i}`]);
      return "done";
    });
    const abCaller = await c.autobahn(WS_JSON);
    const p = abCaller.session.call("e2e.ab", [], {}, { receive_progress: true });
    for (let i = 0; i < 3; i++) assert.equal(await p.progress.take(`progressive result ${i}`, 5000), `part ${i}`);
    assert.equal(await withTimeout<Any>(p, "the final result"), "done");

    // A raw callee without call_canceling is offered receive_progress as well.
    const caller = await c.raw(WS_JSON);
    const rawCallee = await c.raw(WS_JSON, { features: without("call_canceling") });
    await rawCallee.register("e2e.raw");
    const r1 = caller.request(CALL, { receive_progress: true }, "e2e.raw");
    const inv = await invocationOf(rawCallee);
    assert.equal(details(inv).receive_progress, true, show(inv));
    rawCallee.send([YIELD, inv[1], { progress: true }, [0]]);
    rawCallee.send([YIELD, inv[1], {}, [1]]);
    assert.deepEqual(await caller.next(), [RESULT, r1, { progress: true }, [0]]);
    assert.deepEqual(await caller.next(), [RESULT, r1, {}, [1]]);
  });
}, T);

// =====================================================================================
// progressive_call_invocations
// =====================================================================================

for (const t of TRANSPORTS) {
  test(`progressive_call_invocations: raw frames over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const callee = await c.raw(t);
      const caller = await c.raw(t);
      await callee.register("e2e.upload");
      const r = caller.request(CALL, { progress: true }, "e2e.upload", ["c1"]);
      const i1 = await invocationOf(callee, "first chunk");
      assert.deepEqual(details(i1), { progress: true });
      assert.deepEqual(i1[4], ["c1"]);
      caller.send([CALL, r, { progress: true }, "e2e.upload", ["c2"], { k: 2 }]);
      const i2 = await invocationOf(callee, "second chunk");
      assert.deepEqual(i2.slice(0, 4), [INVOCATION, i1[1], i1[2], { progress: true }], "same INVOCATION id and registration");
      assert.deepEqual(i2.slice(4), [["c2"], { k: 2 }]);
      caller.send([CALL, r, {}, "e2e.upload", ["last"]]);
      const i3 = await invocationOf(callee, "last chunk");
      assert.deepEqual(i3, [INVOCATION, i1[1], i1[2], {}, ["last"]]);
      callee.send([YIELD, i1[1], {}, ["3 chunks"]]);
      assert.deepEqual(await caller.next(), [RESULT, r, {}, ["3 chunks"]]);
      // A chunk for the finished call is dropped quietly.
      caller.send([CALL, r, { progress: true }, "e2e.upload", ["late"]]);
      await callee.barrier("no INVOCATION for a chunk of a finished call");
      await caller.barrier("no answer to a chunk of a finished call");
    });
  }, T);
}

for (const t of WAMPY_TRANSPORTS) {
  test(`progressive_call_invocations: wampy progressiveCall over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const callee = await c.raw(t);
      // Wampy 8.0.2 sends progressive CALLs without announcing the feature; announce it for it.
      const caller = await c.wampy(t, { addFeatures: { caller: { progressive_call_invocations: true } } });
      await callee.register("e2e.upload");
      const { result, sendData } = caller.wampy.progressiveCall("e2e.upload", { argsList: [1] });
      const i1 = await invocationOf(callee);
      assert.equal(details(i1).progress, true);
      sendData({ argsList: [2] });
      const i2 = await invocationOf(callee);
      assert.deepEqual([i2[1], details(i2), i2[4]], [i1[1], { progress: true }, [2]]);
      sendData({ argsList: [3] }, { progress: false });
      const i3 = await invocationOf(callee);
      assert.deepEqual([i3[1], details(i3), i3[4]], [i1[1], {}, [3]]);
      callee.send([YIELD, i1[1], {}, [6]]);
      const res = await withTimeout<Any>(result, "the result of the progressive call");
      assert.deepEqual(res.argsList, [6]);
    });
  }, T);
}

test("progressive_call_invocations: a caller that does not announce it is aborted (wampy as it ships)", async () => {
  await withRouter(async (c) => {
    const callee = await c.raw(WS_JSON);
    await callee.register("e2e.upload");
    const caller = await c.wampy(WS_JSON);
    const { result } = caller.wampy.progressiveCall("e2e.upload", { argsList: [1] });
    result.catch(() => {});
    await withTimeout(caller.closed, "wampy to be disconnected after its progressive CALL");
    await callee.barrier("no INVOCATION for the refused CALL");
  });
}, T);

test("progressive_call_invocations: options and refusals over websocket/json (raw frames)", async () => {
  await withRouter(async (c) => {
    const caller = await c.raw(WS_JSON);

    // The callee lacks the feature, or has it without call_canceling: feature_not_supported.
    const old = await c.raw(WS_JSON, { features: without("progressive_call_invocations") });
    await old.register("e2e.old");
    caller.request(CALL, { progress: true }, "e2e.old", [1]);
    await caller.expectError(CALL, "wamp.error.feature_not_supported", "callee without progressive_call_invocations");
    const half = await c.raw(WS_JSON, { features: without("call_canceling") });
    await half.register("e2e.half");
    caller.request(CALL, { progress: true }, "e2e.half", [1]);
    await caller.expectError(CALL, "wamp.error.feature_not_supported", "callee without call_canceling");
    await old.barrier("no INVOCATION");
    await half.barrier("no INVOCATION");

    // progress must be a boolean.
    caller.request(CALL, { progress: 1 }, "e2e.old");
    await caller.expectError(CALL, "wamp.error.invalid_argument", "progress: 1");

    // Sticky: with roundrobin, every chunk goes to the callee that got the first one; follow-up
    // chunks' options other than progress are ignored (spec: frozen at the first CALL).
    const a = await c.raw(WS_JSON);
    const b = await c.raw(WS_JSON);
    await a.register("e2e.rr", { invoke: "roundrobin" });
    await b.register("e2e.rr", { invoke: "roundrobin" });
    const r = caller.request(CALL, { progress: true }, "e2e.rr", [1]);
    const ia = await invocationOf(a, "first chunk at the first callee");
    caller.send([CALL, r, { progress: true, disclose_me: true, receive_progress: true }, "e2e.rr", [2]]);
    const ia2 = await invocationOf(a, "second chunk at the same callee");
    assert.deepEqual(details(ia2), { progress: true }, "options of follow-up chunks are not forwarded");
    caller.send([CALL, r, {}, "e2e.rr", [3]]);
    assert.deepEqual((await invocationOf(a, "last chunk at the same callee"))[4], [3]);
    await b.barrier("no chunk at the other callee");
    a.send([YIELD, ia[1], {}, ["a"]]);
    assert.deepEqual(await caller.next(), [RESULT, r, {}, ["a"]]);
    const r2 = caller.request(CALL, {}, "e2e.rr");
    b.send([YIELD, (await invocationOf(b, "the next call goes to the other callee"))[1], {}]);
    assert.deepEqual(await caller.next(), [RESULT, r2, {}]);

    // Both ways at once: progressive invocations with progressive results.
    const r3 = caller.request(CALL, { progress: true, receive_progress: true }, "e2e.rr", ["in1"]);
    const j1 = await invocationOf(a);
    assert.deepEqual(details(j1), { progress: true, receive_progress: true });
    a.send([YIELD, j1[1], { progress: true }, ["out1"]]);
    assert.deepEqual(await caller.next(), [RESULT, r3, { progress: true }, ["out1"]]);
    caller.send([CALL, r3, {}, "e2e.rr", ["in2"]]);
    assert.deepEqual((await invocationOf(a))[4], ["in2"]);
    a.send([YIELD, j1[1], {}, ["out2"]]);
    assert.deepEqual(await caller.next(), [RESULT, r3, {}, ["out2"]]);

    // Canceling a progressive invocation: INTERRUPT, and later chunks are dropped.
    const r4 = caller.request(CALL, { progress: true }, "e2e.rr", [1]);
    const k1 = await invocationOf(b);
    caller.send([CANCEL, r4, { mode: "killnowait" }]);
    await caller.expectError(CALL, "wamp.error.canceled", "canceled progressive invocation");
    assert.deepEqual(await b.expect(INTERRUPT, "INTERRUPT"), [INTERRUPT, k1[1], { mode: "killnowait" }]);
    caller.send([CALL, r4, { progress: true }, "e2e.rr", [2]]);
    await b.barrier("no chunk after the cancel");

    // A continuation that changes the procedure is a protocol violation.
    const v1 = await c.raw(WS_JSON);
    const rv = v1.request(CALL, { progress: true }, "e2e.rr", [1]);
    await invocationOf(a);
    v1.send([CALL, rv, { progress: true }, "e2e.other", [2]]);
    await v1.expectAbort("wamp.error.protocol_violation", "continuation with another procedure");
    await a.expect(INTERRUPT, "INTERRUPT after the caller was aborted");

    // Reusing the id of a non-progressive call in flight is a protocol violation.
    const v2 = await c.raw(WS_JSON);
    const rv2 = v2.request(CALL, {}, "e2e.rr", [1]);
    await invocationOf(b);
    v2.send([CALL, rv2, { progress: true }, "e2e.rr", [2]]);
    await v2.expectAbort("wamp.error.protocol_violation", "progress on the id of a plain call in flight");

    // A caller that did not announce the feature is aborted.
    const v3 = await c.raw(WS_JSON, { features: without("progressive_call_invocations") });
    v3.request(CALL, { progress: true }, "e2e.rr", [1]);
    await v3.expectAbort("wamp.error.protocol_violation", "progressive CALL without the feature");
  });
}, T);

test("progressive_call_invocations: continuations are accepted in a strictRequestIds realm", async () => {
  await withRouter(async (c) => {
    const callee = await c.raw(WS_JSON);
    const caller = await c.raw(WS_JSON);
    await callee.register("e2e.upload"); // callee request 1
    const r = caller.request(CALL, { progress: true }, "e2e.upload", [1]); // caller request 1
    const i1 = await invocationOf(callee);
    caller.send([CALL, r, { progress: true }, "e2e.upload", [2]]);
    caller.send([CALL, r, {}, "e2e.upload", [3]]);
    assert.deepEqual((await invocationOf(callee))[4], [2]);
    assert.deepEqual((await invocationOf(callee))[4], [3]);
    callee.send([YIELD, i1[1], {}, ["ok"]]);
    assert.deepEqual(await caller.next(), [RESULT, r, {}, ["ok"]]);
    // The next new request id is still r + 1, and the session lives on.
    const r2 = caller.request(CALL, {}, "e2e.upload");
    assert.equal(r2, r + 1);
    callee.send([YIELD, (await invocationOf(callee))[1], {}]);
    assert.deepEqual(await caller.next(), [RESULT, r2, {}]);
  }, { realms: [{ name: "realm1", strictRequestIds: true }] });
}, T);

// =====================================================================================
// call_timeout
// =====================================================================================

for (const t of TRANSPORTS) {
  test(`call_timeout: raw frames over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const callee = await c.raw(t);
      const caller = await c.raw(t);
      await callee.register("e2e.slow");
      const t0 = Date.now();
      const r = caller.request(CALL, { timeout: 50 }, "e2e.slow");
      const inv = await invocationOf(callee);
      assert.equal(details(inv).timeout, undefined, "not forwarded: the dealer enforces it");
      const err = await caller.expectError(CALL, "wamp.error.timeout", "the call timed out");
      assert.equal(err[2], r);
      assert.ok(Date.now() - t0 >= 45, `timed out after ${Date.now() - t0} ms, asked 50`);
      const intr = await callee.expect(INTERRUPT, "INTERRUPT at the timeout");
      assert.equal(intr[1], inv[1]);
      assert.equal((intr[2] as Dict).mode, "killnowait");
      callee.send([YIELD, inv[1], {}, ["late"]]);
      await caller.barrier("no late RESULT");
    });
  }, T);
}

for (const t of AUTOBAHN_TRANSPORTS) {
  test(`call_timeout: autobahn caller and callee over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const callee = await c.autobahn(t);
      const caller = await c.autobahn(t);
      const invoked = deferred<void>();
      await callee.session.register("e2e.slow", () => {
        invoked.resolve();
        return new Promise(() => {}); // never answers
      });
      await callee.session.register("e2e.fast", () => "fast");
      const err = await rejection(caller.session.call("e2e.slow", [], {}, { timeout: 50 }), "the timed-out call");
      assert.equal(err.error, "wamp.error.timeout", show(err));
      await invoked.promise;
      // Autobahn callees do not announce call_canceling: they are sent no INTERRUPT (mode skip)
      // and stay connected (autobahn fails its transport on a message it does not know).
      assert.equal(await withTimeout<Any>(caller.session.call("e2e.fast"), "a call after the timeout"), "fast");
      assert.deepEqual(callee.internalErrors, []);
    });
  }, T);
}

for (const t of WAMPY_TRANSPORTS) {
  test(`call_timeout: wampy caller and callee over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const callee = await c.wampy(t);
      const caller = await c.wampy(t);
      await callee.wampy.register("e2e.slow", () => new Promise(() => {}));
      await callee.wampy.register("e2e.fast", () => ({ argsList: ["fast"] }));
      const err = await rejection(caller.wampy.call("e2e.slow", [], { timeout: 50 }), "the timed-out call");
      assert.equal(err.errorUri, "wamp.error.timeout", show(err));
      const ok = await withTimeout<Any>(caller.wampy.call("e2e.fast"), "a call after the timeout");
      assert.deepEqual(ok.argsList, ["fast"]);
    });
  }, T);
}

test("call_timeout: options and refusals over websocket/json (raw frames)", async () => {
  await withRouter(async (c) => {
    const caller = await c.raw(WS_JSON);
    const callee = await c.raw(WS_JSON);
    await callee.register("e2e.slow");

    // Invalid values: invalid_argument, and no INVOCATION.
    for (const bad of [-1, 1.5, "100", true]) {
      caller.request(CALL, { timeout: bad }, "e2e.slow");
      await caller.expectError(CALL, "wamp.error.invalid_argument", `timeout ${show(bad)}`);
    }
    await callee.barrier("no INVOCATION for invalid timeouts");

    // 0 means no timeout; a result in time stops the timer.
    const r0 = caller.request(CALL, { timeout: 0 }, "e2e.slow");
    const i0 = await invocationOf(callee);
    const r1 = caller.request(CALL, { timeout: 100 }, "e2e.slow");
    const i1 = await invocationOf(callee);
    callee.send([YIELD, i1[1], {}, ["in time"]]);
    assert.deepEqual(await caller.next(), [RESULT, r1, {}, ["in time"]]);
    await sleep(150);
    callee.send([YIELD, i0[1], {}, ["no timeout"]]);
    assert.deepEqual(await caller.next(), [RESULT, r0, {}, ["no timeout"]]);
    await caller.barrier("no timeout ERROR for a call answered in time");
    await callee.barrier("no INTERRUPT for a call answered in time");

    // With progressive results the time runs between results.
    const r2 = caller.request(CALL, { timeout: 100, receive_progress: true }, "e2e.slow");
    const i2 = await invocationOf(callee);
    for (let i = 0; i < 3; i++) {
      await sleep(50);
      callee.send([YIELD, i2[1], { progress: true }, [i]]);
      assert.deepEqual(await caller.next(), [RESULT, r2, { progress: true }, [i]]);
    }
    const e2 = await caller.expectError(CALL, "wamp.error.timeout", "no result for 100 ms after the last one");
    assert.equal(e2[2], r2);
    assert.equal((await callee.expect(INTERRUPT, "INTERRUPT"))[1], i2[1]);

    // A callee without call_canceling is sent no INTERRUPT (mode skip).
    const plain = await c.raw(WS_JSON, { features: without("call_canceling", "call_timeout") });
    await plain.register("e2e.plain");
    caller.request(CALL, { timeout: 50 }, "e2e.plain");
    const ip = await invocationOf(plain);
    await caller.expectError(CALL, "wamp.error.timeout", "timeout with a callee without call_canceling");
    plain.send([YIELD, ip[1], {}, ["late"]]);
    await plain.barrier("no INTERRUPT to a callee without call_canceling");
    await caller.barrier("no late RESULT");

    // forward_timeout: a callee that announced call_timeout gets the timeout and enforces it.
    const own = await c.raw(WS_JSON);
    await own.register("e2e.own", { forward_timeout: true });
    const r3 = caller.request(CALL, { timeout: 30 }, "e2e.own");
    const i3 = await invocationOf(own);
    assert.equal(details(i3).timeout, 30, `INVOCATION ${show(i3)}`);
    await sleep(90);
    own.send([ERROR, INVOCATION, i3[1], {}, "wamp.error.timeout"]);
    assert.deepEqual(await caller.next(), [ERROR, CALL, r3, {}, "wamp.error.timeout"], "the callee's own timeout error");
    await own.barrier("no INTERRUPT: the dealer ran no timer");

    // forward_timeout from a callee that did not announce call_timeout: the dealer enforces it.
    const noto = await c.raw(WS_JSON, { features: without("call_timeout") });
    await noto.register("e2e.noto", { forward_timeout: true });
    caller.request(CALL, { timeout: 50 }, "e2e.noto");
    assert.equal(details(await invocationOf(noto)).timeout, undefined);
    await caller.expectError(CALL, "wamp.error.timeout", "dealer-enforced despite forward_timeout");
    await noto.expect(INTERRUPT, "INTERRUPT from the dealer's timer");

    // forward_timeout must be a boolean.
    own.request(REGISTER, { forward_timeout: "yes" }, "e2e.bad");
    await own.expectError(REGISTER, "wamp.error.invalid_argument", "forward_timeout: \"yes\"");
  });
}, T);

// =====================================================================================
// call_canceling
// =====================================================================================

for (const t of TRANSPORTS) {
  test(`call_canceling: skip, killnowait and kill with raw frames over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const callee = await c.raw(t);
      const caller = await c.raw(t);
      await callee.register("e2e.slow");

      // skip: ERROR at once, no INTERRUPT, the late result is dropped.
      const r1 = caller.request(CALL, {}, "e2e.slow");
      const i1 = await invocationOf(callee);
      caller.send([CANCEL, r1, { mode: "skip" }]);
      assert.deepEqual((await caller.expectError(CALL, "wamp.error.canceled", "skip")).slice(0, 5), [ERROR, CALL, r1, {}, "wamp.error.canceled"]);
      await callee.barrier("no INTERRUPT for skip");
      callee.send([YIELD, i1[1], {}, ["late"]]);
      await caller.barrier("no RESULT after skip");

      // killnowait: ERROR at once and INTERRUPT; the callee's answer is dropped.
      const r2 = caller.request(CALL, {}, "e2e.slow");
      const i2 = await invocationOf(callee);
      caller.send([CANCEL, r2, { mode: "killnowait" }]);
      assert.equal((await caller.expectError(CALL, "wamp.error.canceled", "killnowait"))[2], r2);
      assert.deepEqual(await callee.expect(INTERRUPT, "INTERRUPT killnowait"), [INTERRUPT, i2[1], { mode: "killnowait" }]);
      callee.send([ERROR, INVOCATION, i2[1], {}, "wamp.error.canceled"]);
      await caller.barrier("nothing after killnowait");

      // kill: INTERRUPT, then the caller waits for the callee's answer.
      const r3 = caller.request(CALL, {}, "e2e.slow");
      const i3 = await invocationOf(callee);
      caller.send([CANCEL, r3, { mode: "kill" }]);
      assert.deepEqual(await callee.expect(INTERRUPT, "INTERRUPT kill"), [INTERRUPT, i3[1], { mode: "kill" }]);
      await caller.barrier("no ERROR before the callee answered the kill");
      callee.send([ERROR, INVOCATION, i3[1], { why: "interrupted" }, "wamp.error.canceled", ["stopped"]]);
      assert.deepEqual(await caller.next(), [ERROR, CALL, r3, { why: "interrupted" }, "wamp.error.canceled", ["stopped"]]);
    });
  }, T);
}

for (const t of AUTOBAHN_TRANSPORTS) {
  test(`call_canceling: autobahn cancel in kill mode over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const callee = await c.raw(t);
      const caller = await c.autobahn(t);
      await callee.register("e2e.slow");
      const p1 = caller.session.call("e2e.slow", [1]);
      const i1 = await invocationOf(callee);
      p1.cancel({ mode: "kill" });
      assert.deepEqual(await callee.expect(INTERRUPT, "INTERRUPT kill"), [INTERRUPT, i1[1], { mode: "kill" }]);
      callee.send([ERROR, INVOCATION, i1[1], {}, "wamp.error.canceled"]);
      const err = await rejection(p1, "the killed call");
      assert.equal(err.error, "wamp.error.canceled");

      // The callee finished before it saw the INTERRUPT: the caller gets the RESULT.
      const p2 = caller.session.call("e2e.slow", [2]);
      const i2 = await invocationOf(callee);
      p2.cancel({ mode: "kill" });
      await callee.expect(INTERRUPT, "INTERRUPT kill");
      callee.send([YIELD, i2[1], {}, ["finished first"]]);
      assert.equal(await withTimeout<Any>(p2, "the result that won the race"), "finished first");
      assert.deepEqual(caller.internalErrors, []);
    });
  }, T);
}

for (const t of WAMPY_TRANSPORTS) {
  test(`call_canceling: wampy cancel in skip and killnowait modes over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const callee = await c.raw(t);
      const caller = await c.wampy(t);
      await callee.register("e2e.slow");
      for (const mode of ["skip", "killnowait"] as const) {
        const p = caller.wampy.call("e2e.slow", [mode]);
        const reqId = caller.wampy.getOpStatus().reqId;
        const inv = await invocationOf(callee);
        caller.wampy.cancel(reqId, { mode });
        const err = await rejection(p, `the call canceled with ${mode}`);
        assert.equal(err.errorUri, "wamp.error.canceled");
        if (mode === "killnowait") {
          assert.deepEqual(await callee.expect(INTERRUPT, "INTERRUPT"), [INTERRUPT, inv[1], { mode }]);
        }
        await callee.barrier(`nothing more for ${mode}`);
      }
    });
  }, T);
}

test("call_canceling: options and refusals over websocket/json (raw frames)", async () => {
  await withRouter(async (c) => {
    const callee = await c.raw(WS_JSON);
    const caller = await c.raw(WS_JSON);
    await callee.register("e2e.slow");

    // No mode: killnowait.
    const r1 = caller.request(CALL, {}, "e2e.slow");
    const i1 = await invocationOf(callee);
    caller.send([CANCEL, r1, {}]);
    await caller.expectError(CALL, "wamp.error.canceled", "CANCEL without mode");
    assert.deepEqual(await callee.expect(INTERRUPT, "INTERRUPT"), [INTERRUPT, i1[1], { mode: "killnowait" }]);

    // An unknown mode: ERROR for the CANCEL; the call goes on.
    const r2 = caller.request(CALL, {}, "e2e.slow");
    const i2 = await invocationOf(callee);
    caller.send([CANCEL, r2, { mode: "sometimes" }]);
    const e2 = await caller.expectError(CANCEL, "wamp.error.invalid_argument", "unknown CANCEL mode");
    assert.equal(e2[2], r2);
    callee.send([YIELD, i2[1], {}, ["still running"]]);
    assert.deepEqual(await caller.next(), [RESULT, r2, {}, ["still running"]]);

    // CANCEL of a finished call is ignored; a repeated kill sends one INTERRUPT.
    caller.send([CANCEL, r2, { mode: "kill" }]);
    await caller.barrier("nothing for a CANCEL of a finished call");
    await callee.barrier("no INTERRUPT for a finished call");
    const r3 = caller.request(CALL, {}, "e2e.slow");
    const i3 = await invocationOf(callee);
    caller.send([CANCEL, r3, { mode: "kill" }]);
    caller.send([CANCEL, r3, { mode: "kill" }]);
    await callee.expect(INTERRUPT, "the one INTERRUPT");
    await callee.barrier("a single INTERRUPT for a repeated kill");
    callee.send([ERROR, INVOCATION, i3[1], {}, "wamp.error.canceled"]);
    await caller.expectError(CALL, "wamp.error.canceled", "the kill answered");

    // A callee without call_canceling: every mode acts as skip (no INTERRUPT, ERROR at once).
    const plain = await c.raw(WS_JSON, { features: without("call_canceling") });
    await plain.register("e2e.plain");
    for (const mode of ["skip", "kill", "killnowait"]) {
      const r = caller.request(CALL, {}, "e2e.plain");
      const inv = await invocationOf(plain);
      caller.send([CANCEL, r, { mode }]);
      assert.equal((await caller.expectError(CALL, "wamp.error.canceled", `${mode} with a callee without call_canceling`))[2], r);
      plain.send([YIELD, inv[1], {}, ["late"]]);
      await plain.barrier(`no INTERRUPT (${mode})`);
      await caller.barrier(`no late RESULT (${mode})`);
    }

    // A caller leaving: killnowait INTERRUPT to a callee with call_canceling, nothing otherwise.
    const leaver = await c.raw(WS_JSON);
    leaver.request(CALL, {}, "e2e.slow");
    const il = await invocationOf(callee);
    leaver.request(CALL, {}, "e2e.plain");
    await invocationOf(plain);
    leaver.close();
    assert.deepEqual(await callee.expect(INTERRUPT, "INTERRUPT after the caller left"), [INTERRUPT, il[1], { mode: "killnowait" }]);
    await plain.barrier("no INTERRUPT to a callee without call_canceling when the caller left");

    // CANCEL for a request id never used: protocol violation.
    caller.send([CANCEL, 999, { mode: "skip" }]);
    await caller.expectAbort("wamp.error.protocol_violation", "CANCEL for an id never sent");
  });
}, T);

// =====================================================================================
// caller_identification
// =====================================================================================

for (const t of TRANSPORTS) {
  test(`caller_identification: raw frames over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const callee = await c.raw(t);
      const caller = await c.raw(t, { authid: "alice" });
      await callee.register("e2e.who");
      caller.request(CALL, { disclose_me: true }, "e2e.who");
      const inv = await invocationOf(callee);
      assert.deepEqual(details(inv), { caller: caller.id, caller_authid: "alice", caller_authrole: "anonymous" });
      callee.send([YIELD, inv[1], {}]);
      await caller.expect(RESULT, "RESULT");
      caller.request(CALL, {}, "e2e.who");
      assert.deepEqual(details(await invocationOf(callee)), {}, "not disclosed unless asked");
    });
  }, T);
}

for (const t of AUTOBAHN_TRANSPORTS) {
  test(`caller_identification: autobahn disclose_me and disclose_caller over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const callee = await c.autobahn(t);
      const caller = await c.autobahn(t, { authid: "alice" });
      const seen = new AsyncQueue<Any>();
      await callee.session.register("e2e.who", (_a: unknown, _k: unknown, d: Any) => {
        seen.push(d);
        return d.caller ?? null;
      });
      await callee.session.register("e2e.always", (_a: unknown, _k: unknown, d: Any) => {
        seen.push(d);
        return d.caller ?? null;
      }, { disclose_caller: true });
      assert.equal(await caller.session.call("e2e.who", [], {}, { disclose_me: true }), caller.id);
      const d1 = await seen.take("details", 5000);
      assert.deepEqual([d1.caller, d1.caller_authid, d1.caller_authrole], [caller.id, "alice", "anonymous"]);
      assert.equal(await caller.session.call("e2e.who"), null, "no disclosure without disclose_me");
      await seen.take("details", 5000);
      assert.equal(await caller.session.call("e2e.always"), caller.id, "disclose_caller at REGISTER discloses every caller");
      assert.equal((await seen.take("details", 5000)).caller_authid, "alice");
    });
  }, T);
}

for (const t of WAMPY_TRANSPORTS) {
  test(`caller_identification: wampy disclose_me over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const callee = await c.wampy(t);
      const caller = await c.wampy(t, { authid: "bob" });
      await callee.wampy.register("e2e.who", ({ details: d }: Any) => ({ argsList: [idOf(d.caller) ?? null, d.caller_authid ?? null] }));
      const res = await withTimeout<Any>(caller.wampy.call("e2e.who", [], { disclose_me: true }), "the call");
      assert.deepEqual([idOf(res.argsList[0]), res.argsList[1]], [caller.id, "bob"]);
      const res2 = await withTimeout<Any>(caller.wampy.call("e2e.who"), "the call without disclose_me");
      assert.deepEqual(res2.argsList, [null, null]);
    });
  }, T);
}

test("caller_identification: options and refusals over websocket/json (raw frames)", async () => {
  await withRouter(async (c) => {
    const callee = await c.raw(WS_JSON);
    const caller = await c.raw(WS_JSON, { authid: "carol" });
    await callee.register("e2e.who");
    await callee.register("e2e.always", { disclose_caller: true });

    caller.request(CALL, { disclose_me: false }, "e2e.who");
    const i1 = await invocationOf(callee);
    assert.deepEqual(details(i1), {}, "disclose_me false");
    caller.request(CALL, {}, "e2e.always");
    const i2 = await invocationOf(callee);
    assert.deepEqual(details(i2), { caller: caller.id, caller_authid: "carol", caller_authrole: "anonymous" }, "disclose_caller");

    caller.request(CALL, { disclose_me: "yes" }, "e2e.who");
    await caller.expectError(CALL, "wamp.error.invalid_argument", "disclose_me: \"yes\"");
    callee.request(REGISTER, { disclose_caller: 1 }, "e2e.bad");
    await callee.expectError(REGISTER, "wamp.error.invalid_argument", "disclose_caller: 1");
    await callee.barrier("no INVOCATION for the refused CALL");
  });
}, T);

test("caller_identification: a realm with allowDisclose false refuses disclose_me (raw and autobahn)", async () => {
  await withRouter(async (c) => {
    const callee = await c.raw(WS_JSON);
    const caller = await c.raw(WS_JSON);
    await callee.register("e2e.who");
    await callee.register("e2e.always", { disclose_caller: true });
    const r = caller.request(CALL, { disclose_me: true }, "e2e.who");
    const e = await caller.expectError(CALL, "wamp.error.option_disallowed.disclose_me", "disclose_me refused");
    assert.deepEqual(e.slice(0, 5), [ERROR, CALL, r, {}, "wamp.error.option_disallowed.disclose_me"]);
    await callee.barrier("no INVOCATION for a refused disclose_me");

    const ab = await c.autobahn(WS_JSON);
    const err = await rejection(ab.session.call("e2e.who", [], {}, { disclose_me: true }), "autobahn disclose_me");
    assert.equal(err.error, "wamp.error.option_disallowed.disclose_me");

    // The callee's disclose_caller is not affected.
    caller.request(CALL, {}, "e2e.always");
    assert.equal(details(await invocationOf(callee)).caller, caller.id);
  }, { realms: [{ name: "realm1", allowDisclose: false }] });
}, T);

// =====================================================================================
// pattern_based_registration
// =====================================================================================

for (const t of TRANSPORTS) {
  test(`pattern_based_registration: raw frames over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const callee = await c.raw(t);
      const caller = await c.raw(t);
      const exact = await callee.register("e2e.pre.exact");
      const prefix = await callee.register("e2e.pre", { match: "prefix" });
      const wild = await callee.register("e2e..wild", { match: "wildcard" });
      const cases: Array<[string, number, string | undefined]> = [
        ["e2e.pre.exact", exact, undefined],
        ["e2e.pre.x.y", prefix, "e2e.pre.x.y"],
        ["e2e.prefixed", prefix, "e2e.prefixed"], // a plain string prefix
        ["e2e.any.wild", wild, "e2e.any.wild"],
      ];
      for (const [uri, reg, procedure] of cases) {
        const r = caller.request(CALL, {}, uri, [uri]);
        const inv = await invocationOf(callee, `INVOCATION for ${uri}`);
        assert.equal(inv[2], reg, `${uri} -> registration`);
        assert.deepEqual(details(inv), procedure === undefined ? {} : { procedure }, `${uri}: details`);
        callee.send([YIELD, inv[1], {}, [uri]]);
        assert.deepEqual(await caller.next(), [RESULT, r, {}, [uri]]);
      }
      caller.request(CALL, {}, "e2e.x.wild.more");
      await caller.expectError(CALL, "wamp.error.no_such_procedure", "wildcards match whole components only");
    });
  }, T);
}

for (const t of AUTOBAHN_TRANSPORTS) {
  test(`pattern_based_registration: autobahn prefix and wildcard registrations over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const callee = await c.autobahn(t);
      const caller = await c.autobahn(t);
      await callee.session.register("e2e.pre", (_a: unknown, _k: unknown, d: Any) => `prefix:${d.procedure}`, { match: "prefix" });
      await callee.session.register("e2e..wild", (_a: unknown, _k: unknown, d: Any) => `wildcard:${d.procedure}`, { match: "wildcard" });
      assert.equal(await caller.session.call("e2e.pre.one"), "prefix:e2e.pre.one");
      assert.equal(await caller.session.call("e2e.x.wild"), "wildcard:e2e.x.wild");
      const err = await rejection(caller.session.call("e2e.nothing"), "a call matching nothing");
      assert.equal(err.error, "wamp.error.no_such_procedure");
    });
  }, T);
}

for (const t of WAMPY_TRANSPORTS) {
  test(`pattern_based_registration: wampy prefix and wildcard registrations over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const callee = await c.wampy(t);
      const caller = await c.wampy(t);
      await callee.wampy.register("e2e.pre", ({ details: d }: Any) => ({ argsList: [`prefix:${d.procedure}`] }), { match: "prefix" });
      await callee.wampy.register("e2e..wild", ({ details: d }: Any) => ({ argsList: [`wildcard:${d.procedure}`] }), { match: "wildcard" });
      assert.deepEqual((await caller.wampy.call("e2e.pre.one")).argsList, ["prefix:e2e.pre.one"]);
      assert.deepEqual((await caller.wampy.call("e2e.x.wild")).argsList, ["wildcard:e2e.x.wild"]);
    });
  }, T);
}

// The spec's example lists 'a1.b2.c3..e5' and calls 'a1.b2.c3.d4.e5', which its own prefix rule
// (a plain string prefix) sends to prefix 'a1.b2.c3'; the fifth pattern is 'c77' here so the
// case tests what it is meant to (as test/unit/dealer_test.ts does).
test("pattern_based_registration: options and refusals over websocket/json (raw frames), spec precedence vectors", async () => {
  await withRouter(async (c) => {
    const callee = await c.raw(WS_JSON);
    const caller = await c.raw(WS_JSON);
    const regs = [
      await callee.register("a1.b2.c3.d4.e55"),
      await callee.register("a1.b2.c3", { match: "prefix" }),
      await callee.register("a1.b2.c3.d4", { match: "prefix" }),
      await callee.register("a1.b2..d4.e5", { match: "wildcard" }),
      await callee.register("a1.b2.c77..e5", { match: "wildcard" }),
      await callee.register("a1.b2..d4.e5..g7", { match: "wildcard" }),
      await callee.register("a1.b2..d4..f6.g7", { match: "wildcard" }),
    ];
    const cases: Array<[string, number]> = [
      ["a1.b2.c3.d4.e55", 0],
      ["a1.b2.c3.d98.e74", 1],
      ["a1.b2.c3.d4.e325", 2],
      ["a1.b2.c55.d4.e5", 3],
      ["a1.b2.c77.d4.e5", 4],
      ["a1.b2.c88.d4.e5.f6.g7", 5],
    ];
    for (const [uri, expected] of cases) {
      caller.request(CALL, {}, uri);
      const inv = await invocationOf(callee, uri);
      assert.equal(inv[2], regs[expected], `${uri} -> registration ${expected + 1}`);
      callee.send([YIELD, inv[1], {}]);
      await caller.expect(RESULT, "RESULT");
    }
    caller.request(CALL, {}, "a2.b2.c2.d2.e2");
    await caller.expectError(CALL, "wamp.error.no_such_procedure", "no match");

    // match: "exact" is the default and may be given; the same URI once per match policy.
    const e1 = await callee.register("e2e.same", { match: "exact" });
    const p1 = await callee.register("e2e.same", { match: "prefix" });
    const w1 = await callee.register("e2e.same", { match: "wildcard" });
    assert.equal(new Set([e1, p1, w1]).size, 3, "three distinct registrations");
    // A prefix may end with an empty component.
    await callee.register("e2e.dot.", { match: "prefix" });
    caller.request(CALL, {}, "e2e.dot.x");
    assert.equal(details(await invocationOf(callee)).procedure, "e2e.dot.x");

    // Refusals.
    callee.request(REGISTER, { match: "fuzzy" }, "e2e.x");
    await callee.expectError(REGISTER, "wamp.error.invalid_argument", "match: \"fuzzy\"");
    callee.request(REGISTER, { match: 1 }, "e2e.x");
    await callee.expectError(REGISTER, "wamp.error.invalid_argument", "match: 1");
    callee.request(REGISTER, {}, "e2e..x");
    await callee.expectError(REGISTER, "wamp.error.invalid_uri", "empty component in an exact registration");
    callee.request(REGISTER, { match: "prefix" }, "e2e..x");
    await callee.expectError(REGISTER, "wamp.error.invalid_uri", "empty inner component in a prefix registration");
    callee.request(REGISTER, { match: "prefix" }, "wamp.meta");
    await callee.expectError(REGISTER, "wamp.error.invalid_uri", "reserved namespace");
    caller.request(CALL, {}, "e2e..x");
    await caller.expectError(CALL, "wamp.error.invalid_uri", "a CALL URI is never a pattern");
  });
}, T);

// =====================================================================================
// shared_registration
// =====================================================================================

/**
 * Calls `procedure` once and returns the index of the callee that served it: the callees run
 * autoAnswer, which answers with the callee's index in the list given to it.
 */
async function whoServes(caller: Peer, _callees: readonly Peer[], procedure: string, options: Dict = {}): Promise<number> {
  const r = caller.request(CALL, options, procedure);
  const res = await caller.next();
  // The callee answers with its index, so the RESULT names it.
  assert.equal(res[0], RESULT, `CALL ${procedure}: ${show(res)}`);
  assert.equal(res[1], r);
  return (res[3] as number[])[0]!;
}

/**
 * Makes raw callees answer every INVOCATION with their index, in the background. Anything else
 * they receive goes to the returned queues (one per callee), for the test to read.
 */
function autoAnswer(callees: readonly Peer[]): AsyncQueue<unknown[]>[] {
  return callees.map((p, i) => {
    const others = new AsyncQueue<unknown[]>();
    void (async () => {
      for (;;) {
        let m: unknown[];
        try {
          m = await p.next(60_000);
        } catch {
          others.end();
          return; // closed
        }
        if (m[0] === INVOCATION) p.send([YIELD, m[1], {}, [i]]);
        else others.push(m);
      }
    })();
    return others;
  });
}

/** GOODBYE from a callee served by autoAnswer; resolves once the router replied (it has left). */
async function leave(p: Peer, others: AsyncQueue<unknown[]>): Promise<void> {
  p.send([GOODBYE, {}, "wamp.close.close_realm"]);
  const m = await others.take("the GOODBYE reply", 5000);
  assert.equal(m[0], GOODBYE, show(m));
}

for (const t of TRANSPORTS) {
  test(`shared_registration: roundrobin with raw frames over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const callees = [await c.raw(t), await c.raw(t), await c.raw(t)];
      const caller = await c.raw(t);
      const ids: number[] = [];
      for (const p of callees) ids.push(await p.register("e2e.rr", { invoke: "roundrobin" }));
      assert.ok(ids.every((id) => id === ids[0]), `one registration shared: ${show(ids)}`);
      autoAnswer(callees);
      const seen = [];
      for (let i = 0; i < 6; i++) seen.push(await whoServes(caller, callees, "e2e.rr"));
      assert.deepEqual(seen, [0, 1, 2, 0, 1, 2]);
    });
  }, T);
}

for (const t of AUTOBAHN_TRANSPORTS) {
  test(`shared_registration: autobahn callees, roundrobin and first/last failover over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const caller = await c.autobahn(t);
      const callees = [await c.autobahn(t), await c.autobahn(t), await c.autobahn(t)];
      for (const [i, p] of callees.entries()) {
        await p.session.register("e2e.rr", () => i, { invoke: "roundrobin" });
        await p.session.register("e2e.first", () => i, { invoke: "first" });
        await p.session.register("e2e.last", () => i, { invoke: "last" });
      }
      const seen = [];
      for (let i = 0; i < 6; i++) seen.push(await caller.session.call("e2e.rr"));
      assert.deepEqual(seen, [0, 1, 2, 0, 1, 2]);
      assert.equal(await caller.session.call("e2e.first"), 0);
      assert.equal(await caller.session.call("e2e.last"), 2);
      // Hot standby: when the chosen callee leaves, the next one takes over.
      await callees[0]!.close();
      assert.equal(await caller.session.call("e2e.first"), 1);
      await callees[2]!.close();
      assert.equal(await caller.session.call("e2e.last"), 1);
      assert.equal(await caller.session.call("e2e.rr"), 1);
    });
  }, T);
}

for (const t of WAMPY_TRANSPORTS) {
  test(`shared_registration: wampy callees, roundrobin over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const caller = await c.wampy(t);
      const callees = [await c.wampy(t), await c.wampy(t)];
      for (const [i, p] of callees.entries()) await p.wampy.register("e2e.rr", () => ({ argsList: [i] }), { invoke: "roundrobin" });
      const seen = [];
      for (let i = 0; i < 4; i++) seen.push((await caller.wampy.call("e2e.rr")).argsList[0]);
      assert.deepEqual(seen, [0, 1, 0, 1]);
    });
  }, T);
}

test("shared_registration: options and refusals over websocket/json (raw frames)", async () => {
  await withRouter(async (c) => {
    const caller = await c.raw(WS_JSON);
    const [a, b, x] = [await c.raw(WS_JSON), await c.raw(WS_JSON), await c.raw(WS_JSON)];

    // Every policy but single lets a second callee join; a different policy is refused.
    for (const policy of ["roundrobin", "random", "first", "last"]) {
      const ra = await a.register(`e2e.${policy}`, { invoke: policy });
      const rb = await b.register(`e2e.${policy}`, { invoke: policy });
      assert.equal(rb, ra, `${policy}: joined the same registration`);
      const other = policy === "roundrobin" ? "random" : "roundrobin";
      x.request(REGISTER, { invoke: other }, `e2e.${policy}`);
      const e = await x.expectError(REGISTER, "wamp.error.procedure_already_exists", `${other} onto ${policy}`);
      assert.match(String((e[5] as string[] | undefined)?.[0]), new RegExp(policy), "the error names the existing policy");
      x.request(REGISTER, {}, `e2e.${policy}`);
      await x.expectError(REGISTER, "wamp.error.procedure_already_exists", `single onto ${policy}`);
    }
    // single (the default) admits nobody else, whatever policy is asked.
    await a.register("e2e.single");
    b.request(REGISTER, { invoke: "roundrobin" }, "e2e.single");
    await b.expectError(REGISTER, "wamp.error.procedure_already_exists", "roundrobin onto single");
    b.request(REGISTER, { invoke: "single" }, "e2e.single");
    await b.expectError(REGISTER, "wamp.error.procedure_already_exists", "single onto single");
    // The same session twice.
    a.request(REGISTER, { invoke: "roundrobin" }, "e2e.roundrobin");
    await a.expectError(REGISTER, "wamp.error.procedure_already_exists", "the same session twice");
    // Unknown policy.
    a.request(REGISTER, { invoke: "sometimes" }, "e2e.z");
    await a.expectError(REGISTER, "wamp.error.invalid_argument", "invoke: \"sometimes\"");

    const [aOthers, bOthers] = autoAnswer([a, b]);
    // random uses both callees (20 calls: all on one callee has probability 2^-19).
    const random = new Set<number>();
    for (let i = 0; i < 20; i++) random.add(await whoServes(caller, [a, b], "e2e.random"));
    assert.deepEqual([...random].sort(), [0, 1], "random reached both callees");
    assert.equal(await whoServes(caller, [a, b], "e2e.first"), 0);
    assert.equal(await whoServes(caller, [a, b], "e2e.last"), 1);
    assert.equal(await whoServes(caller, [a, b], "e2e.roundrobin"), 0);
    assert.equal(await whoServes(caller, [a, b], "e2e.roundrobin"), 1);
    // first/last fail over when the chosen callee leaves; roundrobin continues with the rest.
    await leave(b, bOthers!); // the GOODBYE reply comes after the session left the realm
    assert.equal(await whoServes(caller, [a], "e2e.last"), 0, "last: b left, a takes over");
    assert.equal(await whoServes(caller, [a], "e2e.roundrobin"), 0);
    assert.equal(await whoServes(caller, [a], "e2e.roundrobin"), 0);
    await leave(a, aOthers!);
    caller.request(CALL, {}, "e2e.first");
    await caller.expectError(CALL, "wamp.error.no_such_procedure", "every callee left");
  });
}, T);

// =====================================================================================
// sharded_registration
// =====================================================================================

const RKEYS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"];

for (const t of TRANSPORTS) {
  test(`sharded_registration: runmode partition with rkey, raw frames over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const callees = [await c.raw(t), await c.raw(t), await c.raw(t), await c.raw(t)];
      const caller = await c.raw(t);
      for (const p of callees) await p.register("e2e.shard", { invoke: "roundrobin" });
      autoAnswer(callees);
      const first = [];
      for (const rkey of RKEYS) first.push(await whoServes(caller, callees, "e2e.shard", { runmode: "partition", rkey }));
      const again = [];
      for (const rkey of RKEYS) again.push(await whoServes(caller, callees, "e2e.shard", { runmode: "partition", rkey }));
      assert.deepEqual(again, first, "the same rkey reaches the same callee");
      assert.ok(new Set(first).size > 1, `keys spread over callees: ${show(first)}`);
    });
  }, T);
}

for (const t of AUTOBAHN_TRANSPORTS) {
  test(`sharded_registration: autobahn caller with runmode and rkey over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const caller = await c.autobahn(t);
      const callees = [await c.autobahn(t), await c.autobahn(t), await c.autobahn(t)];
      for (const [i, p] of callees.entries()) await p.session.register("e2e.shard", () => i, { invoke: "roundrobin" });
      const route = async (rkey: string) => await caller.session.call("e2e.shard", [], {}, { runmode: "partition", rkey });
      const first = [];
      for (const k of RKEYS) first.push(await route(k));
      const again = [];
      for (const k of RKEYS) again.push(await route(k));
      assert.deepEqual(again, first);
      assert.ok(new Set(first).size > 1, `keys spread over callees: ${show(first)}`);
    });
  }, T);
}

test("sharded_registration: options and refusals over websocket/json (raw frames)", async () => {
  await withRouter(async (c) => {
    const callee = await c.raw(WS_JSON);
    const caller = await c.raw(WS_JSON);
    await callee.register("e2e.shard");
    for (const [options, what] of [
      [{ runmode: "partition" }, "runmode partition without rkey"],
      [{ runmode: "partition", rkey: 7 }, "rkey not a string"],
      [{ runmode: "all", rkey: "x" }, "runmode all"],
      [{ runmode: 1, rkey: "x" }, "runmode not a string"],
    ] as Array<[Dict, string]>) {
      caller.request(CALL, options, "e2e.shard");
      await caller.expectError(CALL, "wamp.error.invalid_argument", what);
    }
    await callee.barrier("no INVOCATION for refused partitioned calls");
    // A single-callee registration: the key picks that callee; rkey alone (no runmode) is ignored.
    const r = caller.request(CALL, { runmode: "partition", rkey: "k" }, "e2e.shard");
    callee.send([YIELD, (await invocationOf(callee))[1], {}]);
    assert.deepEqual(await caller.next(), [RESULT, r, {}]);
    const r2 = caller.request(CALL, { rkey: "k" }, "e2e.shard");
    callee.send([YIELD, (await invocationOf(callee))[1], {}]);
    assert.deepEqual(await caller.next(), [RESULT, r2, {}]);
  });
}, T);

// =====================================================================================
// registration_revocation (through the meta API's wamp.registration.remove_callee)
// =====================================================================================

for (const t of TRANSPORTS) {
  test(`registration_revocation: remove_callee sends UNREGISTERED 0 over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const callee = await c.raw(t);
      const admin = await c.raw(t);
      const reg = await callee.register("e2e.revoked");
      await admin.callOk("wamp.registration.remove_callee", [reg, callee.id], { reason: "e2e.moved" });
      assert.deepEqual(await callee.expect(UNREGISTERED, "the revocation"), [UNREGISTERED, 0, { registration: reg, reason: "e2e.moved" }]);
      admin.request(CALL, {}, "e2e.revoked");
      await admin.expectError(CALL, "wamp.error.no_such_procedure", "a call after the revocation");
    });
  }, T);
}

for (const t of AUTOBAHN_TRANSPORTS) {
  test(`registration_revocation: autobahn callee sees on_unregister with the reason over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const callee = await c.autobahn(t);
      const admin = await c.autobahn(t);
      const reg = await callee.session.register("e2e.revoked", () => 1);
      await withTimeout<Any>(admin.session.call("wamp.registration.remove_callee", [reg.id, callee.id], { reason: "e2e.moved" }), "remove_callee");
      assert.equal(await withTimeout<Any>(reg.on_unregister, "on_unregister"), "e2e.moved");
      assert.equal(reg.active, false);
      assert.deepEqual(callee.internalErrors, [], "autobahn accepted the revocation");
      const err = await rejection(admin.session.call("e2e.revoked"), "a call after the revocation");
      assert.equal(err.error, "wamp.error.no_such_procedure");
    });
  }, T);
}

test("registration_revocation: options and refusals over websocket/json (raw frames)", async () => {
  await withRouter(async (c) => {
    const admin = await c.raw(WS_JSON);
    // A callee without the feature is told nothing, but the registration is gone for it.
    const quiet = await c.raw(WS_JSON, { features: without("registration_revocation") });
    const r1 = await quiet.register("e2e.quiet");
    await admin.callOk("wamp.registration.remove_callee", [r1, quiet.id]);
    await quiet.barrier("no UNREGISTERED for a callee without registration_revocation");
    admin.request(CALL, {}, "e2e.quiet");
    await admin.expectError(CALL, "wamp.error.no_such_procedure", "the revoked registration");

    // Without a reason, Details has only the registration; of a shared registration only that
    // callee goes.
    const [a, b] = [await c.raw(WS_JSON), await c.raw(WS_JSON)];
    const shared = await a.register("e2e.shared", { invoke: "roundrobin" });
    await b.register("e2e.shared", { invoke: "roundrobin" });
    await admin.callOk("wamp.registration.remove_callee", [shared, a.id]);
    assert.deepEqual(await a.expect(UNREGISTERED, "revocation"), [UNREGISTERED, 0, { registration: shared }]);
    autoAnswer([b]);
    for (let i = 0; i < 2; i++) assert.equal(await whoServes(admin, [b], "e2e.shared"), 0, "b serves alone");

    // Errors: a session that is not a callee of it, an unknown registration, a bad reason.
    const notCallee = await admin.call("wamp.registration.remove_callee", [shared, a.id]);
    assert.equal(notCallee[0], ERROR, show(notCallee));
    const unknown = await admin.call("wamp.registration.remove_callee", [123456789, b.id]);
    assert.deepEqual(unknown.slice(0, 5), [ERROR, CALL, unknown[2], {}, "wamp.error.no_such_registration"]);
    // The revoked callee may register again.
    await a.register("e2e.shared", { invoke: "roundrobin" });
  });
}, T);

// =====================================================================================
// payload_passthru_mode
// =====================================================================================

const PPT = { ppt_scheme: "x_e2e", ppt_serializer: "cbor", ppt_cipher: "xsalsa20poly1305", ppt_keyid: "key-1" };

for (const t of TRANSPORTS) {
  test(`payload_passthru_mode: ppt_* options and the binary payload round trip, raw frames over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const callee = await c.raw(t);
      const caller = await c.raw(t);
      await callee.register("e2e.ppt");
      const blob = bytes(300, 5);
      const r = caller.request(CALL, PPT, "e2e.ppt", [blob]);
      const inv = await invocationOf(callee);
      assert.deepEqual(details(inv), PPT, "ppt_* copied to INVOCATION.Details");
      assert.equal((inv[4] as unknown[]).length, 1);
      assertBytes((inv[4] as unknown[])[0], blob, "INVOCATION payload");
      const back = bytes(20, 9);
      callee.send([YIELD, inv[1], { ppt_scheme: "x_e2e", ppt_serializer: "msgpack" }, [back]]);
      const res = await caller.expect(RESULT, "RESULT");
      assert.deepEqual(res.slice(0, 3), [RESULT, r, { ppt_scheme: "x_e2e", ppt_serializer: "msgpack" }]);
      assertBytes((res[3] as unknown[])[0], back, "RESULT payload");
      // A callee ERROR carries its ppt_* details to the caller.
      const r2 = caller.request(CALL, PPT, "e2e.ppt", [blob]);
      const inv2 = await invocationOf(callee);
      callee.send([ERROR, INVOCATION, inv2[1], { ppt_scheme: "x_e2e" }, "e2e.error.sealed", [back]]);
      const err = await caller.expect(ERROR, "ERROR");
      assert.deepEqual(err.slice(0, 5), [ERROR, CALL, r2, { ppt_scheme: "x_e2e" }, "e2e.error.sealed"]);
      assertBytes((err[5] as unknown[])[0], back, "ERROR payload");
    });
  }, T);
}

for (const t of WAMPY_TRANSPORTS) {
  test(`payload_passthru_mode: wampy caller and callee with ppt_serializer cbor over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const callee = await c.wampy(t);
      const caller = await c.wampy(t);
      const seen = deferred<Any>();
      await callee.wampy.register("e2e.ppt", (inv: Any) => {
        seen.resolve(inv);
        return { options: { ppt_scheme: "x_e2e", ppt_serializer: "cbor" }, argsList: ["sealed", inv.argsList[0] * 2], argsDict: { ok: true } };
      });
      const res = await withTimeout<Any>(
        caller.wampy.call("e2e.ppt", { argsList: [21], argsDict: { k: "v" } }, { ppt_scheme: "x_e2e", ppt_serializer: "cbor" }),
        "the passthru call",
      );
      const inv = await seen.promise;
      assert.equal(inv.details.ppt_scheme, "x_e2e");
      assert.equal(inv.details.ppt_serializer, "cbor");
      assert.deepEqual(inv.argsList, [21]);
      assert.deepEqual(inv.argsDict, { k: "v" });
      assert.equal(res.details.ppt_scheme, "x_e2e");
      assert.deepEqual(res.argsList, ["sealed", 42]);
      assert.deepEqual(res.argsDict, { ok: true });
      // A callee without passthru (AutobahnJS announces none): feature_not_supported.
      const plain = await c.autobahn(t);
      await plain.session.register("e2e.plain", () => 1);
      const err = await rejection(caller.wampy.call("e2e.plain", { argsList: [1] }, { ppt_scheme: "x_e2e", ppt_serializer: "cbor" }), "ppt call to autobahn");
      assert.equal(err.errorUri, "wamp.error.feature_not_supported");
    });
  }, T);
}

test("payload_passthru_mode: options and refusals for calls over websocket/json (raw frames)", async () => {
  await withRouter(async (c) => {
    const callee = await c.raw(WS_JSON);
    const caller = await c.raw(WS_JSON);
    await callee.register("e2e.ppt");
    const blob = bytes(8);
    for (const [options, what] of [
      [{ ppt_serializer: "cbor" }, "ppt_serializer without ppt_scheme"],
      [{ ppt_scheme: "" }, "empty ppt_scheme"],
      [{ ppt_scheme: 1 }, "ppt_scheme not a string"],
      [{ ppt_scheme: "x_e2e", ppt_serializer: 2 }, "ppt_serializer not a string"],
      [{ ppt_scheme: "x_e2e", ppt_cipher: false }, "ppt_cipher not a string"],
      [{ ppt_scheme: "x_e2e", ppt_keyid: [] }, "ppt_keyid not a string"],
    ] as Array<[Dict, string]>) {
      caller.request(CALL, options, "e2e.ppt", [blob]);
      await caller.expectError(CALL, "wamp.error.invalid_argument", what);
    }
    await callee.barrier("no INVOCATION for refused ppt options");
    // ppt_scheme alone is enough.
    const r = caller.request(CALL, { ppt_scheme: "mqtt" }, "e2e.ppt", [blob]);
    const inv = await invocationOf(callee);
    assert.deepEqual(details(inv), { ppt_scheme: "mqtt" });
    callee.send([YIELD, inv[1], {}, [blob]]);
    assert.deepEqual((await caller.expect(RESULT, "RESULT")).slice(0, 3), [RESULT, r, {}]);

    // A callee without the feature: feature_not_supported to the caller.
    const plain = await c.raw(WS_JSON, { features: without("payload_passthru_mode") });
    await plain.register("e2e.plain");
    caller.request(CALL, { ppt_scheme: "x_e2e" }, "e2e.plain", [blob]);
    await caller.expectError(CALL, "wamp.error.feature_not_supported", "callee without payload_passthru_mode");
    await plain.barrier("no INVOCATION");

    // A caller without the feature: protocol violation.
    const rogue = await c.raw(WS_JSON, { features: without("payload_passthru_mode") });
    rogue.request(CALL, { ppt_scheme: "x_e2e" }, "e2e.ppt", [blob]);
    await rogue.expectAbort("wamp.error.protocol_violation", "ppt CALL without the feature");
    await callee.barrier("no INVOCATION from the aborted caller");
  });
}, T);

test("payload_passthru_mode: YIELD with ppt_* from a callee that did not announce it is a protocol violation", async () => {
  // Spec "Payload Passthru Mode": "Cases where a Callee sends a YIELD message with payload
  // passthru without announcing it during the HELLO handshake MUST be treated as PROTOCOL
  // ERRORS and the underlying WAMP connections must be aborted".
  await withRouter(async (c) => {
    const callee = await c.raw(WS_JSON, { features: without("payload_passthru_mode") });
    const caller = await c.raw(WS_JSON);
    await callee.register("e2e.ppt");
    caller.request(CALL, {}, "e2e.ppt");
    const inv = await invocationOf(callee);
    callee.send([YIELD, inv[1], { ppt_scheme: "x_e2e" }, [bytes(4)]]);
    await callee.expectAbort("wamp.error.protocol_violation", "ppt YIELD from a callee without the feature", 1000);
  });
}, T);

test("payload_passthru_mode: YIELD with ppt_* toward a caller without the feature gets feature_not_supported at the callee", async () => {
  // Spec "Payload Passthru Mode": a YIELD with payload passthru "which then must be routed to
  // the Caller which doesn't support payload passthru, MUST be treated as APPLICATION ERRORS
  // and the Dealer MUST respond to the Callee with a wamp.error.feature_not_supported error".
  await withRouter(async (c) => {
    const callee = await c.raw(WS_JSON);
    const caller = await c.raw(WS_JSON, { features: without("payload_passthru_mode") });
    await callee.register("e2e.ppt");
    caller.request(CALL, {}, "e2e.ppt");
    const inv = await invocationOf(callee);
    callee.send([YIELD, inv[1], { ppt_scheme: "x_e2e" }, [bytes(4)]]);
    const m = await callee.next(1000).catch((e) => {
      throw new Error(`the callee got no answer to its ppt YIELD (${e instanceof Error ? e.message : e})`);
    });
    assert.equal(m[0], ERROR, `expected ERROR at the callee, got ${show(m)}`);
    assert.equal(m[4], "wamp.error.feature_not_supported", show(m));
  });
}, T);

