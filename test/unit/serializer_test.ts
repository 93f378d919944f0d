import assert from "node:assert/strict";
import { createRequire } from "node:module";
import fc from "fast-check";
import { valueTree } from "../_support/arbitraries.ts";
import { test } from "../_support/harness.ts";
import {
  decodeBase64,
  decodeBase64Fallback,
  encodeBase64,
  encodeBase64Fallback,
} from "../../src/serializer/base64.ts";
import { cborSerializer } from "../../src/serializer/cbor.ts";
import { jsonSerializer } from "../../src/serializer/json.ts";
import { msgpackSerializer } from "../../src/serializer/msgpack.ts";
import {
  chooseSubprotocol,
  rawSocketSerializerSupported,
  serializerForRawSocketId,
  serializerForSubprotocol,
  subprotocol,
  SUPPORTED_SUBPROTOCOLS,
} from "../../src/serializer/registry.ts";
import type { Serializer } from "../../src/serializer/types.ts";

const ALL: readonly Serializer[] = [jsonSerializer, msgpackSerializer, cborSerializer];
const fcOptions = { seed: 0x5eed, numRuns: 300 };

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const fromHex = (text: string): Uint8Array =>
  Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16));

/** The spec's example (checklist §4.4). */
const EXAMPLE_BYTES = fromHex("10e3ff9053075c526f5fc06d4fe37cdb");
const EXAMPLE_JSON = "\u0000EOP/kFMHXFJvX8BtT+N82w==";

function sampleMessages(): unknown[][] {
  return [
    // PUBLISH with args and kwargs holding nested binary
    [16, 1, {}, "com.example.topic", [1, "two", new Uint8Array([0, 1, 255])], {
      nested: { deep: [new Uint8Array(0), { bin: EXAMPLE_BYTES }] },
      list: [],
      dict: {},
    }],
    // ids at the edges of the WAMP id range [1, 2^53]
    [2, 9007199254740992, { roles: { broker: {}, dealer: {} } }],
    [36, 9007199254740991, 1, { publisher: 2 ** 40 }, [-(2 ** 40), 2 ** 32, 2 ** 31, -(2 ** 31) - 1]],
    [48, 1, {}, "com.example.unicode", ["héllo wörld", "☃", "𝄞 clef", "日本語", "", "\u0001 control"], {}],
    [70, 7, {}, [], {}],
    [50, 3, {}, [true, false, null, 1.5, -0.25, 1e300, 0]],
  ];
}

for (const serializer of ALL) {
  test(`${serializer.name}: round trips messages (args, kwargs, nested binary, ids, unicode, empties)`, () => {
    for (const message of sampleMessages()) {
      const decoded = serializer.decode(serializer.encode(message));
      assert.deepStrictEqual(decoded, message);
    }
  });

  test(`${serializer.name}: ids 1, 2^53-1 and 2^53 come back as exact numbers`, () => {
    for (const id of [1, 9007199254740991, 9007199254740992]) {
      const decoded = serializer.decode(serializer.encode([1, id])) as unknown[];
      assert.equal(typeof decoded[1], "number");
      assert.equal(decoded[1], id);
    }
  });

  test(`${serializer.name}: encoding does not modify the message`, () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const kwargs = { b: bytes, big: 2 ** 40 };
    const message = [16, 2 ** 50, {}, "t", [bytes], kwargs];
    serializer.encode(message);
    assert.equal(message[5], kwargs);
    assert.equal(kwargs.b, bytes);
    assert.equal(kwargs.big, 2 ** 40);
    assert.equal(message[1], 2 ** 50);
  });

  test(`${serializer.name}: decoded binary is a plain Uint8Array, also from a Buffer frame`, () => {
    const encoded = serializer.encode([1, { bin: EXAMPLE_BYTES }, [EXAMPLE_BYTES]]);
    // Node adapters hand in Buffers; decoded values must still be plain Uint8Arrays.
    const frames = typeof encoded === "string"
      ? [encoded, new TextEncoder().encode(encoded)]
      : [encoded, Buffer.from(encoded)];
    for (const frame of frames) {
      const decoded = serializer.decode(frame) as [number, { bin: Uint8Array }, Uint8Array[]];
      assert.equal(Object.getPrototypeOf(decoded[1].bin), Uint8Array.prototype);
      assert.equal(Object.getPrototypeOf(decoded[2][0]), Uint8Array.prototype);
      assert.deepStrictEqual(decoded[1].bin, EXAMPLE_BYTES);
    }
  });

  test(`${serializer.name}: random messages round trip`, () => {
    const leaf = fc.oneof(
      fc.string({ unit: "grapheme" }).filter((s) => !s.startsWith("\u0000")),
      fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
      fc.boolean(),
      fc.constant(null),
      fc.uint8Array({ maxLength: 40 }).map((b) => new Uint8Array(b)),
    );
    // msgpackr and cbor-x rename a "__proto__" key (prototype-pollution guard).
    const key = fc.string().filter((k) => k !== "__proto__");
    const tree = valueTree(leaf, key);
    fc.assert(
      fc.property(fc.array(tree, { maxLength: 6 }), (message) => {
        assert.deepStrictEqual(serializer.decode(serializer.encode(message)), message);
      }),
      fcOptions,
    );
  });

  test(`${serializer.name}: garbage fails with an Error`, () => {
    const garbage: (Uint8Array | string)[] = serializer === jsonSerializer
      ? [
        "garbage",
        "",
        "[1,",
        '{"a":}',
        '["\\u0000!!notbase64"]',
        '["\\u0000A"]',
        new Uint8Array([0x5b, 0xff, 0xfe, 0x5d]),
      ]
      : [
        new Uint8Array(0),
        new Uint8Array([0xc1]),
        new Uint8Array([0x93, 0x01]),
        new Uint8Array([0x01, 0x02]),
        "[1]",
      ];
    if (serializer === cborSerializer) {
      garbage.push(new Uint8Array([0xff]), new Uint8Array([0x5f, 0x01]), new Uint8Array([0xf7]));
    }
    for (const frame of garbage) {
      assert.throws(
        () => serializer.decode(frame),
        Error,
        `decoding ${typeof frame === "string" ? JSON.stringify(frame) : hex(frame)}`,
      );
    }
  });

  test(`${serializer.name}: random bytes either decode to a value or throw an Error`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        let value: unknown;
        try {
          value = serializer.decode(bytes);
        } catch (e) {
          assert.ok(e instanceof Error, "throws an Error");
          return;
        }
        assert.notEqual(value, undefined);
      }),
      { ...fcOptions, numRuns: 2000 },
    );
  });
}

