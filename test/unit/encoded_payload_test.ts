/**
 * Payloads left encoded (serializer/encoded.ts `EncodedValue`, the `decodeMessage` of
 * MessagePack and CBOR): what the router sees must be what decoding the whole frame gives, a frame
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
import { skipCborItems } from "../../src/serializer/cbor_tail.ts";
import { skipMsgpackValues } from "../../src/serializer/msgpack_tail.ts";
import type { Serializer } from "../../src/serializer/types.ts";
import type { MessageConnection } from "../../src/platform/transport.ts";
import { validateClientMessage } from "../../src/wamp/validate.ts";

const fcOptions = { seed: 0xe4c0, numRuns: 300 };

const BINARY: readonly Serializer[] = [mp, cborSerializer];
const decodeMessage = (frame: Uint8Array | string, ser: Serializer = mp): unknown => ser.decodeMessage!(frame);
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

for (const ser of BINARY) {
  test(`${ser.name} decodeMessage: the head as decode gives it, the payload as EncodedValues that decode to decode's values`, () => {
    let lazy = 0;
    let runs = 0;
    fc.assert(
      fc.property(message, (m) => {
        runs++;
        const frame = ser.encode(m);
        const got = decodeMessage(frame, ser) as unknown[];
        if (isLazy(got)) lazy++;
        assert.deepStrictEqual(decodeElements(got), ser.decode(frame));
        assert.equal(validateClientMessage(got), undefined, "the lazy message validates");
      }),
      fcOptions,
    );
    // Nearly every such message takes the lazy path: only payloads with text that is not
    // well-formed UTF-8 (lone surrogates) go the eager way.
    assert.ok(lazy > runs * 0.8, `${lazy} of ${runs} lazy`);
  });
}

/** Maps whose keys are of every kind, the ones the libraries refuse to decode included. */
const oddMaps: Record<string, readonly string[]> = {
  msgpack: ["81a16101", "810101", "81c001", "81ca3fc0000001", "81c4016101", "81910101", "8181a1610101", "818001", "81900101"],
  cbor: ["a1616101", "a10101", "a1f601", "a1f93c0001", "a1416101", "a1810101", "a1a161610101", "a1a001", "a18001"],
};

for (const ser of BINARY) {
  test(`${ser.name} decodeMessage: any frame it takes, decode takes, with the same values; what decode refuses, it refuses`, () => {
    const mutated = fc.tuple(message, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 3 }), fc.nat(8))
      .map(([m, flips, cut]) => {
        const frame = (ser.encode(m) as Uint8Array).slice();
        for (const [at, byte] of flips) frame[at % frame.length] = byte;
        return cut === 0 ? frame.subarray(0, Math.max(1, frame.length - 1)) : frame;
      });
    // A CALL whose payload holds one of the odd maps, inside a list or as ArgumentsKw.
    const call = ser.encode([48, 1, {}, "a.b"]) as Uint8Array;
    const withOddMap = fc.tuple(fc.constantFrom(...oddMaps[ser.name]!), fc.boolean()).map(([map, asKwargs]) => {
      const one = ser.name === "msgpack" ? "91" : "81";
      const payload = asKwargs ? [...fromHex(one === "91" ? "90" : "80"), ...fromHex(map)] : [...fromHex(one), ...fromHex(map)];
      const frame = Uint8Array.from([...call, ...payload]);
      frame[0] = call[0]! + (asKwargs ? 2 : 1);
      return frame;
    });
    const frames = fc.oneof(mutated, withOddMap, fc.uint8Array({ maxLength: 40 }).map((b) => new Uint8Array(b)));
    fc.assert(
      fc.property(frames, (frame) => {
        let eager: unknown;
        let eagerError: unknown;
        try {
          eager = ser.decode(frame);
        } catch (e) {
          eagerError = e;
        }
        let lazy: unknown;
        try {
          lazy = decodeMessage(frame, ser);
        } catch (e) {
          assert.ok(eagerError !== undefined, `decodeMessage threw (${String(e)}) where decode did not`);
          return;
        }
        assert.equal(eagerError, undefined, "decodeMessage took a frame decode refuses");
        assert.deepStrictEqual(Array.isArray(lazy) ? decodeElements(lazy) : lazy, eager);
      }),
      { ...fcOptions, numRuns: 3000 },
    );
  });
}

