/**
 * The `tail` / `encodeWithTail` pair (types.ts `RawTail`) for the binary formats, which differ
 * only in how a tail is cut and in their one-byte array header: MessagePack's fixarray
 * (0x90 | n, n < 16) and CBOR's short array head (0x80 | n, n < 24).
 * @module
 */
import type { RawTail, Serializer, SerializerName } from "./types.ts";

export interface BinaryTailFormat {
  readonly name: SerializerName;
  /** The bytes of the last `count` elements of a top-level array of `from + count`, or undefined. */
  cut(frame: Uint8Array, from: number, count: number): Uint8Array | undefined;
  /** The one-byte array header is `headerBase | n` for `n < headerLimit` elements. */
  readonly headerBase: number;
  readonly headerLimit: number;
}

export function binaryTailMethods(
  format: BinaryTailFormat,
  encode: (message: readonly unknown[]) => Uint8Array,
): Pick<Serializer, "tail" | "encodeWithTail"> {
  const { name, cut, headerBase, headerLimit } = format;
  return {
    tail(frame: Uint8Array | string, from: number, count: number): RawTail | undefined {
      if (typeof frame === "string") return undefined;
      const encoded = cut(frame, from, count);
      return encoded === undefined ? undefined : { serializer: name, count, encoded };
    },

    encodeWithTail(message: readonly unknown[], tail: RawTail): Uint8Array {
      const leading = message.length - tail.count;
      const total = message.length;
      if (tail.serializer !== name || !(tail.encoded instanceof Uint8Array) || total >= headerLimit) return encode(message);
      const head = encode(message.slice(0, leading));
      // The encoder writes a short array with the one-byte header; anything else is re-encoded whole.
      if (head[0] !== (headerBase | leading)) return encode(message);
      const out = new Uint8Array(head.length + tail.encoded.length);
      out.set(head);
      out[0] = headerBase | total;
      out.set(tail.encoded, head.length);
      return out;
    },
  };
}
