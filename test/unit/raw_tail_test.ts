/**
 * Raw payload tails (serializer/types.ts `RawTail`): cutting a received message's trailing
 * Arguments/ArgumentsKw out of its frame (`Serializer.tail`) and splicing them behind a new
 * head (`Serializer.encodeWithTail`) must give a frame that decodes exactly as a plain encode
 * of the same message would; every frame that cannot be cut must be refused (undefined), never
 * throw. Properties run with fixed seeds.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { valueTree } from "../_support/arbitraries.ts";
import { concat } from "../_support/bytes.ts";
import { test } from "../_support/harness.ts";
import { cborSerializer } from "../../src/serializer/cbor.ts";
import { cborTailBytes, skipCborItems } from "../../src/serializer/cbor_tail.ts";
import { jsonSerializer } from "../../src/serializer/json.ts";
import { jsonTailText } from "../../src/serializer/json_tail.ts";
import { msgpackSerializer } from "../../src/serializer/msgpack.ts";
import { msgpackTailBytes, skipMsgpackValues } from "../../src/serializer/msgpack_tail.ts";
import { CUT_MIN_LENGTH, payloadTail, type RawTail, type Serializer } from "../../src/serializer/types.ts";

const ALL: readonly Serializer[] = [jsonSerializer, msgpackSerializer, cborSerializer];
const BINARY: readonly Serializer[] = [msgpackSerializer, cborSerializer];
const fcOptions = { seed: 0x7a11, numRuns: 120 };

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const fromHex = (text: string): Uint8Array =>
  Uint8Array.from(text.replace(/\s+/g, "").match(/../g) ?? [], (h) => parseInt(h, 16));
const show = (frame: Uint8Array | string): string => typeof frame === "string" ? JSON.stringify(frame) : hex(frame);

/** True when `part` holds exactly the last `part.length` bytes (or characters) of `whole`. */
function isSuffix(part: Uint8Array | string | undefined, whole: Uint8Array | string): boolean {
  if (part === undefined) return false;
  if (typeof part === "string" || typeof whole === "string") {
    return typeof part === "string" && typeof whole === "string" && whole.endsWith(part);
  }
  if (part.length > whole.length) return false;
  const start = whole.length - part.length;
  for (let i = 0; i < part.length; i++) if (part[i] !== whole[start + i]) return false;
  return true;
}

/** The tail `ser` cuts from `frame`, asserting it is there and well-formed. */
function cut(ser: Serializer, frame: Uint8Array | string, from: number, count: number): RawTail {
  const t = ser.tail(frame, from, count);
  assert.ok(t, `${ser.name}: no tail (from ${from}, count ${count}) of ${show(frame)}`);
  assert.equal(t.serializer, ser.name);
  assert.equal(t.count, count);
  assert.ok(isSuffix(t.encoded, frame), "the tail is the end of the frame");
  return t;
}

/** `message` sent with `t` as its last `t.count` elements decodes as its plain encoding does. */
function assertJoins(ser: Serializer, message: readonly unknown[], t: RawTail): Uint8Array | string {
  const joined = ser.encodeWithTail(message, t);
  assert.deepStrictEqual(ser.decode(joined), ser.decode(ser.encode(message)));
  return joined;
}

// ---- arbitraries ----------------------------------------------------------------------------

/** Characters that matter to a JSON scanner or to UTF-8 length headers. */
const nastyChar = fc.constantFrom(
  '"', "\\", "]", "}", "[", "{", ",", ":", " ", "\n", "\t", "\r", "\b", "\f", "/", "\u0001", "\u001f",
  "\u007f", "\u2028", "\u2029", "é", "日", "😀", "\\u0000", "a", "0",
);
/** Any UTF-16 code unit, lone surrogates included (fc's "binary" unit costs ~0.4 s to set up). */
const codeUnit = fc.nat(0xffff).map((c) => String.fromCharCode(c));
const text = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.string({ unit: nastyChar, maxLength: 12 }),
  fc.constantFrom('"', "\\", '\\"', '"\\', "]", "}", "],", "},", '"]}', "x".repeat(40), "é".repeat(200), ""),
).filter((s) => !s.startsWith("\u0000")); // JSON's binary marker

const number = fc.oneof(
  fc.integer(),
  fc.integer({ min: -(2 ** 53), max: 2 ** 53 }),
  fc.double(),
  fc.constantFrom(0, -0, 1, -1, 0.5, -1.5, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, 2 ** 32 - 1, 2 ** 53, -(2 ** 53), 1e300, 5e-324),
);

const binary = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 250, maxLength: 300 }) },
).map((b) => new Uint8Array(b));

const leaf = fc.oneof(text, number, fc.boolean(), fc.constant(null), binary);

// msgpackr and cbor-x rename a "__proto__" key (prototype-pollution guard).
const key = text.filter((k) => k !== "__proto__");

const value = valueTree(leaf, key);

const dict = fc.dictionary(key, value, { maxKeys: 6, noNullPrototype: true });
const args = fc.array(value, { maxLength: 8 });
const id = fc.oneof(fc.integer({ min: 1, max: 2 ** 53 }), fc.constantFrom(1, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53));
const uri = text;