/** Per serializer: a CALL head, and payloads (after it) the lazy path must leave to decode. */
const unvouched: Record<string, { head: string; nest: (depth: number) => string; cases: [string, string][] }> = {
  msgpack: {
    head: "9530cd3039de0000af636f6d2e6578616d706c652e616464", // [48, 12345, {}, "com.example.add", ...]
    nest: (depth) => "91".repeat(depth) + "c0",
    cases: [
      ["an extension type", "91d4ff01"],
      ["0xC1", "91c1"],
      ["text that is not UTF-8", "91a2fffe"],
      ["nesting deeper than the lazy limit", "91".repeat(66) + "c0"],
      ["Arguments that is not a list", "81a16101"],
      ["a map with a list as a key", "9181910101"],
      ["a map with binary as a key", "9181c4016101"],
    ],
  },
  cbor: {
    head: "85183019303980 6f636f6d2e6578616d706c652e616464".replace(" ", ""), // [48, 12345, {}, "com.example.add", ...]
    nest: (depth) => "81".repeat(depth) + "f6",
    cases: [
      ["a tag", "81c11a5f5e1000"],
      ["an indefinite-length list", "9f01ff"],
      ["a simple value cbor-x gives a meaning", "81e0"],
      ["text that is not UTF-8", "8162fffe"],
      ["nesting deeper than the lazy limit", "81".repeat(66) + "f6"],
      ["Arguments that is not a list", "a1616101"],
      ["a map with a list as a key", "81a1810101"],
      ["a map with a byte string as a key", "81a1416101"],
    ],
  },
};

for (const ser of BINARY) {
  test(`${ser.name} decodeMessage: payloads it cannot vouch for are decoded whole`, () => {
    const { head, nest, cases } = unvouched[ser.name]!;
    for (const [what, tail] of cases) {
      const frame = fromHex(head + tail);
      let got: unknown;
      try {
        got = decodeMessage(frame, ser);
      } catch {
        assert.throws(() => ser.decode(frame), what);
        continue; // refused outright, as decode refuses it
      }
      assert.ok(!isLazy(got), `${what}: decoded whole`);
      assert.deepStrictEqual(got, ser.decode(frame), what);
    }
    // Within the limit the payload stays encoded.
    assert.ok(isLazy(decodeMessage(fromHex(head + nest(60)), ser)));
  });
}

test("skipMsgpackValues, skipCborItems: maxDepth bounds nesting, a count past the end fails at once, keys are checked", () => {
  for (const [skip, nest, huge, map, listKey] of [
    [skipMsgpackValues, (d: number) => "91".repeat(d) + "c0", "ddffffffff01", "de0001a16181a16202", "81910101"],
    [skipCborItems, (d: number) => "81".repeat(d) + "f6", "9affffffff01", "b900016161a1616202", "a1810101"],
  ] as const) {
    assert.equal(skip(fromHex(nest(64)), 0, 1, false, 64), 65);
    assert.equal(skip(fromHex(nest(65)), 0, 1, false, 64), -1);
    assert.equal(skip(fromHex(nest(100_000)), 0, 1), 100_001, "unbounded by default, without recursion");
    assert.equal(skip(fromHex(huge), 0, 1), -1);
    assert.equal(skip(fromHex(map), 0, 1), 9, "maps count keys and values");
    assert.equal(skip(fromHex(listKey), 0, 1), 4, "a list as a key is skipped over when not strict");
    assert.equal(skip(fromHex(listKey), 0, 1, true), -1, "and refused when strict");
    assert.equal(skip(fromHex(map), 0, 1, true), 9, "a map as a value is fine");
  }
});

