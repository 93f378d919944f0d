/**
 * The outbound half of a session's transport: encodes a WAMP message with the transport's
 * serializer and hands the frame to the connection.
 * @module
 */
import type { SendResult, TransportInfo } from "../platform/transport.ts";
import type { RawTail, SerializerName } from "../serializer/types.ts";

/**
 * Frames already encoded for one outbound message, keyed by wire format. A fan-out (one EVENT
 * to many subscribers) encodes once per serializer and transport instead of once per peer.
 */
export type FrameCache = Map<string, Uint8Array | string>;

/**
 * What became of an outbound message: handed to the transport ("ok", or "backpressure" when
 * its buffer is filling), "closed", "unencodable" (the serializer cannot carry a value), or
 * "too_large" (over the peer's announced message limit). Nothing is sent in the last three.
 */
export type PeerSendResult = SendResult | "unencodable" | "too_large";

export interface Peer {
  readonly info: TransportInfo;
  readonly serializer: SerializerName;
  /**
   * Encodes and sends. Never throws; the caller decides what an undeliverable message means.
   * With a `tail` of this peer's serializer, the message's last elements are sent as those
   * bytes instead of being encoded again (a tail of another serializer is ignored).
   */
  send(message: readonly unknown[], cache?: FrameCache, tail?: RawTail): PeerSendResult;
  /** The raw trailing elements of a frame this peer received (serializer.ts `tail`). */
  rawTail?(frame: Uint8Array | string, from: number, count: number): RawTail | undefined;
  /** Closes the transport after what was sent so far. */
  close(code?: number, reason?: string): void;
  /**
   * Bytes handed to the transport so far (text frames counted by length). Slow-consumer
   * protection compares it before and after backpressure; peers without a transport omit it.
   */
  readonly bytesSent?: number;
  /** Sends a transport-level ping (WebSocket ping, RawSocket PING), when the transport has one. */
  ping?(): void;
}