/** [code, id, options, uri, args, kwargs]: PUBLISH- or CALL-shaped. */
const message6 = fc.tuple(fc.constantFrom(16, 48, 70), id, dict, uri, args, dict);
/** A new head in front of a payload, EVENT-/INVOCATION-shaped: [code, id, id, details]. */
const prefix4 = fc.tuple(fc.constantFrom(36, 68), id, id, dict);

// Frames for the scanners (section 3).

interface ScanCase {
  readonly b: Uint8Array;
  readonly from: number;
  readonly count: number;
}

const MSGPACK_ITEMS = [
  "01", "7f", "e0", "c0", "c2", "c3", "a0", "a3616263", "d90161", "da000161", "c40100", "c5000100", "cc80", "cdffff",
  "ceffffffff", "cf0000000100000000", "d0ff", "d1ff00", "d2ff000000", "d3ffffffff00000000", "ca3fc00000",
  "cb3ff8000000000000", "90", "9101", "9201a0", "80", "81a16101", "dc000101", "dd0000000101", "de0001a16101",
  "d6ff00000001", "d40000", "93919080", "c1",
].map(fromHex);
const CBOR_ITEMS = [
  "01", "17", "1818", "190100", "1a00010000", "1b0000000100000000", "20", "3818", "f4", "f5", "f6", "f7", "f93c00",
  "fa3fc00000", "fb3ff8000000000000", "40", "4101", "580101", "60", "63616263", "780161", "80", "8101", "820180",
  "9801 01", "a0", "a1616101", "b801616101", "c11a5f5e1000", "d86401", "9f01ff", "bf616101ff", "5f4101ff", "ff",
].map(fromHex);

function scanCases(
  heads: readonly number[],
  items: readonly Uint8Array[],
  arrayHeader: (n: number, long: boolean) => Uint8Array,
): fc.Arbitrary<ScanCase> {
  const part = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...items) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 3 }) });
  const structured = fc
    .tuple(fc.array(part, { minLength: 1, maxLength: 8 }), fc.nat(8), fc.constantFrom(0, 0, 0, -1, 1), fc.boolean())
    .map(([parts, f, delta, long]): ScanCase => {
      const from = f % parts.length;
      return { b: concat([arrayHeader(parts.length + delta, long), ...parts]), from, count: parts.length - from };
    });
  const random = fc
    .tuple(
      fc.oneof(
        fc.uint8Array({ maxLength: 48 }),
        fc.tuple(fc.constantFrom(...heads), fc.uint8Array({ maxLength: 48 })).map(([h, rest]) => concat([Uint8Array.of(h), rest])),
      ),
      fc.nat(6),
      fc.nat(3),
    )
    .map(([b, from, count]): ScanCase => ({ b, from, count }));
  return fc.oneof(structured, random);
}

const msgpackCases = scanCases(
  [0x90, 0x91, 0x92, 0x96, 0x9f, 0xdc, 0xdd, 0x80, 0xde, 0xc4, 0xd9, 0xc7, 0xd8],
  MSGPACK_ITEMS,
  (n, long) => n < 16 && !long ? Uint8Array.of(0x90 | n) : Uint8Array.of(0xdc, n >> 8, n & 0xff),
);
const cborCases = scanCases(
  [0x80, 0x81, 0x86, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9f, 0xa0, 0xbf, 0x58, 0x78, 0xc6, 0xd8, 0xfb],
  CBOR_ITEMS,
  (n, long) => n < 24 && !long ? Uint8Array.of(0x80 | n) : Uint8Array.of(0x98, n),
);

/** (start, n) for the skippers; a start is always a position inside the frame or its end. */
const skipArgs = fc.tuple(fc.nat(8), fc.nat(6));
const startIn = (b: Uint8Array, start: number): number => start % (b.length + 1);

// ---- 1. cut and splice, every serializer ------------------------------------------------------

