/**
 * `wamp.2.cbor` (RFC 8949) on cbor-x, configured for the plain CBOR that autobahn-js (`cbor`
 * package), wampy and autobahn-python read and write: no record extension or other private
 * tags, byte strings (major type 2) for binary, maps as objects.
 * @module
 */

import { Encoder, type Options } from "cbor-x";
import { decodeBinaryFrame, plainBytes, wideIntegersToBigInt } from "./msgpack.ts";
import { binaryTailMethods } from "./binary_tail.ts";
import { cborTailBytes } from "./cbor_tail.ts";
import { type BinaryCodec, decodeKeepingPayload, encodeKeepingPayload } from "./binary_payload.ts";
import { cborFormat } from "./cbor_payload.ts";
import type { Serializer } from "./types.ts";

// Options missing from cbor-x's `Options` type are accepted by its constructor all the same.
const options: Options & { int64AsNumber: boolean; useTag259ForMaps: boolean } = {
  useRecords: false,
  mapsAsObjects: true,
  // Tag 64 (typed array) would reach other peers as a tagged value, not as bytes.
  tagUint8Array: false,
  // A JS Map (should one slip into a message) goes out as a plain map, not tag 259.
  useTag259ForMaps: false,
  // ids up to 2^53 arrive as uint64; `number` is exact up to there.
  int64AsNumber: true,
  largeBigIntToFloat: true,
  // Decoded byte strings must own their bytes, as in the msgpack serializer.
  copyBuffers: true,
};
const encoder = new Encoder(options);

/** cbor-x's `decode(bytes, end)`: its type declaration leaves out the `end` it takes. */
const decodeRange = encoder.decode as (this: Encoder, bytes: Uint8Array, end: number) => unknown;
const decodeUpTo = (bytes: Uint8Array, end: number): unknown => decodeRange.call(encoder, bytes, end);

const codec: BinaryCodec = {
  decode: (bytes) => decode(bytes),
  decodeRange: decodeUpTo,
  encode: (value) => encoder.encode(wideIntegersToBigInt(value)),
};

function encodeValues(message: readonly unknown[]): Uint8Array {
  return plainBytes(encoder.encode(wideIntegersToBigInt(message)));
}

function encode(message: readonly unknown[]): Uint8Array {
  return encodeKeepingPayload(message, cborFormat, codec, encodeValues);
}

function decode(frame: Uint8Array | string): unknown {
  const value = decodeBinaryFrame("cbor", frame, decodeUpTo);
  // CBOR `undefined` (0xF7) is a valid item but never a WAMP message.
  if (value === undefined) throw new Error("cbor decode failed: undefined");
  return value;
}

export const cborSerializer: Serializer = {
  name: "cbor",
  binary: true,
  rawSocketId: 3,

  encode,
  decode,

  decodeMessage(frame: Uint8Array | string): unknown {
    return decodeKeepingPayload(frame, cborFormat, codec, decode);
  },

  ...binaryTailMethods({ name: "cbor", cut: cborTailBytes, headerBase: 0x80, headerLimit: 24 }, encode),
};
