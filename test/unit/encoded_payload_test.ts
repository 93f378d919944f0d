/**
 * Payloads left encoded (serializer/encoded.ts `EncodedValue`, MessagePack's
 * `decodeMessage`): what the router sees must be what decoding the whole frame gives, a frame
 * decodeMessage takes must be one decode takes, a payload written out again must decode to
 * the same values, and peers with another serializer (or the router's own sessions) must get
 * values. Properties run with fixed seeds.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { valueTree } from "../_support/arbitraries.ts";
import { test } from "../_support/harness.ts";
import { ALL_ROLES, MemoryClient } from "../_support/memory_client.ts";
import { FakeClock } from "../_support/fake_clock.ts";
import { SeededRandom } from "../_support/seeded_random.ts";
import { Router } from "../../src/router/router.ts";
import { appendPayload } from "../../src/router/messages.ts";
import { cborSerializer } from "../../src/serializer/cbor.ts";
import { decodeElements, EncodedValue } from "../../src/serializer/encoded.ts";
import { jsonSerializer } from "../../src/serializer/json.ts";
import { msgpackSerializer as mp } from "../../src/serializer/msgpack.ts";
import { skipMsgpackValues } from "../../src/serializer/msgpack_tail.ts";
import type { MessageConnection } from "../../src/platform/transport.ts";
import { validateClientMessage } from "../../src/wamp/validate.ts";

const fcOptions = { seed: 0xe4c0, numRuns: 300 };

const decodeMessage = (frame: Uint8Array | string): unknown => mp.decodeMessage!(frame);
const isLazy = (m: unknown): boolean => Array.isArray(m) && m.some((x) => x instanceof EncodedValue);
const fromHex = (text: string): Uint8Array => Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16));

// ---- arbitraries ----

const text = fc.oneof(fc.string({ unit: "grapheme", maxLength: 12 }), fc.constantFrom("com.example.add", "é日😀", "x".repeat(40), ""))
  .filter((s) => !s.startsWith("\u0000")); // JSON's binary marker
const number = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, -33, 0.5, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 53), 1e300),
);
const binary = fc.uint8Array({ maxLength: 20 }).map((b) => new Uint8Array(b));
const leaf = fc.oneof(text, number, fc.boolean(), fc.constant(null), binary);
// msgpackr renames a "__proto__" key (prototype-pollution guard), as a whole-frame decode does.
const key = text.filter((k) => k !== "__proto__");
const value = valueTree(leaf, key);
const dict = fc.dictionary(key, value, { maxKeys: 4, noNullPrototype: true });
const args = fc.array(value, { maxLength: 6 });
const id = fc.oneof(fc.integer({ min: 1, max: 2 ** 53 }), fc.constantFrom(1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53));
const options = fc.oneof(fc.constant({}), dict);
const payload = fc.oneof(
  args.map((a) => [a]),
  fc.tuple(args, dict).map(([a, k]) => [a, k]),
);

/** Client messages that carry a payload: CALL, YIELD, PUBLISH, ERROR (for an INVOCATION). */
const message: fc.Arbitrary<unknown[]> = fc.oneof(
  fc.tuple(id, options, text, payload).map(([i, o, u, p]) => [48, i, o, u, ...p]),
  fc.tuple(id, options, payload).map(([i, o, p]) => [70, i, o, ...p]),
  fc.tuple(id, options, text, payload).map(([i, o, u, p]) => [16, i, o, u, ...p]),
  fc.tuple(id, options, text, payload).map(([i, o, u, p]) => [8, 68, i, o, u, ...p]),
);

// ---- decoding ----

test("msgpack decodeMessage: the head as decode gives it, the payload as EncodedValues that decode to decode's values", () => {
  let lazy = 0;
  let runs = 0;
  fc.assert(
    fc.property(message, (m) => {
      runs++;
      const frame = mp.encode(m);
      const got = decodeMessage(frame) as unknown[];
      if (isLazy(got)) lazy++;
      assert.deepStrictEqual(decodeElements(got), mp.decode(frame));
      assert.equal(validateClientMessage(got), undefined, "the lazy message validates");
    }),
    fcOptions,
  );
  // Nearly every such message takes the lazy path: only payloads with text that is not
  // well-formed UTF-8 (lone surrogates) go the eager way.
  assert.ok(lazy > runs * 0.8, `${lazy} of ${runs} lazy`);
});