test("json: the spec's binary example, both ways", () => {
  assert.equal(jsonSerializer.encode([EXAMPLE_BYTES]), JSON.stringify([EXAMPLE_JSON]));
  assert.equal(jsonSerializer.encode([EXAMPLE_BYTES]), '["\\u0000EOP/kFMHXFJvX8BtT+N82w=="]');
  assert.deepStrictEqual(jsonSerializer.decode('["\\u0000EOP/kFMHXFJvX8BtT+N82w=="]'), [EXAMPLE_BYTES]);
});

test("json: decodes UTF-8 bytes and rejects invalid UTF-8", () => {
  const text = '[1,"☃",{"k":"\\u0000AQID"}]';
  assert.deepStrictEqual(jsonSerializer.decode(new TextEncoder().encode(text)), [1, "☃", {
    k: new Uint8Array([1, 2, 3]),
  }]);
  assert.throws(() => jsonSerializer.decode(new Uint8Array([0x5b, 0x22, 0xc3, 0x28, 0x22, 0x5d])), Error);
});

test("json: only strings starting with U+0000 are binary; other strings and keys stay", () => {
  const decoded = jsonSerializer.decode('["a\\u0000b", {"\\u0000AQ==": "x", "k": "\\u0000"}]');
  assert.deepStrictEqual(decoded, ["a\u0000b", { "\u0000AQ==": "x", k: new Uint8Array(0) }]);
});

test("json: a __proto__ key next to binary stays an own key", () => {
  const decoded = jsonSerializer.decode('[{"__proto__": "\\u0000AQ==", "x": 1}]') as [
    Record<string, unknown>,
  ];
  assert.equal(Object.getPrototypeOf(decoded[0]), Object.prototype);
  const reencoded = JSON.parse(jsonSerializer.encode(decoded) as string) as [Record<string, unknown>];
  assert.equal(Object.getOwnPropertyDescriptor(reencoded[0], "__proto__")?.value, "\u0000AQ==");
});

test("json: encode returns a string, binary serializers return plain Uint8Arrays", () => {
  assert.equal(typeof jsonSerializer.encode([1]), "string");
  for (const serializer of [msgpackSerializer, cborSerializer]) {
    const out = serializer.encode([1, new Uint8Array([1])]);
    assert.ok(out instanceof Uint8Array);
    assert.equal(
      Object.getPrototypeOf(out),
      Uint8Array.prototype,
      `${serializer.name} output is not a Buffer`,
    );
  }
});

