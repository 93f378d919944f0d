/**
 * A WAMP serializer. Messages inside the core are plain arrays; binary values are always
 * `Uint8Array`, whatever the wire format (JSON carries them as `"\0"` + base64 strings).
 * @module
 */

export type SerializerName = "json" | "msgpack" | "cbor";

/**
 * The trailing elements of a received message (its Arguments and ArgumentsKw) exactly as they
 * were encoded, so a router can forward a payload to a peer with the same serializer without
 * decoding it into a new frame (the payload is still decoded once, to check and route it).
 * `encoded` is a view of the received frame: valid only while that frame is being handled.
 */
export interface RawTail {
  readonly serializer: SerializerName;
  /** How many elements `encoded` holds (1: Arguments; 2: Arguments and ArgumentsKw). */
  readonly count: number;
  /** JSON: the text from the first element to the array's end, closing bracket included.
   *  MessagePack, CBOR: the elements' bytes, without an array header. */
  readonly encoded: string | Uint8Array;
}

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
   * The last `count` elements of the top-level array in `frame`, or undefined where that cannot
   * be cut out cheaply or safely (the caller then encodes the decoded values as usual).
   * Precondition: this serializer decoded `frame` into an array of exactly `from + count`
   * elements. The binary formats check the count against the array header anyway; JSON does
   * not scan the tail (that would cost what forwarding saves) and relies on it.
   */
  tail(frame: Uint8Array | string, from: number, count: number): RawTail | undefined;
  /**
   * Encodes `message` with its last `tail.count` elements taken from `tail` (of this
   * serializer) instead of being encoded again.
   */
  encodeWithTail(message: readonly unknown[], tail: RawTail): Uint8Array | string;
}