test("msgpack, cbor: the head reader gives what the library gives for every integer and string form", () => {
  const ids = [0, 1, 23, 24, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53];
  const uris = ["", "a", "x".repeat(23), "x".repeat(24), "x".repeat(31), "x".repeat(32), "x".repeat(255), "é.uri", "x".repeat(300)];
  for (const ser of BINARY) {
    for (const i of ids) {
      for (const u of uris) {
        for (const options of [{}, { a: 1.5 }]) {
          const frame = ser.encode([48, i, options, u, [1]]);
          const got = decodeMessage(frame, ser) as unknown[];
          assert.ok(isLazy(got), `${ser.name} ${i} ${u}`);
          assert.deepStrictEqual(decodeElements(got), ser.decode(frame));
        }
      }
    }
  }
  // Hand-written forms the libraries never write: a 64-bit small id, a negative integer, a
  // one-byte empty map.
  for (const [ser, hex] of [[mp, "9530cf000000000000000780a3612e6291e0"], [cborSerializer, "8518301b0000000000000007a063612e628120"]] as const) {
    assert.deepStrictEqual(decodeElements(decodeMessage(fromHex(hex), ser) as unknown[]), [48, 7, {}, "a.b", [ser === mp ? -32 : -1]]);
  }
});

// ---- encoding ----

for (const ser of BINARY) {
  test(`${ser.name} encode: payload EncodedValues are written as their bytes, behind any head`, () => {
    encodeProperty(ser);
  });
}

function encodeProperty(ser: Serializer): void {
  const details = fc.oneof(fc.constant({}), dict);
  fc.assert(
    fc.property(message, id, id, details, (m, a, b, d) => {
      const frame = ser.encode(m) as Uint8Array;
      const lazy = decodeMessage(frame, ser) as unknown[];
      if (!isLazy(lazy)) return;
      const at = lazy.findIndex((x) => x instanceof EncodedValue);
      const out: unknown[] = [68, a, b, d];
      const n = appendPayload(out, lazy[at] as EncodedValue, lazy[at + 1] as EncodedValue | undefined);
      const expected: unknown[] = [68, a, b, d];
      const values = ser.decode(frame) as unknown[];
      appendPayload(expected, values[at] as unknown[], values[at + 1] as Record<string, unknown>);
      assert.equal(out.length, expected.length, "empty payload elements are left out as for values");
      const written = ser.encode(out) as Uint8Array;
      assert.deepStrictEqual(ser.decode(written), ser.decode(ser.encode(expected)));
      // The payload bytes are the received ones, verbatim, at the end of the frame.
      const parts = out.slice(4) as EncodedValue[];
      assert.equal(parts.length, n);
      const bytes = parts.flatMap((e) => Array.from(e.source.subarray(e.start, e.end)));
      assert.deepStrictEqual(Array.from(written.subarray(written.length - bytes.length)), bytes);
      // Other serializers get the values.
      for (const other of [jsonSerializer, mp, cborSerializer]) {
        if (other !== ser) assert.deepStrictEqual(other.decode(other.encode(out)), other.decode(other.encode(expected)));
      }
    }),
    fcOptions,
  );
}

