import assert from "node:assert/strict";
import { test } from "../_support/harness.ts";
import { FakeClock } from "../_support/fake_clock.ts";
import { SeededRandom } from "../_support/seeded_random.ts";
import { MemoryClient } from "../_support/memory_client.ts";
import { Router } from "../../src/router/router.ts";
import { splitBatch, wrapBatch } from "../../src/serializer/batched.ts";
import { serializerForSubprotocol } from "../../src/serializer/registry.ts";

function router() {
  return new Router({ realms: [{ name: "realm1" }], clock: new FakeClock(), random: new SeededRandom(1) });
}

test("batched subprotocols are negotiated and carry RPC across serializers", () => {
  const r = router();
  assert.equal(r.chooseSubprotocol(["wamp.2.cbor.batched", "wamp.2.json"]), "wamp.2.cbor.batched");
  const callee = new MemoryClient(r, "wamp.2.msgpack.batched");
  const caller = new MemoryClient(r, "wamp.2.json.batched");
  const cbor = new MemoryClient(r, "wamp.2.cbor.batched");
  for (const c of [callee, caller, cbor]) assert.equal(c.hello()[0], 2);
  callee.request(64, {}, "p.echo");
  assert.equal(callee.take()[0], 65);
  const req = caller.request(48, {}, "p.echo", [new Uint8Array([7, 8])]);
  const inv = callee.take();
  callee.send([70, inv[1], {}, inv[4]]);
  assert.deepEqual(caller.take(), [50, req, {}, [new Uint8Array([7, 8])]]);
  cbor.request(48, {}, "p.echo", ["x"]);
  callee.send([70, callee.take()[1], {}, ["x"]]);
  assert.equal(cbor.take()[0], 50);
});

test("a batch of several messages is processed in order", () => {
  const r = router();
  const c = new MemoryClient(r, "wamp.2.json");
  void c;
  const json = serializerForSubprotocol("wamp.2.json")!;
  const b = new MemoryClient(r, "wamp.2.json.batched");
  const frame = [
    [1, "realm1", { roles: { subscriber: {}, publisher: {} } }],
    [32, 1, {}, "t.one"],
    [32, 2, {}, "t.two"],
  ].map((m) => json.encode(m) as string + "\u001e").join("");
  b.sendFrame(frame);
  assert.deepEqual(b.inbox.map((m) => m[0]), [2, 33, 33]);
});

test("malformed batches are protocol violations", () => {
  for (const [protocol, frame] of [
    ["wamp.2.json.batched", ""],
    ["wamp.2.json.batched", "[1,\"realm1\",{}]"],
    ["wamp.2.msgpack.batched", new Uint8Array([0, 0, 0, 9, 1])],
    ["wamp.2.msgpack.batched", new Uint8Array([0, 0])],
    ["wamp.2.cbor.batched", new Uint8Array([])],
    ["wamp.2.cbor.batched", "text"],
  ] as Array<[string, Uint8Array | string]>) {
    const c = new MemoryClient(router(), protocol);
    c.sendFrame(frame);
    const m = c.take();
    assert.equal(m[0], 3, `${protocol} ${String(frame)}`);
    assert.equal(m[2], "wamp.error.protocol_violation");
    assert.equal(c.closed, true);
  }
});

test("splitBatch and wrapBatch are inverse", () => {
  const a = new Uint8Array([1, 2, 3]);
  const b = new Uint8Array([]);
  const joined = new Uint8Array([...wrapBatch(a) as Uint8Array, ...wrapBatch(b) as Uint8Array]);
  assert.deepEqual(splitBatch(true, joined), [a, b]);
  assert.deepEqual(splitBatch(false, wrapBatch("[1]") as string + wrapBatch("[2]")), ["[1]", "[2]"]);
});
