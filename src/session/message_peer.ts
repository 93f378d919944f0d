/**
 * Peer and inbound decoding for message-framed transports (WebSocket): one WAMP message per
 * frame.
 * @module
 */
import type { ConnectionSink, MessageConnection, SendResult } from "../platform/transport.ts";
import type { Serializer } from "../serializer/types.ts";
import type { FrameCache, Peer, PeerSendResult } from "./peer.ts";

export class MessagePeer implements Peer {
  readonly #conn: MessageConnection;
  readonly #ser: Serializer;

  constructor(conn: MessageConnection, serializer: Serializer) {
    this.#conn = conn;
    this.#ser = serializer;
  }

  get info() {
    return this.#conn.info;
  }

  get serializer() {
    return this.#ser.name;
  }

  send(message: readonly unknown[], cache?: FrameCache): PeerSendResult {
    const key = this.#ser.name;
    let frame = cache?.get(key);
    if (frame === undefined) {
      try {
        frame = this.#ser.encode(message);
      } catch {
        return "unencodable";
      }
      cache?.set(key, frame);
    }
    return this.#conn.send(frame);
  }

  close(code?: number, reason?: string): void {
    this.#conn.close(code, reason);
  }
}

/** What a transport delivers to the session layer after decoding. */
export interface MessageHandler {
  receive(message: unknown): void;
  /** The frame could not be decoded, or is the wrong kind; the text says why. */
  malformed(reason: string): void;
  transportClosed(): void;
  drain?(): void;
}

/** Decodes WebSocket frames into messages for a handler. */
export function messageSink(serializer: Serializer, handler: MessageHandler): ConnectionSink {
  return {
    message(data) {
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
      let decoded: unknown;
      try {
        decoded = serializer.decode(data);
      } catch (e) {
        handler.malformed(`the frame could not be decoded as ${serializer.name}: ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
      handler.receive(decoded);
    },
    drain() {
      handler.drain?.();
    },
    closed() {
      handler.transportClosed();
    },
  };
}
