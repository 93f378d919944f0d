/**
 * A WAMP serializer. Messages inside the core are plain arrays; binary values are always
 * `Uint8Array`, whatever the wire format (JSON carries them as `"\0"` + base64 strings).
 * @module
 */

export type SerializerName = "json" | "msgpack" | "cbor";

/**
 * The trailing elements of a received message (its Arguments and ArgumentsKw) as they came, so
 * a router can forward a payload to a peer with the same serializer without decoding it into a
 * new frame (the payload is still decoded once, to check and route it). A tail is valid only
 * while the frame it came from is being handled.
 */
export interface RawTail {
  readonly serializer: SerializerName;
  /** How many elements the tail holds (1: Arguments; 2: Arguments and ArgumentsKw). */
  readonly count: number;
  /**
   * The elements' encoding, a view of the received frame. JSON: the text from the first
   * element to the array's end, closing bracket included. MessagePack, CBOR: the elements'
   * bytes, without an array header. Undefined for a frame too short to be worth cutting
   * (`CUT_MIN_LENGTH`): the elements are then encoded again, but the serializer knows they hold
   * only what its own decoder makes, so it can skip the conversions a value from elsewhere
   * might need (JSON: binary values to strings).
   */
  readonly encoded: string | Uint8Array | undefined;
}

/**
 * Frames shorter than this are not cut: cutting, joining and (for JSON) flattening the joined
 * string cost about as much as encoding a small payload (in-memory round trip on Bun: +15 %
 * with ~60-byte frames), while from a few hundred bytes on re-encoding costs several times more
 * (745-byte JSON frame: 2.8 us to encode, 0.3 us to join).
 */
export const CUT_MIN_LENGTH = 512;

export interface Serializer {
  readonly name: SerializerName;
  /** True when frames are binary (WebSocket binary frames); JSON travels as text. */
  readonly binary: boolean;
  /** The serializer's id in the RawSocket handshake (1 JSON, 2 MessagePack, 3 CBOR). */
  readonly rawSocketId: number;
  /** Encodes one message. JSON gives a string; the binary formats give bytes. */
  encode(message: readonly unknown[]): Uint8Array | string;
  /** Decodes one frame. Throws on bytes that do not decode; the caller makes that a protocol violation. */
  decode(frame: Uint8Array | string): unknown;
  /**
   * Decodes one received message as `decode` does, except that the payload of a client message
   * may be left as `EncodedValue`s (encoded.ts). The transports use this; serializers without
   * it are decoded whole.
   */
  decodeMessage?(frame: Uint8Array | string): unknown;
  /**
   * The last `count` elements of the top-level array in `frame`, or undefined where that cannot
   * be cut out cheaply or safely (the caller then encodes the decoded values as usual).
   * Precondition: this serializer decoded `frame` into an array of exactly `from + count`
   * elements. The binary formats check the count against the array header anyway; JSON does
   * not scan the tail (that would cost what forwarding saves) and relies on it.
   */
  tail(frame: Uint8Array | string, from: number, count: number): RawTail | undefined;
  /**
   * For a frame too short to cut (`payloadTail`): a tail without `encoded` when this serializer
   * can vouch that the last `count` elements it decoded from `frame` need none of its encoding
   * conversions; undefined otherwise, and for serializers without such conversions to skip.
   */
  uncutTail?(frame: Uint8Array | string, count: number): RawTail | undefined;
  /**
   * Encodes `message` with its last `tail.count` elements taken from `tail` (of this
   * serializer) instead of being encoded again.
   */
  encodeWithTail(message: readonly unknown[], tail: RawTail): Uint8Array | string;
}

/**
 * The payload tail a peer with serializer `ser` offers for the last `count` elements of a frame
 * it decoded into `from + count` elements: cut out when the frame is long enough to be worth
 * it, otherwise at most an uncut tail.
 */
export function payloadTail(ser: Serializer, frame: Uint8Array | string, from: number, count: number): RawTail | undefined {
  const length = typeof frame === "string" ? frame.length : frame.byteLength;
  return length < CUT_MIN_LENGTH ? ser.uncutTail?.(frame, count) : ser.tail(frame, from, count);
}