for (const ser of ALL) {
  test(`${ser.name}: Arguments and ArgumentsKw cut from a frame splice behind a new head`, () => {
    fc.assert(
      fc.property(message6, prefix4, (msg, prefix) => {
        const frame = ser.encode(msg);
        assert.equal(typeof frame === "string", ser === jsonSerializer);
        const t = cut(ser, frame, 4, 2);
        const joined = assertJoins(ser, [...prefix, msg[4], msg[5]], t);
        // The tail path was taken (not a fallback encode): the frame ends with the cut bytes.
        assert.ok(isSuffix(t.encoded, joined), "the joined frame ends with the tail");
      }),
      fcOptions,
    );
  });

  test(`${ser.name}: Arguments alone (a one-element tail) splice behind a new head`, () => {
    fc.assert(
      fc.property(fc.tuple(fc.constantFrom(16, 48), id, dict, uri, args), prefix4, (msg, prefix) => {
        const t = cut(ser, ser.encode(msg), 4, 1);
        const joined = assertJoins(ser, [...prefix, msg[4]], t);
        assert.ok(isSuffix(t.encoded, joined));
      }),
      fcOptions,
    );
  });

  test(`${ser.name}: any number of leading elements, before the cut and in the new head`, () => {
    fc.assert(
      fc.property(
        fc.array(value, { maxLength: 9 }),
        fc.array(value, { minLength: 1, maxLength: 2 }),
        fc.array(value, { maxLength: 9 }),
        (leading, payload, head) => {
          const t = cut(ser, ser.encode([...leading, ...payload]), leading.length, payload.length);
          // Heads too long for a one-byte array header fall back to a plain encode: still equal.
          assertJoins(ser, [...head, ...payload], t);
        },
      ),
      { ...fcOptions, seed: fcOptions.seed + 1 },
    );
  });

  test(`${ser.name}: the concrete EVENT example, with a large publication id`, () => {
    const msg = [16, 1, { acknowledge: true, "x\"]}": "\\\"],}" }, "com.example.t", [1, "two", new Uint8Array([0, 1, 255]), { a: [] }], {
      k: '"]}',
      nested: { b: new Uint8Array(0), c: [null, true, -1.25] },
    }];
    const t = cut(ser, ser.encode(msg), 4, 2);
    assertJoins(ser, [68, 5, 7123456789012, { details: '"],' }, msg[4], msg[5]], t);
    assertJoins(ser, [36, 5, 7123456789012, {}, msg[4], msg[5]], t);
  });

  test(`${ser.name}: large and deeply nested payloads`, () => {
    let deep: unknown = ["bottom"];
    for (let i = 0; i < 300; i++) deep = i % 2 ? [deep, i] : { [`k${i}`]: deep };
    const many: Record<string, unknown> = {};
    for (let i = 0; i < 40; i++) many[`key ${i} "]}`] = i * 1.5;
    const payload = [
      [deep, "s".repeat(70_000), "ü".repeat(40), new Uint8Array(70_000).fill(7), new Uint8Array(300).fill(9), ...Array(30).fill(2 ** 40)],
      many,
    ];
    const t = cut(ser, ser.encode([48, 2 ** 53, {}, "u", ...payload]), 4, 2);
    assertJoins(ser, [68, 9, 2 ** 33, {}, ...payload], t);
  });
}

// ---- 2. JSON: whitespace between tokens ------------------------------------------------------

/**
 * `compact` (JSON text) with a piece of whitespace (taken round-robin from `spaces`) before and
 * after every structural character outside strings, and at both ends.
 */
function spread(compact: string, spaces: readonly string[]): string {
  let k = 0;
  const pad = (): string => spaces[k++ % spaces.length] ?? "";
  let out = pad();
  let inString = false;
  for (let i = 0; i < compact.length; i++) {
    const ch = compact[i]!;
    if (inString) {
      out += ch;
      if (ch === "\\") out += compact[++i]!;
      else if (ch === '"') inString = false;
    } else if (ch === '"') {
      out += ch;
      inString = true;
    } else if ("[]{},:".includes(ch)) out += pad() + ch + pad();
    else out += ch;
  }
  return out + pad();
}

const whitespace = fc.array(fc.constantFrom("", " ", "\n", "\t", "\r\n", "  \n\t ", "\r"), { minLength: 1, maxLength: 7 });

test("json: frames with whitespace between tokens are cut correctly", () => {
  fc.assert(
    fc.property(message6, prefix4, whitespace, (msg, prefix, spaces) => {
      const frame = spread(jsonSerializer.encode(msg) as string, spaces);
      assert.deepStrictEqual(jsonSerializer.decode(frame), jsonSerializer.decode(jsonSerializer.encode(msg)));
      const t = cut(jsonSerializer, frame, 4, 2);
      assertJoins(jsonSerializer, [...prefix, msg[4], msg[5]], t);
      const t1 = cut(jsonSerializer, spread(jsonSerializer.encode(msg.slice(0, 5)) as string, spaces), 4, 1);
      assertJoins(jsonSerializer, [...prefix, msg[4]], t1);
    }),
    fcOptions,
  );
});

test("json: pretty-printed frames (JSON.stringify with indentation) are cut correctly", () => {
  fc.assert(
    fc.property(message6, prefix4, fc.constantFrom(2, 4, "\t", " \n"), (msg, prefix, indent) => {
      // Parsing without the reviver keeps binaries as their "\u0000"+base64 strings.
      const frame = JSON.stringify(JSON.parse(jsonSerializer.encode(msg) as string), null, indent);
      const t = cut(jsonSerializer, frame, 4, 2);
      assertJoins(jsonSerializer, [...prefix, msg[4], msg[5]], t);
    }),
    { ...fcOptions, seed: fcOptions.seed + 2 },
  );
});

test("json: hand-written frames with odd spacing and escapes", () => {
  const frames = [
    ' \n[ 16 ,\t1 , { "a" : "]\\"}," } , "u\\\\" ,\r\n[ 1 , "x" ] , { "k" : [ ] } ] \n',
    '[16,1,{"\\"":"\\\\"},"u",["\\u005d\\u007d", -1.5e-7, true, null],{"":{}}]',
    '[16,1,{},"u",[],{}]',
    '[16 , 1 , {} , "u" , [ "\\u0000AQID" ] , { "b" : "\\u0000" } ]',
  ];
  for (const frame of frames) {
    const decoded = jsonSerializer.decode(frame) as unknown[];
    const t = cut(jsonSerializer, frame, 4, 2);
    assertJoins(jsonSerializer, [36, 5, 7123456789012, {}, decoded[4], decoded[5]], t);
  }
});

// ---- 3. refusals -----------------------------------------------------------------------------

const SAMPLE = [48, 2 ** 40, { opt: '"]}' }, "com.example.p", [1, "a", new Uint8Array([1, 2])], { k: [true] }];

