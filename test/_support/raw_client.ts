/**
 * A minimal raw WAMP client for end-to-end tests: it speaks the wire protocol by hand, so a
 * test can send anything (malformed frames, out-of-order messages) and see exactly what the
 * router answers. Two transports:
 *
 * - WebSocket: the runtime's global `WebSocket` with one chosen subprotocol; JSON travels in
 *   text frames, MessagePack and CBOR in binary frames.
 * - RawSocket: `node:net` with the 4-byte handshake and length-prefixed frames from
 *   `src/framing/rawsocket.ts`.
 *
 * Messages are encoded and decoded with the router's own serializers (`src/serializer/`), so
 * binary values are `Uint8Array` whatever the wire format.
 *
 * Everything that waits has a timeout: a broken router fails the test instead of hanging it.
 * @module
 */
import { connect, type Socket } from "node:net";
import {
  encodeFrame,
  RAWSOCKET_FRAME_MESSAGE,
  RAWSOCKET_FRAME_PING,
  RawSocketClientProtocol,
} from "../../src/framing/rawsocket.ts";
import { serializerForRawSocketId, serializerForSubprotocol } from "../../src/serializer/registry.ts";
import type { Serializer, SerializerName } from "../../src/serializer/types.ts";

export const ALL_ROLES = { publisher: {}, subscriber: {}, caller: {}, callee: {} };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Rejects with "timed out waiting for <what>" after `ms`; clears its timer either way. */
export function withTimeout<T>(p: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** A promise with its resolve/reject exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

type Inbound = { kind: "message"; message: unknown[] } | { kind: "error"; error: Error };

/**
 * A FIFO with promise-based waiting: `push` from event handlers, `take` in the test. After
 * `end()` (the transport closed) waiting takers reject instead of hanging.
 */
export class AsyncQueue<T> {
  readonly #items: T[] = [];
  readonly #waiters: Array<{ resolve: (v: T) => void; reject: (e: Error) => void }> = [];
  #ended = false;

  push(item: T): void {
    const w = this.#waiters.shift();
    if (w) w.resolve(item);
    else this.#items.push(item);
  }

  end(): void {
    this.#ended = true;
    for (const w of this.#waiters.splice(0)) w.reject(new Error("the transport closed"));
  }

  get size(): number {
    return this.#items.length;
  }

  take(what: string, ms: number): Promise<T> {
    if (this.#items.length > 0) return Promise.resolve(this.#items.shift()!);
    if (this.#ended) return Promise.reject(new Error(`the transport closed while waiting for ${what}`));
    const d = deferred<T>();
    const waiter = { resolve: d.resolve, reject: d.reject };
    this.#waiters.push(waiter);
    return withTimeout(d.promise, what, ms).catch((e) => {
      const i = this.#waiters.indexOf(waiter);
      if (i >= 0) this.#waiters.splice(i, 1);
      throw e;
    });
  }
}

export interface RawClient {
  readonly transport: "websocket" | "rawsocket";
  readonly serializer: Serializer;
  /** Encodes and sends one WAMP message. */
  send(message: readonly unknown[]): void;
  /**
   * Sends one transport message with this exact, unencoded payload: a WebSocket text frame
   * (string) or binary frame (bytes); on RawSocket one WAMP message frame (strings as UTF-8).
   */
  sendRaw(data: Uint8Array | string): void;
  /** The next decoded WAMP message; rejects on timeout, on an undecodable frame, or when the transport closed first. */
  next(timeoutMs?: number): Promise<unknown[]>;
  /** Messages received and not yet taken by `next`. */
  readonly pending: number;
  /** Resolves when the transport is closed (by either side). */
  readonly closed: Promise<void>;
  readonly isClosed: boolean;
  /** Closes the transport; safe to call more than once. */
  close(): void;
  /** Sends HELLO and returns the router's answer (WELCOME or ABORT). */
  hello(realm?: string, details?: Record<string, unknown>, timeoutMs?: number): Promise<unknown[]>;
  /** A fresh request id (1, 2, 3, ...). */
  nextRequestId(): number;
}

abstract class BaseClient implements RawClient {
  abstract readonly transport: "websocket" | "rawsocket";
  readonly serializer: Serializer;
  readonly inbox = new AsyncQueue<Inbound>();
  readonly #closed = deferred<void>();
  #isClosed = false;
  #requestId = 0;

  constructor(serializer: Serializer) {
    this.serializer = serializer;
  }

  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  get pending(): number {
    return this.inbox.size;
  }

  protected markClosed(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.inbox.end();
    this.#closed.resolve();
  }

  protected deliver(payload: Uint8Array | string): void {
    try {
      const decoded = this.serializer.decode(payload);
      if (!Array.isArray(decoded)) throw new Error(`not a list: ${JSON.stringify(decoded)}`);
      this.inbox.push({ kind: "message", message: decoded });
    } catch (e) {
      this.inbox.push({ kind: "error", error: new Error(`undecodable frame from the router: ${String(e)}`) });
    }
  }

  send(message: readonly unknown[]): void {
    this.sendRaw(this.serializer.encode(message));
  }

  abstract sendRaw(data: Uint8Array | string): void;
  abstract close(): void;

  async next(timeoutMs = 5000): Promise<unknown[]> {
    const item = await this.inbox.take(`a message on ${this.transport}/${this.serializer.name}`, timeoutMs);
    if (item.kind === "error") throw item.error;
    return item.message;
  }

  nextRequestId(): number {
    return ++this.#requestId;
  }

  hello(realm = "realm1", details: Record<string, unknown> = {}, timeoutMs = 5000): Promise<unknown[]> {
    this.send([1, realm, { roles: ALL_ROLES, ...details }]);
    return this.next(timeoutMs);
  }
}

class WsRawClient extends BaseClient {
  readonly transport = "websocket" as const;
  readonly ws: WebSocket;

  constructor(ws: WebSocket, serializer: Serializer) {
    super(serializer);
    this.ws = ws;
    ws.addEventListener("message", (ev: MessageEvent) => {
      const data: unknown = ev.data;
      if (typeof data === "string") this.deliver(data);
      else if (data instanceof ArrayBuffer) this.deliver(new Uint8Array(data));
      else if (ArrayBuffer.isView(data)) this.deliver(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      else this.inbox.push({ kind: "error", error: new Error(`unexpected WebSocket data ${String(data)}`) });
    });
    ws.addEventListener("close", () => this.markClosed());
  }

  sendRaw(data: Uint8Array | string): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(data);
  }

  close(): void {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    try {
      this.ws.close();
    } catch {
      // already closing
    }
  }
}

/**
 * Opens a WebSocket offering exactly one subprotocol (`wamp.2.json`, `wamp.2.msgpack` or
 * `wamp.2.cbor`). Rejects when the upgrade fails or the router picks another subprotocol.
 */
export async function connectWebSocket(url: string, protocol = "wamp.2.json", timeoutMs = 5000): Promise<RawClient> {
  const serializer = serializerForSubprotocol(protocol);
  if (!serializer) throw new Error(`raw_client: no serializer for ${protocol}`);
  const ws = new WebSocket(url, [protocol]);
  ws.binaryType = "arraybuffer";
  const client = new WsRawClient(ws, serializer);
  const opened = new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve());
    ws.addEventListener("error", () => reject(new Error(`WebSocket ${url} (${protocol}) failed to open`)));
    ws.addEventListener("close", () => reject(new Error(`WebSocket ${url} (${protocol}) closed before open`)));
  });
  try {
    await withTimeout(opened, `WebSocket open (${protocol})`, timeoutMs);
  } catch (e) {
    client.close();
    throw e;
  }
  if (ws.protocol !== protocol) {
    client.close();
    throw new Error(`router chose subprotocol "${ws.protocol}", asked for "${protocol}"`);
  }
  return client;
}

export class RawSocketRawClient extends BaseClient {
  readonly transport = "rawsocket" as const;
  readonly socket: Socket;
  readonly protocol: RawSocketClientProtocol;
  /** Payloads of PONG frames the router sent. */
  readonly pongs = new AsyncQueue<Uint8Array>();
  /** Why the client's framing failed, if it did. */
  failure: string | undefined;
  /** Settles when the router answered the handshake. */
  readonly handshake = deferred<void>();

  constructor(socket: Socket, protocol: RawSocketClientProtocol, serializer: Serializer) {
    super(serializer);
    this.socket = socket;
    this.protocol = protocol;
    this.handshake.promise.catch(() => {}); // awaited by connectRawSocket; never unhandled
    socket.on("close", () => {
      this.pongs.end();
      this.markClosed();
    });
  }

  /** Feeds bytes read from the socket (handshake reply first, then frames). */
  handle(chunk: Uint8Array): void {
    // A plain view: node:net hands out Buffers, and payloads sliced from them would be Buffers too.
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (const ev of this.protocol.receive(bytes)) {
      switch (ev.type) {
        case "handshake":
          this.handshake.resolve();
          break;
        case "handshake_error":
          this.handshake.reject(new Error(`RawSocket handshake refused: error ${ev.errorCode} (${ev.reason})`));
          break;
        case "message":
          this.deliver(this.serializer.binary ? ev.payload : decoder.decode(ev.payload));
          break;
        case "ping":
          this.writeBytes(ev.pong);
          break;
        case "pong":
          this.pongs.push(ev.payload);
          break;
        case "fail":
          this.failure = ev.reason;
          this.handshake.reject(new Error(`RawSocket framing failed: ${ev.reason}`));
          this.inbox.push({ kind: "error", error: new Error(`RawSocket framing failed: ${ev.reason}`) });
          this.socket.destroy();
          break;
      }
    }
  }

  sendRaw(data: Uint8Array | string): void {
    const payload = typeof data === "string" ? encoder.encode(data) : data;
    this.writeBytes(encodeFrame(RAWSOCKET_FRAME_MESSAGE, payload));
  }

  /** Writes bytes to the TCP socket as they are (no framing). */
  writeBytes(bytes: Uint8Array): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    this.socket.write(bytes);
  }

  /**
   * Writes `bytes` in chunks of `chunkSize`, one `write` per chunk with Nagle off, waiting for
   * each to be handed to the kernel before the next: the router sees them cut anywhere.
   */
  async writeChunked(bytes: Uint8Array, chunkSize = 1): Promise<void> {
    this.socket.setNoDelay(true);
    for (let i = 0; i < bytes.length; i += chunkSize) {
      if (this.socket.destroyed) throw new Error("the socket closed during a chunked write");
      await new Promise<void>((resolve, reject) =>
        this.socket.write(bytes.subarray(i, i + chunkSize), (err) => (err ? reject(err) : resolve()))
      );
    }
  }

  /** Encodes a frame for `message` (without sending it), for tests that cut or batch frames. */
  frame(message: readonly unknown[]): Uint8Array {
    const encoded = this.serializer.encode(message);
    return encodeFrame(RAWSOCKET_FRAME_MESSAGE, typeof encoded === "string" ? encoder.encode(encoded) : encoded);
  }

  ping(payload: Uint8Array): void {
    this.writeBytes(encodeFrame(RAWSOCKET_FRAME_PING, payload));
  }

  nextPong(timeoutMs = 5000): Promise<Uint8Array> {
    return this.pongs.take("a RawSocket PONG", timeoutMs);
  }

  close(): void {
    if (this.socket.destroyed) return;
    this.socket.end();
    // A peer that never closes its side must not keep the test alive.
    const t = setTimeout(() => this.socket.destroy(), 1000);
    this.socket.once("close", () => clearTimeout(t));
  }
}

