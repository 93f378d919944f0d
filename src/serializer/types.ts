/**
 * A WAMP serializer. Messages inside the core are plain arrays; binary values are always
 * `Uint8Array`, whatever the wire format (JSON carries them as `"\0"` + base64 strings).
 * @module
 */

export type SerializerName = "json" | "msgpack" | "cbor";

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
}