/** `ser.tail` of each frame at each (from, count) is undefined, and does not throw. */
function assertRefused(ser: Serializer, frames: readonly (Uint8Array | string)[], cuts: readonly (readonly [number, number])[]): void {
  for (const frame of frames) {
    for (const [from, count] of cuts) {
      let t: RawTail | undefined;
      assert.doesNotThrow(() => (t = ser.tail(frame, from, count)), `${ser.name} ${show(frame)}`);
      assert.equal(t, undefined, `${ser.name}: tail(${show(frame)}, ${from}, ${count}) refused`);
    }
  }
}

for (const ser of ALL) {
  // JSON relies on the caller's element count (Serializer.tail's precondition): not scanned.
  if (ser !== jsonSerializer) test(`${ser.name}: a (from, count) that does not add up to the element count is refused`, () => {
    const frame = ser.encode(SAMPLE);
    assertRefused(ser, [frame], [[4, 1], [3, 2], [5, 2], [6, 1], [6, 2], [2, 2], [0, 1], [5, 0]]);
    assertRefused(ser, [ser.encode(SAMPLE.slice(0, 5))], [[4, 2], [3, 1], [5, 1]]);
  });

  test(`${ser.name}: (from, count) past the end of the array is refused`, () => {
    assertRefused(ser, [ser.encode(SAMPLE)], [[6, 1], [7, 1], [6, 2], [100, 2]]);
    assertRefused(ser, [ser.encode([])], [[0, 1], [0, 2], [1, 1]]);
    assertRefused(ser, [ser.encode([1])], [[1, 1], [1, 2], [2, 1]]);
  });

  test(`${ser.name}: random frames and cuts never throw; a tail is always the end of the frame`, () => {
    const frames: fc.Arbitrary<Uint8Array | string> = ser === jsonSerializer
      ? fc.oneof(fc.string({ unit: nastyChar, maxLength: 40 }), fc.json({ maxDepth: 3 }), fc.string({ unit: codeUnit, maxLength: 40 }))
      : (ser === msgpackSerializer ? msgpackCases : cborCases).map((c) => c.b);
    fc.assert(
      fc.property(frames, fc.nat(7), fc.nat(3), (frame, from, count) => {
        let t: RawTail | undefined;
        assert.doesNotThrow(() => (t = ser.tail(frame, from, count)));
        if (t) assert.ok(isSuffix(t.encoded, frame));
      }),
      { ...fcOptions, numRuns: 300 },
    );
  });
}

test("json: a frame that is not an array, a byte frame, or an unterminated element is refused", () => {
  assertRefused(jsonSerializer, ['{"a":[1,2]}', ' "x"', "5", "null", "", "   ", "[]", " [ ] "], [[0, 1], [0, 2], [1, 1], [4, 2]]);
  const text = jsonSerializer.encode(SAMPLE) as string;
  // RawSocket delivers JSON as bytes: refused on purpose (it would need a second UTF-8 decode).
  assertRefused(jsonSerializer, [new TextEncoder().encode(text), new Uint8Array(0)], [[4, 2]]);
  // Truncated inside the leading elements: the scanner cannot get past them.
  const headEnd = text.indexOf('"com.example.p"') + '"com.example.p"'.length;
  const truncated = Array.from({ length: headEnd }, (_, n) => text.slice(0, n));
  assertRefused(jsonSerializer, truncated, [[4, 2]]);
  // Truncated inside the tail: the text is assumed to have passed JSON.parse already, so this
  // may or may not be refused; it must not throw, and anything cut is the end of the text.
  for (let n = headEnd; n < text.length; n++) {
    const t = jsonSerializer.tail(text.slice(0, n), 4, 2);
    if (t) assert.ok(isSuffix(t.encoded, text.slice(0, n)));
  }
});

for (const ser of BINARY) {
  const frame = ser.encode(SAMPLE) as Uint8Array;

  test(`${ser.name}: trailing bytes, truncation, a text frame or a non-array frame are refused`, () => {
    cut(ser, frame, 4, 2);
    const trailing = [0x00, 0xc0, 0xf6, 0xff, 0x90, 0x80, 0xa0].map((b) => concat([frame, Uint8Array.of(b)]));
    trailing.push(concat([frame, frame]), concat([frame, new Uint8Array(20)]));
    assertRefused(ser, trailing, [[4, 2]]);
    const truncated = Array.from({ length: frame.length }, (_, n) => frame.slice(0, n));
    assertRefused(ser, truncated, [[4, 2], [4, 1], [0, 1]]);
    assertRefused(ser, [show(frame), "[1,2]", ""], [[4, 2], [0, 1]]);
    const notArrays = ser === msgpackSerializer
      ? ["81a16101", "05", "a161", "c0", "c3", "cb3ff8000000000000", "de0001 a161 01", "c40201 02"]
      : ["a1616101", "05", "6161", "f6", "f5", "fb3ff8000000000000", "c6820102", "d9d9f7 82 01 02", "4201 02"];
    assertRefused(ser, notArrays.map(fromHex), [[0, 1], [1, 1], [0, 2]]);
    // The same elements under a header that claims one element more or less.
    const claim = (n: number): Uint8Array => concat([Uint8Array.of((ser === msgpackSerializer ? 0x90 : 0x80) | n), frame.subarray(1)]);
    assertRefused(ser, [claim(5), claim(7)], [[4, 2], [4, 1], [5, 2], [4, 3]]);
  });

  test(`${ser.name}: an array header claiming far more elements than the frame holds is refused`, () => {
    // An array header with a huge count (array32 / 4-byte length) over a short body.
    const huge = ser === msgpackSerializer ? fromHex("ddffffffff 01 02 03") : fromHex("9affffffff 01 02 03");
    assertRefused(ser, [huge], [[4, 2], [0xfffffffd, 2]]);
  });
}