test("msgpack decodeMessage: any frame it takes, decode takes, with the same values; what decode refuses, it refuses", () => {
  const mutated = fc.tuple(message, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 3 }), fc.nat(8))
    .map(([m, flips, cut]) => {
      const frame = (mp.encode(m) as Uint8Array).slice();
      for (const [at, byte] of flips) frame[at % frame.length] = byte;
      return cut === 0 ? frame.subarray(0, Math.max(1, frame.length - 1)) : frame;
    });
  const frames = fc.oneof(mutated, fc.uint8Array({ maxLength: 40 }).map((b) => new Uint8Array(b)));
  fc.assert(
    fc.property(frames, (frame) => {
      let eager: unknown;
      let eagerError: unknown;
      try {
        eager = mp.decode(frame);
      } catch (e) {
        eagerError = e;
      }
      let lazy: unknown;
      try {
        lazy = decodeMessage(frame);
      } catch (e) {
        assert.ok(eagerError !== undefined, `decodeMessage threw (${String(e)}) where decode did not`);
        return;
      }
      assert.equal(eagerError, undefined, "decodeMessage took a frame decode refuses");
      assert.deepStrictEqual(Array.isArray(lazy) ? decodeElements(lazy) : lazy, eager);
    }),
    { ...fcOptions, numRuns: 2000 },
  );
});

test("msgpack decodeMessage: payloads it cannot vouch for are decoded whole", () => {
  const head = "9530cd3039de0000af636f6d2e6578616d706c652e616464"; // [48, 12345, {}, "com.example.add", ...]
  const cases: [string, string][] = [
    ["an extension type", "91d4ff01"],
    ["0xC1", "91c1"],
    ["text that is not UTF-8", "91a2fffe"],
    ["nesting deeper than the lazy limit", "91".repeat(66) + "c0"],
    ["Arguments that is not a list", "81a16101"],
  ];
  for (const [what, tail] of cases) {
    const frame = fromHex(head + tail);
    let got: unknown;
    try {
      got = decodeMessage(frame);
    } catch {
      continue; // refused outright, as decode refuses it
    }
    assert.ok(!isLazy(got), `${what}: decoded whole`);
    assert.deepStrictEqual(got, mp.decode(frame), what);
  }
  // Within the limit the payload stays encoded.
  assert.ok(isLazy(decodeMessage(fromHex(head + "91".repeat(60) + "c0"))));
});

test("skipMsgpackValues: maxDepth bounds nesting, and a count past the end fails at once", () => {
  const nested = (depth: number) => fromHex("91".repeat(depth) + "c0");
  assert.equal(skipMsgpackValues(nested(64), 0, 1, false, 64), 65);
  assert.equal(skipMsgpackValues(nested(65), 0, 1, false, 64), -1);
  assert.equal(skipMsgpackValues(nested(100_000), 0, 1), 100_001, "unbounded by default, without recursion");
  assert.equal(skipMsgpackValues(fromHex("ddffffffff01"), 0, 1), -1);
  assert.equal(skipMsgpackValues(fromHex("de0001a16181a16202"), 0, 1), 9, "maps count keys and values");
});

test("msgpack: the head reader gives what msgpackr gives for every integer and string form", () => {
  const ids = [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53];
  const uris = ["", "a", "x".repeat(31), "x".repeat(32), "x".repeat(255), "é.uri", "x".repeat(300)];
  for (const i of ids) {
    for (const u of uris) {
      const frame = mp.encode([48, i, { a: 1.5 }, u, [1]]);
      assert.deepStrictEqual(decodeElements(decodeMessage(frame) as unknown[]), mp.decode(frame));
    }
  }
  // Hand-written forms msgpackr never writes: uint64 for a small id, negative fixint, fixmap.
  const frame = fromHex("9530cf000000000000000780a3612e6291e0");
  assert.deepStrictEqual(decodeElements(decodeMessage(frame) as unknown[]), [48, 7, {}, "a.b", [-32]]);
});

// ---- encoding ----

test("msgpack encode: payload EncodedValues are written as their bytes, behind any head", () => {
  const details = fc.oneof(fc.constant({}), dict);
  fc.assert(
    fc.property(message, id, id, details, (m, a, b, d) => {
      const frame = mp.encode(m) as Uint8Array;
      const lazy = decodeMessage(frame) as unknown[];
      if (!isLazy(lazy)) return;
      const at = lazy.findIndex((x) => x instanceof EncodedValue);
      const out: unknown[] = [68, a, b, d];
      const n = appendPayload(out, lazy[at] as EncodedValue, lazy[at + 1] as EncodedValue | undefined);
      const expected: unknown[] = [68, a, b, d];
      appendPayload(expected, (mp.decode(frame) as unknown[])[at] as unknown[], (mp.decode(frame) as unknown[])[at + 1] as Record<string, unknown>);
      assert.equal(out.length, expected.length, "empty payload elements are left out as for values");
      const written = mp.encode(out) as Uint8Array;
      assert.deepStrictEqual(mp.decode(written), mp.decode(mp.encode(expected)));
      // The payload bytes are the received ones, verbatim, at the end of the frame.
      const parts = out.slice(4) as EncodedValue[];
      assert.equal(parts.length, n);
      const bytes = parts.flatMap((e) => Array.from(e.source.subarray(e.start, e.end)));
      assert.deepStrictEqual(Array.from(written.subarray(written.length - bytes.length)), bytes);
      // Other serializers get the values.
      assert.deepStrictEqual(jsonSerializer.decode(jsonSerializer.encode(out)), jsonSerializer.decode(jsonSerializer.encode(expected)));
      assert.deepStrictEqual(cborSerializer.decode(cborSerializer.encode(out)), cborSerializer.decode(cborSerializer.encode(expected)));
    }),
    fcOptions,
  );
});

