/**
 * The seams between the pure core and the runtime adapters. The core never owns a socket: an
 * adapter wraps its runtime's socket in one of these shapes and feeds inbound data to the sink
 * the core hands back.
 * @module
 */

/** Result of handing a frame to a connection. `send` never throws. */
export type SendResult = "ok" | "backpressure" | "closed";

/** What the core may know about the transport under a session. */
export interface TransportInfo {
  readonly kind: "websocket" | "rawsocket" | "local";
  /** Remote peer address (IP) when the runtime tells it. */
  readonly remoteAddress?: string;
  readonly remotePort?: number;
}

/** A connection that carries one WAMP message per frame (WebSocket, in-process links). */
export interface MessageConnection {
  readonly info: TransportInfo;
  /** The negotiated WebSocket subprotocol, e.g. `wamp.2.cbor`. */
  readonly protocol: string;
  send(frame: Uint8Array | string): SendResult;
  /** Closes the transport; safe to call more than once. */
  close(code?: number, reason?: string): void;
  /** Sends a WebSocket ping; the pong arrives as `ConnectionSink.pong`. Optional per runtime. */
  ping?(): void;
}

/** A byte stream (TCP) on which the core itself applies RawSocket framing. */
export interface ByteConnection {
  readonly info: TransportInfo;
  write(chunk: Uint8Array): SendResult;
  /** Closes after flushing what was written; safe to call more than once. */
  close(): void;
}

/** Returned by the core for each accepted connection; the adapter calls it. */
export interface ConnectionSink {
  /** One WebSocket message, or one chunk of bytes from a byte connection. */
  message(data: Uint8Array | string): void;
  /** The connection's outbound buffer has drained. */
  drain?(): void;
  /** A WebSocket pong arrived (answer to `MessageConnection.ping`). */
  pong?(): void;
  /** The transport is gone (either side closed it, or it failed). Called at most once. */
  closed(): void;
}

/** Implemented by the router: what adapters need to accept connections. */
export interface Acceptor {
  /** Picks the WebSocket subprotocol during upgrade: the first offered that is supported. */
  chooseSubprotocol(offered: readonly string[]): string | undefined;
  acceptMessages(conn: MessageConnection): ConnectionSink;
  acceptBytes(conn: ByteConnection): ConnectionSink;
}