test("cbor: an indefinite-length array (0x9f ... 0xff), at the top or inside, is refused", () => {
  const ser = cborSerializer;
  // [48, 1, {}, "u", [1], {}] as an indefinite-length array.
  const top = fromHex("9f 1830 01 a0 6175 8101 a0 ff");
  assert.deepStrictEqual(ser.decode(top), [48, 1, {}, "u", [1], {}]);
  assertRefused(ser, [top], [[4, 2], [4, 1], [5, 1], [0, 1]]);
  // Definite top-level array, indefinite items before the cut and in the tail.
  const inOptions = fromHex("86 1830 01 bf6161 01ff 6175 8101 a0");
  const inArgs = fromHex("86 1830 01 a0 6175 9f01ff a0");
  const inKwargs = fromHex("86 1830 01 a0 6175 8101 bf6161 9f01ffff");
  for (const f of [inOptions, inArgs, inKwargs]) assert.ok(Array.isArray(ser.decode(f)), hex(f));
  // Chunked strings (cbor-x does not decode these at all).
  const chunkedText = fromHex("86 1830 01 a0 7f617561ff 8101 a0");
  assertRefused(ser, [inOptions, inArgs, inKwargs, chunkedText], [[4, 2]]);
});

// Random bytes straight into the scanners: they take frames from the network. Besides plain
// random bytes, arrays of valid items mixed with junk, under a header that mostly gives the
// right element count, so that a fair share of cases is cut (and checked against the decoder).

/**
 * A tail cut from `b` is a view of its end; when the decoder also takes `b` (the only frames
 * the router cuts), splicing the tail behind a new head gives back what the decoder saw.
 * Returns whether a tail was cut.
 */
function checkCut(ser: Serializer, out: Uint8Array | undefined, { b, from, count }: ScanCase): boolean {
  if (!out) return false;
  assert.ok(isSuffix(out, b), `tail ${hex(out)} of ${hex(b)}`);
  assert.equal(out.byteOffset + out.byteLength, b.byteOffset + b.byteLength, "a view of the frame's end");
  let decoded: unknown;
  try {
    decoded = ser.decode(b);
  } catch {
    return true;
  }
  if (!Array.isArray(decoded) || decoded.length !== from + count) return true;
  const head = [99, 2 ** 40];
  const joined = ser.encodeWithTail([...head, ...decoded.slice(from)], { serializer: ser.name, count, encoded: out });
  assert.deepStrictEqual(ser.decode(joined), [...head, ...decoded.slice(from)], `${ser.name} ${hex(b)} from ${from}`);
  return true;
}

const RANDOM_BYTE_CASES = [
  { name: "msgpack: skipMsgpackValues and msgpackTailBytes", ser: msgpackSerializer, cases: msgpackCases, skip: skipMsgpackValues, cut: msgpackTailBytes, minCuts: 300 },
  { name: "cbor: skipCborItems and cborTailBytes", ser: cborSerializer, cases: cborCases, skip: skipCborItems, cut: cborTailBytes, minCuts: 150 },
];

for (const { name, ser, cases, skip, cut, minCuts } of RANDOM_BYTE_CASES) {
  test(`${name} never throw on random bytes`, () => {
    let cuts = 0;
    fc.assert(
      fc.property(cases, skipArgs, (c, [s, n]) => {
        const start = startIn(c.b, s);
        const p = skip(c.b, start, n);
        assert.ok(p === -1 || (Number.isInteger(p) && p >= start && p <= c.b.length), `skip gave ${p} on ${hex(c.b)}`);
        if (checkCut(ser, cut(c.b, c.from, c.count), c)) cuts++;
      }),
      { ...fcOptions, numRuns: 3000 },
    );
    assert.ok(cuts > minCuts, `only ${cuts} of the random frames were cut`);
  });
}

test("cbor: skipCborItems gives -1, not NaN, on a 1-byte length cut off at the end", () => {
  // head() reads the missing length byte as `undefined`; `p += undefined` is NaN, which the
  // `p > b.length` check lets through. cborTailBytes still refuses (NaN fails every compare).
  assert.equal(skipCborItems(fromHex("58"), 0, 1), -1);
  assert.equal(skipCborItems(fromHex("78"), 0, 1), -1);
  assert.equal(skipCborItems(fromHex("8278"), 0, 1), -1);
});

test("cbor: the same frames through cborTailBytes are refused", () => {
  assert.equal(cborTailBytes(fromHex("8158"), 0, 1), undefined);
  assert.equal(cborTailBytes(fromHex("8278"), 0, 2), undefined);
  assert.equal(cborTailBytes(fromHex("820178"), 1, 1), undefined);
});

// Valid frames with bytes changed: the scanner and the decoder must agree on what a frame holds.

const mutation = fc.record({
  edits: fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 3 }),
  cutAt: fc.option(fc.nat(), { nil: undefined }),
});