test("appendPayload: an empty encoded ArgumentsKw (either map header) and Arguments are left out", () => {
  for (const [ser, hex, expected] of [
    [mp, "96300180a1709080", 4], // [48, 1, {}, "p", [], {}] with one-byte headers
    [mp, "963001de0000a170dc0000de0000", 4], // the same with 16-bit headers
    [mp, "96300180a170910180", 5], // [48, 1, {}, "p", [1], {}]
    [mp, "96300180a1709081a16101", 6], // [48, 1, {}, "p", [], {a: 1}]
    [cborSerializer, "861830 01a0 6170 80a0".replaceAll(" ", ""), 4],
    [cborSerializer, "861830 01b90000 6170 990000b90000".replaceAll(" ", ""), 4],
    [cborSerializer, "861830 01a0 6170 8101a0".replaceAll(" ", ""), 5],
    [cborSerializer, "861830 01a0 6170 80a1616101".replaceAll(" ", ""), 6],
  ] as const) {
    const m = decodeMessage(fromHex(hex), ser) as unknown[];
    assert.ok(isLazy(m), hex);
    const out: unknown[] = [68, 1, 1, {}];
    appendPayload(out, m[4] as EncodedValue, m[5] as EncodedValue);
    assert.equal(out.length, expected, hex);
  }
});

// ---- through the router ----

/** A connection that keeps the frames the router sends. */
function rawConnection(router: Router, ser: Serializer, frames: Uint8Array[]) {
  const conn: MessageConnection = {
    info: { kind: "local" },
    protocol: `wamp.2.${ser.name}`,
    send: (frame) => {
      frames.push((frame as Uint8Array).slice());
      return "ok";
    },
    close: () => {},
  };
  return router.acceptMessages(conn);
}

/** Per serializer: the one-byte header of an array of `n`, and [2^60 + 1, bytes be ef] encoded by hand. */
const wire: Record<string, { array: (n: number) => number; payload: string }> = {
  // 2^60 + 1 is not a double: only forwarding the bytes keeps it exact.
  msgpack: { array: (n) => 0x90 | n, payload: "92cf1000000000000001c402beef" },
  cbor: { array: (n) => 0x80 | n, payload: "821b100000000000000142beef" },
};

for (const ser of BINARY) {
  test(`router: a ${ser.name} payload reaches ${ser.name} peers byte for byte, JSON peers and the meta API as values`, async () => {
    const { array } = wire[ser.name]!;
    const payload = fromHex(wire[ser.name]!.payload);
    /** `head` encoded, with the payload bytes behind it. */
    const withPayload = (head: unknown[]): Uint8Array => {
      const frame = Uint8Array.from([...ser.encode(head) as Uint8Array, ...payload]);
      frame[0] = array(head.length + 1);
      return frame;
    };
    const router = new Router({ realms: [{ name: "realm1" }], clock: new FakeClock(), random: new SeededRandom(3) });
    const calleeFrames: Uint8Array[] = [];
    const callee = rawConnection(router, ser, calleeFrames);
    callee.message(ser.encode([1, "realm1", { roles: ALL_ROLES }]));
    callee.message(ser.encode([64, 1, {}, "com.example.echo"]));
    const jsonSub = new MemoryClient(router, "wamp.2.json");
    jsonSub.hello("realm1", { roles: ALL_ROLES });
    jsonSub.send([32, 1, {}, "com.example.topic"]);
    const caller = new MemoryClient(router, `wamp.2.${ser.name}`);
    caller.hello("realm1", { roles: ALL_ROLES });
    jsonSub.inbox.length = 0;
    caller.inbox.length = 0;

    caller.sendFrame(withPayload([48, 7, {}, "com.example.echo"]));
    const invocation = calleeFrames.at(-1)!;
    assert.deepStrictEqual(invocation.subarray(invocation.length - payload.length), payload, "payload forwarded verbatim");
    const inv = ser.decode(invocation) as unknown[];
    assert.equal(inv[0], 68);

    // The callee's YIELD goes back the same way.
    callee.message(withPayload([70, inv[1], {}]));
    const result = caller.take();
    assert.equal(result[0], 50);
    assert.deepStrictEqual(result[3], [2 ** 60, new Uint8Array([0xbe, 0xef])]);

    // A publication to a JSON subscriber arrives as values (binary as JSON's "\0" + base64).
    caller.sendFrame(withPayload([16, 8, {}, "com.example.topic"]));
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
}