test("cross-serializer: msgpack and cbor binary become \\0-base64 in JSON and back", () => {
  for (const source of [msgpackSerializer, cborSerializer]) {
    const wire = source.encode([36, 5, 6, {}, [EXAMPLE_BYTES], { k: [EXAMPLE_BYTES] }]);
    const decoded = source.decode(wire) as unknown[];
    const json = jsonSerializer.encode(decoded) as string;
    assert.ok(json.includes(JSON.stringify(EXAMPLE_JSON)), json);
    const back = jsonSerializer.decode(json) as [
      number,
      number,
      number,
      object,
      Uint8Array[],
      { k: Uint8Array[] },
    ];
    assert.deepStrictEqual(back[4][0], EXAMPLE_BYTES);
    assert.deepStrictEqual(back[5].k[0], EXAMPLE_BYTES);
    // and from JSON to the binary format again
    assert.deepStrictEqual(source.decode(source.encode(back)), decoded);
  }
});

test("cbor: a Uint8Array is a plain byte string (major type 2), not a tagged typed array", () => {
  const bytes = new Uint8Array([7, 8, 9]);
  const bare = cborSerializer.encode(bytes as unknown as unknown[]) as Uint8Array;
  assert.equal(bare[0], 0x43);
  assert.equal(hex(cborSerializer.encode([bytes]) as Uint8Array), "8143070809");
  // autobahn-js (`cbor` package) sends a Uint8Array as tag 64; it must decode to bytes too.
  assert.deepStrictEqual(cborSerializer.decode(fromHex("81d84043070809")), [bytes]);
});

test("msgpack: a Uint8Array is bin, a string is str", () => {
  assert.equal(
    hex(msgpackSerializer.encode([new Uint8Array([7, 8, 9]), "ab"]) as Uint8Array),
    "92c403070809a26162",
  );
});

test("binary formats write integers past 32 bits as integers, not floats", () => {
  // autobahn-python (and other typed peers) reject a float where WAMP wants an id.
  assert.equal(hex(msgpackSerializer.encode([2 ** 40]) as Uint8Array), "91d30000010000000000");
  assert.equal(hex(msgpackSerializer.encode([2 ** 53 - 1]) as Uint8Array), "91d3001fffffffffffff");
  assert.equal(hex(msgpackSerializer.encode([-(2 ** 40)]) as Uint8Array), "91d3ffffff0000000000");
  assert.equal(hex(cborSerializer.encode([2 ** 40]) as Uint8Array), "811b0000010000000000");
  assert.equal(hex(cborSerializer.encode([2 ** 53 - 1]) as Uint8Array), "811b001fffffffffffff");
  assert.equal(hex(cborSerializer.encode([-(2 ** 40)]) as Uint8Array), "813b000000ffffffffff");
  // Small ints stay compact; non-integers stay floats.
  assert.equal(hex(msgpackSerializer.encode([1, 1.5]) as Uint8Array), "9201cb3ff8000000000000");
  assert.equal(hex(cborSerializer.encode([1, 1.5]) as Uint8Array), "8201fb3ff8000000000000");
  // uint64 from other peers decodes to number
  assert.deepStrictEqual(msgpackSerializer.decode(fromHex("91cf0020000000000000")), [2 ** 53]);
  assert.deepStrictEqual(cborSerializer.decode(fromHex("811b0020000000000000")), [2 ** 53]);
});

// autobahn-js's own libraries (dependencies of the `autobahn` dev dependency), when present.
const require = createRequire(import.meta.url);
type Codec = { encode(v: unknown): Uint8Array; decode(b: Uint8Array): unknown };
function load(): {
  msgpack5: Codec;
  cbor: { encodeAsync(v: unknown): Promise<Uint8Array>; decodeFirstSync(b: Uint8Array): unknown };
} | undefined {
  try {
    const factory = require("msgpack5") as (options: { forceFloat64: boolean }) => Codec;
    const msgpack5 = factory({ forceFloat64: true }); // autobahn-js's settings
    return { msgpack5, cbor: require("cbor") };
  } catch {
    return undefined;
  }
}
const peers = load();

test("interop with autobahn-js codecs (msgpack5, cbor)", async () => {
  const message = [36, 9007199254740991, 2 ** 40, {}, [EXAMPLE_BYTES, "☃", 1.5], { k: { n: -(2 ** 33) } }];
  const ours = (decoded: unknown): unknown =>
    JSON.parse(jsonSerializer.encode(decoded as unknown[]) as string);
  const expected = ours(message);
  // our bytes read by theirs
  assert.deepStrictEqual(
    ours(peers!.msgpack5.decode(msgpackSerializer.encode(message) as Uint8Array)),
    expected,
  );
  assert.deepStrictEqual(
    ours(peers!.cbor.decodeFirstSync(cborSerializer.encode(message) as Uint8Array)),
    expected,
  );
  // their bytes read by ours
  assert.deepStrictEqual(msgpackSerializer.decode(peers!.msgpack5.encode(message)), message);
  // encodeAsync, as autobahn-js does (the package's sync encode returns a truncated buffer on Bun and Deno).
  assert.deepStrictEqual(cborSerializer.decode(await peers!.cbor.encodeAsync(message)), message);
}, { skip: peers ? false : "autobahn-js codecs not installed" });

