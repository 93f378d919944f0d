/**
 * RawSocket over a byte connection: the handshake picks the serializer, then the framer splits
 * the stream into WAMP messages for a session (spec "RawSocket Transport").
 * @module
 */
import { RawSocketServerProtocol } from "../framing/rawsocket.ts";
import type { Logger } from "../platform/logger.ts";
import type { ByteConnection, ConnectionSink } from "../platform/transport.ts";
import { rawSocketSerializerSupported, serializerForRawSocketId } from "../serializer/registry.ts";
import { payloadTail, type RawTail, type Serializer } from "../serializer/types.ts";
import type { MessageHandler } from "./message_peer.ts";
import type { FrameCache, Peer, PeerSendResult } from "./peer.ts";

const encoder = new TextEncoder();

class RawSocketPeer implements Peer {
  readonly #conn: ByteConnection;
  readonly #ser: Serializer;
  readonly #proto: RawSocketServerProtocol;
  bytesSent = 0;

  constructor(conn: ByteConnection, serializer: Serializer, proto: RawSocketServerProtocol) {
    this.#conn = conn;
    this.#ser = serializer;
    this.#proto = proto;
  }

  get info() {
    return this.#conn.info;
  }

  get serializer() {
    return this.#ser.name;
  }

  send(message: readonly unknown[], cache?: FrameCache, tail?: RawTail): PeerSendResult {
    // Frames differ from WebSocket frames (header, bytes for JSON), so they get their own key.
    const key = "raw:" + this.#ser.name;
    let frame = cache?.get(key) as Uint8Array | undefined;
    if (frame === undefined) {
      let encoded: Uint8Array | string;
      try {
        encoded = tail === undefined ? this.#ser.encode(message) : this.#ser.encodeWithTail(message, tail);
      } catch {
        return "unencodable";
      }
      const bytes = typeof encoded === "string" ? encoder.encode(encoded) : encoded;
      // Spec "RawSocket": never send more than the peer announced it accepts.
      if (!this.#proto.canSend(bytes.length)) return this.#proto.isOpen ? "too_large" : "closed";
      frame = this.#proto.frameMessage(bytes);
      cache?.set(key, frame);
    } else if (!this.#proto.canSend(frame.length - 4)) {
      // A cached frame was built for another peer, whose limit may be larger than this one's.
      return this.#proto.isOpen ? "too_large" : "closed";
    }
    this.bytesSent += frame.byteLength;
    return this.#conn.write(frame);
  }

  rawTail(frame: Uint8Array | string, from: number, count: number): RawTail | undefined {
    return payloadTail(this.#ser, frame, from, count);
  }

  /** Spec "RawSocket": a PING is answered with exactly one PONG, which counts as activity. */
  ping(): void {
    if (this.#proto.isOpen) this.#conn.write(this.#proto.framePing(new Uint8Array(0)));
  }

  /** Set once the session closed the transport: the rest of a chunk is not processed. */
  closed = false;

  close(): void {
    this.closed = true;
    this.#conn.close();
  }
}

export interface RawSocketAcceptOptions {
  /** Our receive limit, announced in the handshake. */
  maxLength: number;
  /** Creates the session once the handshake succeeded. */
  onSession(peer: Peer): MessageHandler;
  logger: Logger;
}

/** The sink for one accepted TCP connection speaking RawSocket. */
export function acceptRawSocket(conn: ByteConnection, options: RawSocketAcceptOptions): ConnectionSink {
  const proto = new RawSocketServerProtocol({
    maxLength: options.maxLength,
    serializerSupported: rawSocketSerializerSupported,
  });
  let handler: MessageHandler | undefined;
  let peer: RawSocketPeer | undefined;
  let serializer: Serializer | undefined;
  let done = false;
  const fail = (reason: string) => {
    options.logger.log("warn", "rawsocket connection failed", {
      reason,
      ...(conn.info.remoteAddress ? { remote: conn.info.remoteAddress } : {}),
    });
    if (handler) handler.malformed(reason);
    else conn.close();
  };
  return {
    message(data) {
      if (done) return;
      handler?.activity?.();
      const chunk = typeof data === "string" ? encoder.encode(data) : data;
      for (const ev of proto.receive(chunk)) {
        if (done || peer?.closed) break;
        switch (ev.type) {
          case "handshake":
            serializer = serializerForRawSocketId(ev.serializerId)!;
            conn.write(ev.reply);
            peer = new RawSocketPeer(conn, serializer, proto);
            handler = options.onSession(peer);
            break;
          case "handshake_error":
            conn.write(ev.reply);
            options.logger.log("warn", "rawsocket handshake refused", { reason: ev.reason });
            conn.close();
            break;
          case "ping":
            conn.write(ev.pong);
            break;
          case "pong":
            break;
          case "fail":
            fail(ev.reason);
            break;
          case "message": {
            if (!handler || !serializer) break;
            let decoded: unknown;
            try {
              decoded = (serializer.decodeMessage ?? serializer.decode)(ev.payload);
            } catch (e) {
              handler.malformed(
                `the frame could not be decoded as ${serializer.name}: ${e instanceof Error ? e.message : String(e)}`,
              );
              break;
            }
            handler.receive(decoded, ev.payload);
            break;
          }
        }
      }
    },
    drain() {
      handler?.drain?.();
    },
    closed() {
      if (done) return;
      done = true;
      handler?.transportClosed();
    },
  };
}