for (const ser of BINARY) {
  test(`${ser.name}: on mutated frames, whatever is cut decodes as the decoder saw it`, () => {
    fc.assert(
      fc.property(message6, prefix4, mutation, (msg, prefix, { edits, cutAt }) => {
        let frame = (ser.encode(msg) as Uint8Array).slice();
        for (const [at, byte] of edits) frame[at % frame.length] = byte;
        if (cutAt !== undefined) frame = frame.subarray(0, cutAt % (frame.length + 1));
        let t: RawTail | undefined;
        assert.doesNotThrow(() => (t = ser.tail(frame, 4, 2)));
        if (!t) return;
        assert.ok(isSuffix(t.encoded, frame));
        let decoded: unknown;
        try {
          decoded = ser.decode(frame);
        } catch {
          return; // the router never cuts a frame it could not decode
        }
        if (!Array.isArray(decoded) || decoded.length !== 6) return;
        const joined = ser.encodeWithTail([...prefix, decoded[4], decoded[5]], t);
        assert.deepStrictEqual(ser.decode(joined), [...(ser.decode(ser.encode(prefix)) as unknown[]), decoded[4], decoded[5]]);
      }),
      { ...fcOptions, numRuns: 400 },
    );
  });
}

// Every header form of the binary formats, written by hand (the encoders use only some).

/** `byte` `n` times behind the header `head` (hex): a long string or byte string. */
const filled = (head: string, n: number, byte: number): Uint8Array => concat([fromHex(head), new Uint8Array(n).fill(byte)]);

/**
 * For each item (hex or bytes) and each top-level header: the frame `frameOf` builds (the item
 * before the cut and in both tail elements) decodes to six elements, is cut, and splices.
 */
/**
 * `refused`: items the scanner gives up on by policy (msgpack extension types, CBOR tags and
 * unassigned simple values, whose meaning can depend on other parts of the message): a frame
 * holding one is not cut, and the router encodes it afresh.
 */
function checkEveryForm(
  ser: Serializer,
  items: readonly (string | Uint8Array)[],
  headers: readonly string[],
  frameOf: (header: Uint8Array, item: Uint8Array) => Uint8Array,
  refused: readonly string[] = [],
): void {
  for (const raw of [...items, ...refused]) {
    const item = typeof raw === "string" ? fromHex(raw) : raw;
    const name = typeof raw === "string" ? raw : `${hex(raw.subarray(0, 5))}... (${raw.length} bytes)`;
    for (const header of headers) {
      const frame = frameOf(fromHex(header), item);
      const decoded = ser.decode(frame) as unknown[];
      assert.equal(decoded.length, 6, `${name} under ${header}`);
      if (typeof raw === "string" && refused.includes(raw)) {
        assert.equal(ser.tail(frame, 4, 2), undefined, `${name} under ${header}: refused`);
        continue;
      }
      const t = cut(ser, frame, 4, 2);
      const out = ser.decode(ser.encodeWithTail([68, 5, 7123456789012, {}, decoded[4], decoded[5]], t)) as unknown[];
      assert.deepStrictEqual(out, [68, 5, 7123456789012, {}, decoded[4], decoded[5]], name);
    }
  }
}

test("msgpack: every header form in the leading elements and the tail", () => {
  const items = [
    "cc ff", "cd ffff", "ce ffffffff", "cf 001fffffffffffff", "d0 80", "d1 8000", "d2 80000000", "d3 ffe0000000000000",
    "ca 3fc00000", "cb 400921fb54442d18", "c0", "c2", "c3", "e0", "7f", "a0", "bf" + "61".repeat(31),
    "d9 03 616263", filled("da 012c", 300, 0x72), filled("db 00011170", 70_000, 0x73),
    "c4 02 0102", filled("c5 012c", 300, 0x72), filled("c6 00011170", 70_000, 0x73),
    "dc 0002 01 02", "dd 00000002 01 02", "de 0001 a161 01", "df 00000001 a161 01", "93 91 90 80 a0",
  ];
  // [48, 1, item, "u", [item, item], {"k": item}], under a fixarray, array16 and array32 header.
  const extensions = [
    "d6 ff 5f5e1000", "d7 ff 0000000000000001", "c7 0c ff 00000000 0000000000000001", "d4 00 00", "d5 00 0000",
    "d8 00 00000000000000000000000000000000", "c7 01 00 00", "c8 0002 00 0000", "c9 00000003 00 000000",
  ];
  checkEveryForm(msgpackSerializer, items, ["96", "dc 0006", "dd 00000006"], (header, item) =>
    concat([header, fromHex("30 01"), item, fromHex("a175 92"), item, item, fromHex("81 a16b"), item]), extensions);
});