test("base64: RFC 4648 vectors, native and fallback", () => {
  const vectors: [string, string][] = [
    ["", ""],
    ["f", "Zg=="],
    ["fo", "Zm8="],
    ["foo", "Zm9v"],
    ["foob", "Zm9vYg=="],
    ["fooba", "Zm9vYmE="],
    ["foobar", "Zm9vYmFy"],
  ];
  for (const [plain, encoded] of vectors) {
    const bytes = new TextEncoder().encode(plain);
    assert.equal(encodeBase64(bytes), encoded);
    assert.equal(encodeBase64Fallback(bytes), encoded);
    assert.deepStrictEqual(decodeBase64(encoded), bytes);
    assert.deepStrictEqual(decodeBase64Fallback(encoded), bytes);
  }
  assert.equal(encodeBase64Fallback(EXAMPLE_BYTES), EXAMPLE_JSON.slice(1));
});

test("base64: fallback agrees with Buffer on random bytes, and with native on what is invalid", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 10_000, size: "max" }), (raw) => {
      const bytes = new Uint8Array(raw);
      const text = encodeBase64Fallback(bytes);
      assert.equal(text, Buffer.from(bytes).toString("base64"));
      assert.deepStrictEqual(decodeBase64Fallback(text), bytes);
      assert.deepStrictEqual(decodeBase64(text), bytes);
    }),
    { ...fcOptions, numRuns: 200 },
  );
  for (const bad of ["A", "AA=", "A===", "AA==AA", "AA*A", "Zm9v=", "Zg==="]) {
    assert.throws(() => decodeBase64Fallback(bad), Error, `fallback accepts ${bad}`);
    assert.throws(() => decodeBase64(bad), Error, `decodeBase64 accepts ${bad}`);
  }
  // Accepted by the native decoder's default mode, so by the fallback too.
  for (const [loose, plain] of [["Zg", "f"], ["Zm8", "fo"], ["Zm 9v\n", "foo"]] as const) {
    assert.deepStrictEqual(decodeBase64Fallback(loose), new TextEncoder().encode(plain));
    assert.deepStrictEqual(decodeBase64(loose), new TextEncoder().encode(plain));
  }
});

test("registry: subprotocols, negotiation in the client's order, RawSocket ids", () => {
  assert.deepStrictEqual(SUPPORTED_SUBPROTOCOLS, [
    "wamp.2.json",
    "wamp.2.msgpack",
    "wamp.2.cbor",
    "wamp.2.json.batched",
    "wamp.2.msgpack.batched",
    "wamp.2.cbor.batched",
  ]);
  assert.equal(serializerForSubprotocol("wamp.2.json"), jsonSerializer);
  assert.equal(serializerForSubprotocol("wamp.2.msgpack"), msgpackSerializer);
  assert.equal(serializerForSubprotocol("wamp.2.cbor"), cborSerializer);
  assert.equal(serializerForSubprotocol("wamp.2.json.batched"), jsonSerializer);
  assert.equal(subprotocol("wamp.2.json.batched")?.framing, "batched");
  assert.equal(serializerForSubprotocol("wamp.2.ubjson"), undefined);
  assert.equal(serializerForSubprotocol("WAMP.2.JSON"), undefined);
  assert.equal(subprotocol("wamp.2.cbor")?.framing, "single");
  assert.equal(chooseSubprotocol(["wamp.2.ubjson", "wamp.2.cbor", "wamp.2.json"]), "wamp.2.cbor");
  assert.equal(chooseSubprotocol([" wamp.2.msgpack", "wamp.2.json"]), "wamp.2.msgpack");
  assert.equal(chooseSubprotocol(["wamp.2.ubjson", "mqtt"]), undefined);
  assert.equal(chooseSubprotocol([]), undefined);
  assert.equal(serializerForRawSocketId(1), jsonSerializer);
  assert.equal(serializerForRawSocketId(2), msgpackSerializer);
  assert.equal(serializerForRawSocketId(3), cborSerializer);
  for (const id of [0, 4, 5, 15]) {
    assert.equal(serializerForRawSocketId(id), undefined);
    assert.equal(rawSocketSerializerSupported(id), false);
  }
  for (const s of ALL) assert.equal(serializerForRawSocketId(s.rawSocketId), s);
  assert.equal(jsonSerializer.binary, false);
  assert.equal(msgpackSerializer.binary, true);
  assert.equal(cborSerializer.binary, true);
});
