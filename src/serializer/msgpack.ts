/**
 * `wamp.2.msgpack` on msgpackr, configured for plain MessagePack (spec v5: str/bin distinct) so
 * that other WAMP peers can read it: no record extension, maps as objects, bin as `Uint8Array`.
 * @module
 */

import { C1, Packr } from "msgpackr";
import { binaryTailMethods } from "./binary_tail.ts";
import { type BinaryCodec, decodeKeepingPayload, encodeKeepingPayload } from "./binary_payload.ts";
import { msgpackFormat } from "./msgpack_payload.ts";
import { msgpackTailBytes } from "./msgpack_tail.ts";
import type { Serializer } from "./types.ts";

/**
 * msgpackr and cbor-x write every integer outside the 32-bit range as a float64. JavaScript
 * peers cannot tell, but typed ones can: autobahn-python rejects a float where WAMP wants an id,
 * and WAMP ids (sessions, subscriptions, publications, ...) are random integers up to 2^53, so
 * most of them are past 2^32. Such numbers become `bigint`s, which both libraries write as
 * 64-bit integers. Copy-on-write: returns the same object when there is nothing to change.
 * Beyond `MAX_SAFE_INTEGER` a number stays a float: that is what JS encoders (`cbor`, msgpack5)
 * do, and a 64-bit integer there would come back as a `bigint` to JS peers.
 */
export function wideIntegersToBigInt(value: unknown): unknown {
  if (typeof value === "number") {
    return (value | 0) === value || value >>> 0 === value || !Number.isSafeInteger(value)
      ? value
      : BigInt(value);
  }
  if (typeof value !== "object" || value === null || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const mapped = wideIntegersToBigInt(item);
      if (mapped !== item) {
        copy ??= value.slice();
        copy[i] = mapped;
      }
    }
    return copy ?? value;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const record = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  // for-in builds no key array; with the prototype checked above it sees only own keys
  // (Object.prototype has no enumerable properties).
  for (const key in record) {
    const item = record[key];
    const mapped = wideIntegersToBigInt(item);
    if (mapped !== item) {
      copy ??= { ...record };
      setOwn(copy, key, mapped);
    }
  }
  return copy ?? record;
}

/**
 * Sets an own data property. Plain assignment is the fast path; an own "__proto__" key (legal
 * from JSON.parse) would instead replace the object's prototype, so it needs defineProperty
 * (which is too slow, and deoptimises the object, to use for every key).
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else target[key] = value;
}

/**
 * The Node builds of msgpackr and cbor-x return Node's own Uint8Array subclass. A plain view over the
 * same memory (no copy) is what the core promises, and decoding from a plain view makes the
 * libraries' `slice` produce plain `Uint8Array` binaries too.
 */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Frames up to this size are decoded from a copy in one reused array. msgpackr and cbor-x read
 * through a DataView they cache on the source array as an expando property (`source.dataView`).
 * A frame fresh from the socket has none, so every message paid for `source.buffer` (in
 * JavaScriptCore that turns a small typed array's inline storage into an ArrayBuffer: an
 * allocation and a copy), a new DataView and a shape change of the array, and left the GC more
 * to collect: about half the decode time of a typical message, 5-10 % of the Bun router's CPU
 * per call with MessagePack. Copying a small frame costs tens of nanoseconds; past a few KiB
 * the copy costs more than it saves.
 */
const SCRATCH_MAX = 4 * 1024;
const scratch = new Uint8Array(SCRATCH_MAX);

/**
 * `read(bytes, end)` on the frame's bytes: a copy in the scratch array (`end` = the frame's
 * length) when the frame fits, the frame itself otherwise. Decoding is synchronous and never
 * re-entered, so one scratch array serves every connection; it is zeroed after each use, so a
 * truncated frame reads zeros past its end (and fails the decoder's end check), never the
 * bytes of an earlier frame.
 */
function decodeFromScratch(frame: Uint8Array, read: (bytes: Uint8Array, end: number) => unknown): unknown {
  const n = frame.byteLength;
  if (n > SCRATCH_MAX) return read(plainBytes(frame), n);
  scratch.set(frame);
  try {
    return read(scratch, n);
  } finally {
    scratch.fill(0, 0, n);
  }
}

/** Decoding failures must be `Error`s with a recognisable message; libraries may throw others. */
function decodeFailure(format: string, cause: unknown): Error {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new Error(`${format} decode failed: ${detail}`, { cause });
}

/**
 * A binary serializer's `decode`: `read` over the frame (decodeFromScratch), a text frame and
 * what the library throws turned into the `format decode failed: ...` errors the transports
 * report.
 */
export function decodeBinaryFrame(format: string, frame: Uint8Array | string, read: (bytes: Uint8Array, end: number) => unknown): unknown {
  if (typeof frame === "string") throw new Error(`${format} decode failed: text frame`);
  try {
    return decodeFromScratch(frame, read);
  } catch (e) {
    throw decodeFailure(format, e);
  }
}

const packr = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  // Decoded bins must own their bytes: a view would pin the whole received frame (or socket
  // chunk) in memory for as long as a retained event keeps the value.
  copyBuffers: true,
  // ids up to 2^53 arrive as uint64/int64; `number` is exact up to there.
  int64AsType: "number",
  largeBigIntToFloat: true,
  // msgpackr's default writes `undefined` as a private fixext that other decoders do not know.
  encodeUndefinedAsNil: true,
});

/** `end` as a number: msgpackr reads `{ end }` as `end || length`, which takes 0 for "all". */
const unpackUpTo = (bytes: Uint8Array, end: number): unknown => packr.unpack(bytes, end);

const codec: BinaryCodec = {
  decode: (bytes) => decode(bytes),
  decodeRange: unpackUpTo,
  encode: (value) => packr.pack(wideIntegersToBigInt(value)),
};

/** 0xC1 is "never used" in MessagePack; msgpackr returns a marker object instead of failing. */
function checked(value: unknown): unknown {
  if (value === C1 || value === undefined) throw new Error("msgpack decode failed: not a value");
  return value;
}

function encodeValues(message: readonly unknown[]): Uint8Array {
  return plainBytes(packr.pack(wideIntegersToBigInt(message)));
}

function encode(message: readonly unknown[]): Uint8Array {
  return encodeKeepingPayload(message, msgpackFormat, codec, encodeValues);
}

function decode(frame: Uint8Array | string): unknown {
  return checked(decodeBinaryFrame("msgpack", frame, unpackUpTo));
}

export const msgpackSerializer: Serializer = {
  name: "msgpack",
  binary: true,
  rawSocketId: 2,

  encode,
  decode,

  decodeMessage(frame: Uint8Array | string): unknown {
    return decodeKeepingPayload(frame, msgpackFormat, codec, decode);
  },

  ...binaryTailMethods({ name: "msgpack", cut: msgpackTailBytes, headerBase: 0x90, headerLimit: 16 }, encode),
};