test("appendPayload: an empty encoded ArgumentsKw (either map header) and Arguments are left out", () => {
  for (const [hex, expected] of [
    ["96300180a1709080", 4], // [48, 1, {}, "p", [], {}] with one-byte headers
    ["963001de0000a170dc0000de0000", 4], // the same with 16-bit headers
    ["96300180a170910180", 5], // [48, 1, {}, "p", [1], {}]
    ["96300180a1709081a16101", 6], // [48, 1, {}, "p", [], {a: 1}]
  ] as const) {
    const m = decodeMessage(fromHex(hex)) as unknown[];
    assert.ok(isLazy(m), hex);
    const out: unknown[] = [68, 1, 1, {}];
    appendPayload(out, m[4] as EncodedValue, m[5] as EncodedValue);
    assert.equal(out.length, expected, hex);
  }
});

// ---- through the router ----

/** A msgpack connection that keeps the frames the router sends. */
function rawConnection(router: Router, frames: Uint8Array[]) {
  const conn: MessageConnection = {
    info: { kind: "local" },
    protocol: "wamp.2.msgpack",
    send: (frame) => {
      frames.push((frame as Uint8Array).slice());
      return "ok";
    },
    close: () => {},
  };
  return router.acceptMessages(conn);
}

test("router: a msgpack payload reaches msgpack peers byte for byte, JSON peers and the meta API as values", async () => {
  const router = new Router({ realms: [{ name: "realm1" }], clock: new FakeClock(), random: new SeededRandom(3) });
  const calleeFrames: Uint8Array[] = [];
  const callee = rawConnection(router, calleeFrames);
  callee.message(mp.encode([1, "realm1", { roles: ALL_ROLES }]));
  callee.message(mp.encode([64, 1, {}, "com.example.echo"]));
  const jsonSub = new MemoryClient(router, "wamp.2.json");
  jsonSub.hello("realm1", { roles: ALL_ROLES });
  jsonSub.send([32, 1, {}, "com.example.topic"]);
  const caller = new MemoryClient(router, "wamp.2.msgpack");
  caller.hello("realm1", { roles: ALL_ROLES });
  jsonSub.inbox.length = 0;
  caller.inbox.length = 0;

  // 2^60 + 1 is not a double: only forwarding the bytes keeps it exact.
  const exact = fromHex("cf1000000000000001");
  const payload = Uint8Array.from([0x92, ...exact, 0xc4, 0x02, 0xbe, 0xef]); // [2^60 + 1, bin(beef)]
  const call = Uint8Array.from([...mp.encode([48, 7, {}, "com.example.echo"]) as Uint8Array, ...payload]);
  call[0] = 0x95;
  caller.sendFrame(call);
  const invocation = calleeFrames.at(-1)!;
  assert.deepStrictEqual(invocation.subarray(invocation.length - payload.length), payload, "payload forwarded verbatim");
  const inv = mp.decode(invocation) as unknown[];
  assert.equal(inv[0], 68);

  // The callee's YIELD goes back the same way.
  const yielded = Uint8Array.from([...mp.encode([70, inv[1], {}]) as Uint8Array, ...payload]);
  yielded[0] = 0x94;
  callee.message(yielded);
  const result = caller.take();
  assert.equal(result[0], 50);
  assert.deepStrictEqual(result[3], [2 ** 60, new Uint8Array([0xbe, 0xef])]);

  // A publication to a JSON subscriber arrives as values (binary as JSON's "\0" + base64).
  const publish = Uint8Array.from([...mp.encode([16, 8, {}, "com.example.topic"]) as Uint8Array, ...payload]);
  publish[0] = 0x95;
  caller.sendFrame(publish);
  const event = jsonSub.take();
  assert.equal(event[0], 36);
  assert.deepStrictEqual(event[4], [2 ** 60, new Uint8Array([0xbe, 0xef])]);

  // The meta API (a router-internal session) reads its arguments as values.
  caller.send([48, 9, {}, "wamp.session.get", [jsonSub.sessionId]]);
  // The meta API answers once its internal session has joined and handled the call.
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  const got = caller.take();
  assert.equal(got[0], 50, JSON.stringify(got));
  assert.equal((got[3] as Record<string, unknown>[])[0]!["session"], jsonSub.sessionId);
});
