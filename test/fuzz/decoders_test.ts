/**
 * Fuzzing the serializers' decoders with what a hostile peer can send: arbitrary bytes and
 * text, valid encodings of fuzzed messages (exotic wire values included), and those encodings
 * bit-flipped, truncated, extended, cut. Every decode must return a value or throw an Error,
 * promptly, and `validateClientMessage` must cope with every value returned.
 */
import fc from "fast-check";
import { splitBatch } from "../../src/serializer/batched.ts";
import { cborSerializer } from "../../src/serializer/cbor.ts";
import { jsonSerializer } from "../../src/serializer/json.ts";
import { msgpackSerializer } from "../../src/serializer/msgpack.ts";
import type { Serializer } from "../../src/serializer/types.ts";
import { test } from "../_support/harness.ts";
import { encodeWithExotics } from "./_exotics.ts";
import { check } from "./_fc.ts";
import { hostile } from "./_messages.ts";
import { mutateBytes, mutateText, mutations } from "./_mutate.ts";
import { decodeChecked } from "./_outcome.ts";

const SERIALIZERS: readonly Serializer[] = [jsonSerializer, msgpackSerializer, cborSerializer];
const utf8 = new TextEncoder();

/** Bytes that often start like a message: a list header of the format, then noise. */
function plausibleBytes(ser: Serializer): fc.Arbitrary<Uint8Array> {
  const heads: readonly number[][] = ser.name === "json"
    ? [[0x5b], [0x5b, 0x31, 0x2c], [0x5b, 0x34, 0x38, 0x2c, 0x31, 0x2c, 0x7b, 0x7d, 0x2c]]
    : ser.name === "msgpack"
    ? [[0x94], [0x96, 0x30, 0x01, 0x80], [0xdc, 0x00, 0x04], [0xdd, 0xff, 0xff, 0xff, 0xff]]
    : [[0x84], [0x86, 0x18, 0x30, 0x01, 0xa0], [0x9f], [0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]];
  return fc.oneof(
    fc.uint8Array({ maxLength: 96 }),
    fc.tuple(fc.constantFrom(...heads), fc.uint8Array({ maxLength: 64 })).map(([h, t]) => Uint8Array.from([...h, ...t])),
  );
}

/** The frame the transport would carry: text for JSON over WebSocket, bytes otherwise. */
function encodedFrame(ser: Serializer, message: unknown): Uint8Array | string | undefined {
  try {
    return encodeWithExotics(ser, message);
  } catch {
    return undefined; // a value this serializer cannot carry: nothing to send
  }
}

for (const ser of SERIALIZERS) {
  test(`fuzz ${ser.name}: arbitrary bytes decode to a value or throw an Error`, () => {
    check(fc.property(plausibleBytes(ser), (bytes) => {
      decodeChecked(ser, bytes);
    }), { numRuns: 5_000, seed: 11 });
  });

  test(`fuzz ${ser.name}: arbitrary text decodes to a value or throws an Error`, () => {
    check(fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 64 }), fc.json({ maxDepth: 3 })), (text) => {
      decodeChecked(ser, text);
    }), { numRuns: 3_000, seed: 12 });
  });

  test(`fuzz ${ser.name}: valid encodings of fuzzed messages (exotic values too) decode or throw an Error`, () => {
    check(fc.property(hostile.fuzzMessage, (message) => {
      const frame = encodedFrame(ser, message);
      if (frame !== undefined) decodeChecked(ser, frame);
    }), { numRuns: 1_000, seed: 13 });
  });

  test(`fuzz ${ser.name}: mutated encodings (bit flips, truncation, insertion) decode or throw an Error`, () => {
    check(fc.property(hostile.fuzzMessage, mutations, fc.boolean(), (message, ms, asBytes) => {
      const frame = encodedFrame(ser, message);
      if (frame === undefined) return;
      if (typeof frame === "string") {
        decodeChecked(ser, mutateText(frame, ms));
        // JSON over RawSocket arrives as UTF-8 bytes, which may be cut inside a character.
        if (asBytes) decodeChecked(ser, mutateBytes(utf8.encode(frame), ms));
      } else {
        decodeChecked(ser, mutateBytes(frame, ms));
      }
    }), { numRuns: 1_500, seed: 14 });
  });
}

test("fuzz batched framing: splitBatch never throws and its parts tile the input", () => {
  check(fc.property(fc.boolean(), fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.string({ unit: "binary", maxLength: 64 })), (binary, data) => {
    const parts = splitBatch(binary, data);
    if (typeof parts === "string") return;
    if (parts.length === 0) throw new Error("splitBatch returned no parts and no reason");
    if (binary && data instanceof Uint8Array) {
      const total = parts.reduce((n, p) => n + p.length + 4, 0);
      if (total !== data.length) throw new Error(`binary parts cover ${total} of ${data.length} bytes`);
    }
  }), { numRuns: 5_000, seed: 15 });
});