test("cbor: every header form in the leading elements and the tail", () => {
  const items = [
    "17", "18 ff", "19 ffff", "1a ffffffff", "1b 001fffffffffffff", "20", "38 ff", "39 ffff", "3a ffffffff", "3b 001ffffffffffffe",
    "f4", "f5", "f6", "f7", "f9 3c00", "fa 3fc00000", "fb 400921fb54442d18",
    "43 010203", "58 03 010203", filled("59 012c", 300, 0x72), filled("5a 00011170", 70_000, 0x73),
    "63 616263", "78 03 616263", filled("79 012c", 300, 0x72), filled("7a 00011170", 70_000, 0x73),
    "98 02 01 02", "99 0002 01 02", "9a 00000002 01 02", "b8 01 6161 01", "b9 0001 6161 01", "83 81 80 a0 a0",
  ];
  // [48, 1, item, "u", [item, item], {"k": item}], under one-, two-, three- and five-byte headers.
  const tagged = ["c1 1a 5f5e1000", "d8 64 01", "d9 03e8 82 01 02", "da 00010000 a0", "c2 41 01"];
  checkEveryForm(cborSerializer, items, ["86", "98 06", "99 0006", "9a 00000006"], (header, item) =>
    concat([header, fromHex("1830 01"), item, fromHex("6175 82"), item, item, fromHex("a1 616b"), item]), tagged);
});

test("cbor: value-sharing tags (28/29) across the cut do not reach the forwarded frame", () => {
  // [48, 1, 28({"a": 1}), "u", [29(0)], {}]: the router decodes args[0] as the shared options
  // object; cut out alone, the reference 29(0) points nowhere and the frame no longer decodes.
  const ser = cborSerializer;
  const frame = fromHex("86 1830 01 d81c a1616101 6175 81 d81d00 a0");
  const decoded = ser.decode(frame) as unknown[];
  assert.deepStrictEqual(decoded, [48, 1, { a: 1 }, "u", [{ a: 1 }], {}]);
  const t = ser.tail(frame, 4, 2);
  if (t === undefined) return; // refusing is a fix
  const joined = ser.encodeWithTail([36, 1, 2, {}, decoded[4], decoded[5]], t);
  assert.deepStrictEqual(ser.decode(joined), [36, 1, 2, {}, [{ a: 1 }], {}]);
});

// ---- 4. a tail of another serializer: plain encode --------------------------------------------

test("encodeWithTail with another serializer's tail (or a malformed one) encodes the message as usual", () => {
  const msg = [48, 2 ** 40, { a: "]" }, "u", [1, "x", new Uint8Array([1])], { k: null }];
  const out = [68, 5, 7123456789012, { d: 1 }, msg[4], msg[5]];
  const tails = new Map<Serializer, RawTail>(ALL.map((s) => [s, cut(s, s.encode(msg), 4, 2)]));
  for (const ser of ALL) {
    for (const [other, t] of tails) {
      if (other === ser) continue;
      const joined = ser.encodeWithTail(out, t);
      assert.equal(typeof joined === "string", ser === jsonSerializer, `${ser.name} with a ${other.name} tail`);
      assert.deepStrictEqual(ser.decode(joined), out, `${ser.name} with a ${other.name} tail`);
    }
    // Right name, wrong kind of payload.
    const own = tails.get(ser)!;
    const swapped: RawTail = { ...own, encoded: typeof own.encoded === "string" ? new TextEncoder().encode(own.encoded) : "[1]" };
    assert.deepStrictEqual(ser.decode(ser.encodeWithTail(out, swapped)), out, `${ser.name}: swapped payload type`);
  }
});

test("msgpack/cbor: a head too long for a one-byte array header falls back to a plain encode", () => {
  for (const ser of BINARY) {
    const msg = [48, 1, {}, "u", ["a"], { b: 2 }];
    const t = cut(ser, ser.encode(msg), 4, 2);
    const limit = ser === msgpackSerializer ? 15 : 23;
    for (const total of [limit - 1, limit, limit + 1, limit + 2, 70]) {
      const head = Array.from({ length: total - 2 }, (_, i) => i);
      const message = [...head, msg[4], msg[5]];
      const joined = ser.encodeWithTail(message, t) as Uint8Array;
      assert.deepStrictEqual(ser.decode(joined), message, `${ser.name}, ${total} elements`);
      if (total <= limit) assert.ok(isSuffix(t.encoded, joined));
    }
  }
});

// ---- 5. large ids in the head stay integers ----------------------------------------------------

test("msgpack/cbor: ids between 2^32 and 2^53 in the new head are written as integers", () => {
  for (const ser of BINARY) {
    const t = cut(ser, ser.encode([16, 1, {}, "u", [2 ** 40], { n: -(2 ** 40) }]), 4, 2);
    for (const big of [2 ** 32, 2 ** 32 + 1, 7123456789012, 2 ** 53 - 1]) {
      const message = [68, 5, big, { trustlevel: big, neg: -big }, [2 ** 40], { n: -(2 ** 40) }];
      const joined = ser.encodeWithTail(message, t) as Uint8Array;
      const decoded = ser.decode(joined) as unknown[];
      assert.deepStrictEqual(decoded, message);
      assert.equal(typeof decoded[2], "number");
      assert.ok(Number.isInteger(decoded[2]));
      // [68, 5, big, ...]: header, two small integers, then a 64-bit integer (not a float64).
      assert.equal(joined[0], ser === msgpackSerializer ? 0x96 : 0x86);
      if (ser === msgpackSerializer) {
        assert.deepStrictEqual([joined[1], joined[2]], [0x44, 0x05], hex(joined));
        // msgpackr writes a positive bigint as int64 (0xd3); uint64 (0xcf) would do as well.
        assert.ok(joined[3] === 0xcf || joined[3] === 0xd3, hex(joined));
      } else {
        assert.deepStrictEqual([joined[1], joined[2], joined[3], joined[4]], [0x18, 0x44, 0x05, 0x1b], hex(joined));
      }
      assert.ok(isSuffix(t.encoded, joined));
    }
  }
});