/** Opens a TCP connection to the loopback RawSocket port. */
export function tcpConnect(port: number, host = "127.0.0.1", timeoutMs = 5000): Promise<Socket> {
  return withTimeout(
    new Promise<Socket>((resolve, reject) => {
      const s = connect({ host, port }, () => {
        s.off("error", reject);
        resolve(s);
      });
      s.once("error", reject);
    }),
    `TCP connect to ${host}:${port}`,
    timeoutMs,
  );
}

const SERIALIZER_IDS: Record<SerializerName, number> = { json: 1, msgpack: 2, cbor: 3 };

export interface RawSocketConnectOptions {
  timeoutMs?: number;
  /** Write the 4 handshake bytes in chunks of this size, one TCP write each (default: one write). */
  handshakeChunkSize?: number;
  /** Our receive limit announced in the handshake (default 16 MiB); the client fails frames above it. */
  maxLength?: number;
}

/**
 * Connects over RawSocket and completes the handshake for `serializer`. Rejects when the router
 * refuses (the error names its error code) or closes first.
 */
export async function connectRawSocket(
  port: number,
  serializer: SerializerName = "json",
  options: RawSocketConnectOptions = {},
): Promise<RawSocketRawClient> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const id = SERIALIZER_IDS[serializer];
  const ser = serializerForRawSocketId(id);
  if (!ser) throw new Error(`raw_client: no serializer for RawSocket id ${id}`);
  const socket = await tcpConnect(port, "127.0.0.1", timeoutMs);
  const protocol = new RawSocketClientProtocol({ serializerId: id, maxLength: options.maxLength ?? 16 * 1024 * 1024 });
  const client = new RawSocketRawClient(socket, protocol, ser);
  socket.on("data", (chunk: Uint8Array) => client.handle(chunk));
  socket.once("close", () => client.handshake.reject(new Error("RawSocket closed during the handshake")));
  socket.on("error", () => {
    // 'close' follows; errors such as ECONNRESET after the router closed are expected in tests.
  });
  if (options.handshakeChunkSize) await client.writeChunked(protocol.handshake, options.handshakeChunkSize);
  else socket.write(protocol.handshake);
  try {
    await withTimeout(client.handshake.promise, "the RawSocket handshake reply", timeoutMs);
  } catch (e) {
    socket.destroy();
    throw e;
  }
  return client;
}

/**
 * Reads from a plain socket until it closes (or `ms` passes, which rejects); resolves with all
 * bytes read. Start it before writing so nothing is missed.
 */
export function readUntilClose(socket: Socket, ms = 5000): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  return withTimeout(
    new Promise<Uint8Array>((resolve) => {
      socket.on("data", (c: Uint8Array) => chunks.push(new Uint8Array(c)));
      socket.on("error", () => {});
      socket.once("close", () => {
        const total = chunks.reduce((n, c) => n + c.byteLength, 0);
        const out = new Uint8Array(total);
        let off = 0;
        for (const c of chunks) {
          out.set(c, off);
          off += c.byteLength;
        }
        resolve(out);
      });
    }),
    "the TCP connection to close",
    ms,
  );
}

/** Closes every client given, ignoring errors. */
export function closeAll(...clients: Array<{ close(): void } | undefined>): void {
  for (const c of clients) {
    try {
      c?.close();
    } catch {
      // best effort
    }
  }
}
