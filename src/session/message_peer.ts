/**
 * Peer and inbound decoding for message-framed transports (WebSocket): one WAMP message per
 * frame.
 * @module
 */
import type { ConnectionSink, MessageConnection } from "../platform/transport.ts";
import { splitBatch, wrapBatch } from "../serializer/batched.ts";
import type { Framing } from "../serializer/registry.ts";
import { payloadTail, type RawTail, type Serializer } from "../serializer/types.ts";
import type { FrameCache, Peer, PeerSendResult } from "./peer.ts";

export class MessagePeer implements Peer {
  readonly #conn: MessageConnection;
  readonly #ser: Serializer;
  readonly #batched: boolean;
  readonly #key: string;
  bytesSent = 0;
  /** Present only when the runtime's WebSocket can ping (the idle check skips the others). */
  readonly ping: (() => void) | undefined;

  constructor(conn: MessageConnection, serializer: Serializer, framing: Framing = "single") {
    this.#conn = conn;
    this.#ser = serializer;
    this.#batched = framing === "batched";
    this.#key = this.#batched ? `${serializer.name}.batched` : serializer.name;
    this.ping = conn.ping ? () => conn.ping!() : undefined;
  }

  get info() {
    return this.#conn.info;
  }

  get serializer() {
    return this.#ser.name;
  }

  send(message: readonly unknown[], cache?: FrameCache, tail?: RawTail): PeerSendResult {
    let frame = cache?.get(this.#key);
    if (frame === undefined) {
      try {
        frame = tail === undefined ? this.#ser.encode(message) : this.#ser.encodeWithTail(message, tail);
      } catch {
        return "unencodable";
      }
      // Outbound messages go one per batch: valid, and no added latency from holding them.
      if (this.#batched) frame = wrapBatch(frame);
      cache?.set(this.#key, frame);
    }
    this.bytesSent += typeof frame === "string" ? frame.length : frame.byteLength;
    return this.#conn.send(frame);
  }

  rawTail(frame: Uint8Array | string, from: number, count: number): RawTail | undefined {
    return payloadTail(this.#ser, frame, from, count);
  }


  close(code?: number, reason?: string): void {
    this.#conn.close(code, reason);
  }
}

/** What a transport delivers to the session layer after decoding. */
export interface MessageHandler {
  /** `frame` is what `message` was decoded from, for forwarding parts of it unchanged. */
  receive(message: unknown, frame?: Uint8Array | string): void;
  /** The frame could not be decoded, or is the wrong kind; the text says why. */
  malformed(reason: string): void;
  transportClosed(): void;
  drain?(): void;
  /** Anything arrived from the peer (a message, a pong): it is alive. */
  activity?(): void;
}

/** Decodes WebSocket frames into messages for a handler. */
export function messageSink(serializer: Serializer, handler: MessageHandler, framing: Framing = "single"): ConnectionSink {
  const decode = serializer.decodeMessage ?? serializer.decode;
  const deliver = (data: Uint8Array | string): void => {
    let decoded: unknown;
    try {
      decoded = decode(data);
    } catch (e) {
      handler.malformed(`the frame could not be decoded as ${serializer.name}: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    handler.receive(decoded, data);
  };
  return {
    message(data) {
      handler.activity?.();
      // Spec "WebSocket Transport": JSON travels in text frames, the binary serializers in
      // binary frames; the wrong kind is a protocol error.
      if (serializer.binary !== (typeof data !== "string")) {
        handler.malformed(
          serializer.binary
            ? `a text frame arrived on a ${serializer.name} connection, which uses binary frames`
            : "a binary frame arrived on a JSON connection, which uses text frames",
        );
        return;
      }
      if (framing === "single") return deliver(data);
      const parts = splitBatch(serializer.binary, data);
      if (typeof parts === "string") return handler.malformed(parts);
      // A message of the batch may end the session (ABORT); the handler then ignores the rest.
      for (const part of parts) deliver(part);
    },
    drain() {
      handler.drain?.();
    },
    pong() {
      handler.activity?.();
    },
    closed() {
      handler.transportClosed();
    },
  };
}