test("json: jsonTailText finds the element start in hand-written texts", () => {
  assert.equal(jsonTailText('[1,"a\\"]",[2],{"b":"}"}]', 2), '[2],{"b":"}"}]');
  assert.equal(jsonTailText(' [ 1 , 2 ] ', 1), "2 ] ");
  assert.equal(jsonTailText("[1,2]", 2), undefined);
  assert.equal(jsonTailText('["\\\\",3]', 1), "3]");
  assert.equal(jsonTailText('["unterminated', 1), undefined);
});

test("msgpack and cbor: a tail with a string that is not well-formed UTF-8 is not forwarded as is", () => {
  // The decoders substitute U+FFFD for such bytes; a re-encoded payload reaches peers repaired,
  // a forwarded one would carry the broken bytes to strict peers.
  const mp = fromHex("96 30 01 80 a175 91 a2fffe 80");
  assert.equal((msgpackSerializer.decode(mp) as unknown[]).length, 6);
  assert.equal(msgpackSerializer.tail(mp, 4, 2), undefined);
  const cb = fromHex("86 1830 01 a0 6175 81 62fffe a0");
  assert.equal((cborSerializer.decode(cb) as unknown[]).length, 6);
  assert.equal(cborSerializer.tail(cb, 4, 2), undefined);
  // The same frames with valid UTF-8 (U+00E9) are cut.
  assert.ok(msgpackSerializer.tail(fromHex("96 30 01 80 a175 91 a2c3a9 80"), 4, 2));
  assert.ok(cborSerializer.tail(fromHex("86 1830 01 a0 6175 81 62c3a9 a0"), 4, 2));
});

// ---- 5. short frames: not cut; a clean JSON payload skips the binary conversion ---------------

test("payloadTail cuts only frames of CUT_MIN_LENGTH or more; shorter ones get at most an uncut tail", () => {
  const small = [48, 7, {}, "u", [1, "x"], { k: "v" }];
  const big = [48, 7, {}, "u", ["x".repeat(CUT_MIN_LENGTH)], { k: "v" }];
  for (const ser of ALL) {
    const t = payloadTail(ser, ser.encode(big), 4, 2);
    assert.ok(t && t.encoded !== undefined, `${ser.name}: a long frame is cut`);
    const s = payloadTail(ser, ser.encode(small), 4, 2);
    if (ser === jsonSerializer) assert.deepStrictEqual(s, { serializer: "json", count: 2, encoded: undefined });
    else assert.equal(s, undefined, `${ser.name} has no conversions to skip`);
  }
});

test("json: an uncut tail is offered only for frames without a binary string", () => {
  assert.deepStrictEqual(jsonSerializer.uncutTail!('[70,1,{},[1]]', 1), { serializer: "json", count: 1, encoded: undefined });
  // "\u0000" + base64 is JSON's binary convention: the decoder made a Uint8Array there.
  const withBinary = jsonSerializer.encode([70, 1, {}, [new Uint8Array([1, 2])]]);
  assert.ok(typeof withBinary === "string" && withBinary.includes("\\u0000"));
  assert.equal(jsonSerializer.uncutTail!(withBinary, 1), undefined);
  // RawSocket delivers JSON as bytes: clean when there is no backslash at all.
  const bytes = (text: string) => new TextEncoder().encode(text);
  assert.deepStrictEqual(jsonSerializer.uncutTail!(bytes('[70,1,{},["é"]]'), 1), { serializer: "json", count: 1, encoded: undefined });
  assert.equal(jsonSerializer.uncutTail!(bytes(withBinary), 1), undefined);
  assert.equal(jsonSerializer.uncutTail!(bytes('[70,1,{},["a\\nb"]]'), 1), undefined, "any escape");
});

test("json: with an uncut tail the payload is taken as decoded, the head still gets its conversions", () => {
  fc.assert(
    fc.property(message6, prefix4, (msg, prefix) => {
      // A payload as JSON.parse gives it: no Uint8Array, no string starting with U+0000.
      const frame = jsonSerializer.encode(msg) as string;
      const decoded = jsonSerializer.decode(frame) as unknown[];
      const t = jsonSerializer.uncutTail!(frame, 2);
      if (frame.includes("\\u0000")) {
        assert.equal(t, undefined);
        return;
      }
      assert.ok(t);
      // The head may hold binary (details from a MessagePack peer): it is converted as usual.
      const out = [...prefix, decoded[4], decoded[5]];
      assert.equal(jsonSerializer.encodeWithTail(out, t), jsonSerializer.encode(out));
    }),
    fcOptions,
  );
  const t = jsonSerializer.uncutTail!('[48,1,{},"u",[1],{"a":2}]', 2)!;
  const head = [68, 5, 6, { caller_authid: new Uint8Array([9]) }];
  assert.deepStrictEqual(jsonSerializer.decode(jsonSerializer.encodeWithTail([...head, [1], { a: 2 }], t)), [...head, [1], { a: 2 }]);
  assert.throws(() => jsonSerializer.encodeWithTail([68, 5, 6, { x: "\u0000no" }, [1], { a: 2 }], t), TypeError);
});
