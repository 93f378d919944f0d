/**
 * Payloads forwarded as received (Session.inboundTail, serializer `tail`/`encodeWithTail`):
 * frames of 512 bytes or more reach a peer with the same serializer with their Arguments and
 * ArgumentsKw copied from the incoming frame, and are encoded afresh for any other serializer.
 * Either way every peer must decode exactly what the sender sent: checked for CALL ->
 * INVOCATION, YIELD -> RESULT, callee ERROR -> caller ERROR and PUBLISH -> EVENT, between every
 * cell of the transport x serializer matrix (raw frames), with payloads holding binary,
 * non-ASCII text, JSON escapes, nested values and ids past 2^32.
 * @module
 */
import assert from "node:assert/strict";
import { test } from "../_support/harness.ts";
import { bytes, CALL, ERROR, EVENT, INVOCATION, PUBLISH, RESULT, show, T, TRANSPORTS, withRouter, YIELD } from "./_advanced.ts";

/** Over the 512-byte threshold in every serializer. */
function bigPayload(seed: number): { args: unknown[]; kwargs: Record<string, unknown> } {
  const args: unknown[] = [
    bytes(300, seed),
    "päyload \"quoted\" \\ back\\slash ] } , \u2028 😀",
    { nested: [1, -2, 3.5, null, true, false, { deep: ["x", 9_007_199_254_740_991] }] },
    5_012_345_678_901,
    Array.from({ length: 20 }, (_, i) => `item-${seed}-${i}`),
  ];
  return { args, kwargs: { bin: bytes(40, seed + 1), text: "ünïcödé", n: seed, list: [[], {}, ""] } };
}

test("payload forwarding: large RPC payloads arrive intact between every pair of transports and serializers", async () => {
  await withRouter(async (ctx) => {
    let seed = 1;
    for (const calleeCell of TRANSPORTS) {
      const callee = await ctx.raw(calleeCell);
      await callee.register("e2e.forward.echo");
      await callee.register("e2e.forward.fail");
      for (const callerCell of TRANSPORTS) {
        const caller = await ctx.raw(callerCell);
        const what = `${callerCell.name} caller -> ${calleeCell.name} callee`;
        const { args, kwargs } = bigPayload(seed++);

        // CALL -> INVOCATION, YIELD -> RESULT
        const r = caller.request(CALL, {}, "e2e.forward.echo", args, kwargs);
        const inv = await callee.expect(INVOCATION, `${what}: INVOCATION`);
        assert.deepEqual(inv[4], args, `${what}: INVOCATION args ${show(inv[4])}`);
        assert.deepEqual(inv[5], kwargs, `${what}: INVOCATION kwargs`);
        callee.send([YIELD, inv[1], {}, inv[4], inv[5]]);
        const res = await caller.expect(RESULT, `${what}: RESULT`);
        assert.equal(res[1], r);
        assert.deepEqual(res[3], args, `${what}: RESULT args`);
        assert.deepEqual(res[4], kwargs, `${what}: RESULT kwargs`);

        // callee ERROR -> caller ERROR, payload included
        const r2 = caller.request(CALL, {}, "e2e.forward.fail", args);
        const inv2 = await callee.expect(INVOCATION, `${what}: INVOCATION (fail)`);
        assert.equal(inv2.length, 5, `${what}: an INVOCATION without kwargs has no kwargs element`);
        callee.send([ERROR, INVOCATION, inv2[1], {}, "e2e.error.big", inv2[4], kwargs]);
        const err = await caller.expect(ERROR, `${what}: ERROR`);
        assert.deepEqual(err.slice(0, 5), [ERROR, CALL, r2, {}, "e2e.error.big"]);
        assert.deepEqual(err[5], args, `${what}: ERROR args`);
        assert.deepEqual(err[6], kwargs, `${what}: ERROR kwargs`);
        caller.close();
      }
      callee.close();
    }
  });
}, T);

test("payload forwarding: a large publication reaches subscribers of every transport and serializer intact", async () => {
  await withRouter(async (ctx) => {
    const subscribers = await Promise.all(TRANSPORTS.map((t) => ctx.raw(t)));
    // Two subscriptions to the same topic (exact and prefix): the frame cache is per subscription.
    for (const s of subscribers) await s.subscribe("e2e.forward.topic");
    const prefixed = await ctx.raw(TRANSPORTS[1]!);
    await prefixed.subscribe("e2e.forward", { match: "prefix" });
    let seed = 100;
    for (const pubCell of TRANSPORTS) {
      const publisher = await ctx.raw(pubCell);
      const { args, kwargs } = bigPayload(seed++);
      publisher.request(PUBLISH, {}, "e2e.forward.topic", args, kwargs);
      for (const [i, s] of subscribers.entries()) {
        const ev = await s.expect(EVENT, `${pubCell.name} -> ${TRANSPORTS[i]!.name}: EVENT`);
        assert.deepEqual(ev[4], args, `${pubCell.name} -> ${TRANSPORTS[i]!.name}: EVENT args`);
        assert.deepEqual(ev[5], kwargs, `${pubCell.name} -> ${TRANSPORTS[i]!.name}: EVENT kwargs`);
      }
      const ev = await prefixed.expect(EVENT, `${pubCell.name} -> prefix subscriber: EVENT`);
      assert.equal((ev[3] as Record<string, unknown>)["topic"], "e2e.forward.topic");
      assert.deepEqual([ev[4], ev[5]], [args, kwargs], `${pubCell.name} -> prefix subscriber: payload`);
      publisher.close();
    }
    for (const s of [...subscribers, prefixed]) s.close();
  });
}, T);
