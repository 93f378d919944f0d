/**
 * A small WAMP client for the soak test (bench/soak.ts): WebSocket (the runtime's global
 * WebSocket) or RawSocket (`node:net`), JSON, MessagePack or CBOR, with request/answer
 * correlation, subscriptions and registrations. It uses the router's own serializers and
 * RawSocket framing, and can leave a session three ways: GOODBYE, closing the transport, or
 * destroying it at once.
 *
 * Every request has a timeout; a closed transport rejects whatever is still waiting.
 * @module
 */
import { connect, type Socket } from "node:net";
import { encodeFrame, RAWSOCKET_FRAME_MESSAGE, RawSocketClientProtocol } from "../src/framing/rawsocket.ts";
import { serializerForRawSocketId, serializerForSubprotocol } from "../src/serializer/registry.ts";
import type { Serializer, SerializerName } from "../src/serializer/types.ts";

export type Transport = "websocket" | "rawsocket";
export type Kind = `${Transport}/${SerializerName}`;

export const KINDS: readonly Kind[] = [
  "websocket/json",
  "rawsocket/json",
  "websocket/msgpack",
  "rawsocket/msgpack",
  "websocket/cbor",
  "rawsocket/cbor",
];

export interface Endpoints {
  /** ws://127.0.0.1:PORT/ws */
  readonly wsUrl: string;
  readonly rawHost: string;
  readonly rawPort: number;
}

// WAMP message codes.
const HELLO = 1, WELCOME = 2, ABORT = 3, GOODBYE = 6, ERROR = 8, PUBLISH = 16, PUBLISHED = 17;
const SUBSCRIBE = 32, SUBSCRIBED = 33, EVENT = 36, CALL = 48, RESULT = 50;
const REGISTER = 64, REGISTERED = 65, INVOCATION = 68, YIELD = 70;

const ROLES = { publisher: {}, subscriber: {}, caller: {}, callee: {} };
const SERIALIZER_IDS: Record<SerializerName, number> = { json: 1, msgpack: 2, cbor: 3 };
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** An ERROR (or ABORT) from the router, with its URI. */
export class WampError extends Error {
  readonly uri: string;
  constructor(uri: string, message = uri) {
    super(message);
    this.uri = uri;
  }
}

/** What an INVOCATION handler returns: the YIELD arguments, or "drop" to kill the transport. */
export type InvocationHandler = (args: unknown[]) => unknown[] | Promise<unknown[]> | "drop";

/** The byte/message pipe under a session. */
interface Pipe {
  send(message: readonly unknown[]): void;
  /** Graceful close (WebSocket close frame, TCP FIN). */
  close(): void;
  /** Immediate teardown (TCP destroy; a WebSocket can only be closed). */
  destroy(): void;
}

interface Waiting {
  resolve(m: unknown[]): void;
  reject(e: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export class SoakClient {
  readonly kind: Kind;
  sessionId = 0;
  #pipe!: Pipe;
  #requestId = 0;
  readonly #waiting = new Map<number, Waiting>();
  #welcome: Waiting | undefined;
  #goodbye: (() => void) | undefined;
  readonly #events = new Map<number, (args: unknown[]) => void>();
  readonly #procedures = new Map<number, InvocationHandler>();
  #closed = false;
  /** GOODBYE sent: nothing but the reply may follow (a late INVOCATION is not answered). */
  #leaving = false;
  readonly closed: Promise<void>;
  #markClosed!: () => void;
  /** Messages that made no sense to this client (a router bug if ever non-zero). */
  oddities = 0;

  private constructor(kind: Kind) {
    this.kind = kind;
    this.closed = new Promise<void>((resolve) => (this.#markClosed = resolve));
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Opens the transport (WebSocket upgrade or RawSocket handshake). */
  static async connect(kind: Kind, ep: Endpoints, timeoutMs = 10_000): Promise<SoakClient> {
    const c = new SoakClient(kind);
    const [transport, ser] = kind.split("/") as [Transport, SerializerName];
    c.#pipe = transport === "websocket"
      ? await openWebSocket(ep.wsUrl, ser, c, timeoutMs)
      : await openRawSocket(ep.rawHost, ep.rawPort, ser, c, timeoutMs);
    return c;
  }

  // --- called by the pipe ---

  /** @internal */
  onMessage(m: unknown): void {
    if (!Array.isArray(m) || typeof m[0] !== "number") {
      this.oddities++;
      return;
    }
    switch (m[0]) {
      case WELCOME:
        this.sessionId = m[1] as number;
        this.#settleWelcome(m, undefined);
        return;
      case ABORT:
        this.#settleWelcome(undefined, new WampError(m[2] as string));
        this.#pipe.close();
        return;
      case GOODBYE:
        if (this.#goodbye) {
          this.#goodbye();
          this.#goodbye = undefined;
        } else {
          // The router says goodbye (shutdown, kill): answer, then close.
          this.#pipe.send([GOODBYE, {}, "wamp.close.goodbye_and_out"]);
        }
        this.#pipe.close();
        return;
      case EVENT: {
        const cb = this.#events.get(m[1] as number);
        if (cb) cb((m[4] as unknown[] | undefined) ?? []);
        return;
      }
      case INVOCATION:
        this.#invoke(m);
        return;
      case ERROR:
        this.#settle(m[2] as number, undefined, new WampError(m[4] as string, `${m[4] as string}: ${JSON.stringify(m[5] ?? [])}`));
        return;
      case PUBLISHED:
      case SUBSCRIBED:
      case REGISTERED:
      case RESULT:
        this.#settle(m[1] as number, m, undefined);
        return;
      default:
        // UNSUBSCRIBED/UNREGISTERED and the like are not expected in this workload.
        this.oddities++;
    }
  }

  /** @internal */
  onClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    const err = new Error("the transport closed");
    this.#settleWelcome(undefined, err);
    for (const [id, w] of this.#waiting) {
      clearTimeout(w.timer);
      this.#waiting.delete(id);
      w.reject(err);
    }
    this.#goodbye?.();
    this.#goodbye = undefined;
    this.#events.clear();
    this.#procedures.clear();
    this.#markClosed();
  }

  #settleWelcome(m: unknown[] | undefined, err: Error | undefined): void {
    const w = this.#welcome;
    if (!w) return;
    this.#welcome = undefined;
    clearTimeout(w.timer);
    if (err) w.reject(err);
    else w.resolve(m!);
  }

  #settle(id: number, m: unknown[] | undefined, err: Error | undefined): void {
    const w = this.#waiting.get(id);
    if (!w) {
      this.oddities++;
      return;
    }
    this.#waiting.delete(id);
    clearTimeout(w.timer);
    if (err) w.reject(err);
    else w.resolve(m!);
  }

  #invoke(m: unknown[]): void {
    const invocationId = m[1] as number;
    const handler = this.#procedures.get(m[2] as number);
    if (!handler) {
      this.oddities++;
      this.#send([ERROR, INVOCATION, invocationId, {}, "wamp.error.no_such_registration"]);
      return;
    }
    let out: ReturnType<InvocationHandler>;
    try {
      out = handler((m[4] as unknown[] | undefined) ?? []);
    } catch (e) {
      this.#send([ERROR, INVOCATION, invocationId, {}, "soak.error.handler", [String(e)]]);
      return;
    }
    if (out === "drop") {
      this.destroy();
      return;
    }
    Promise.resolve(out).then(
      (args) => this.#send([YIELD, invocationId, {}, args]),
      (e: unknown) => this.#send([ERROR, INVOCATION, invocationId, {}, "soak.error.handler", [String(e)]]),
    );
  }

  #send(m: readonly unknown[]): void {
    if (!this.#closed && !this.#leaving) this.#pipe.send(m);
  }

  #request(m: (id: number) => unknown[], timeoutMs: number): Promise<unknown[]> {
    if (this.#closed) return Promise.reject(new Error("the transport closed"));
    const id = ++this.#requestId;
    return new Promise<unknown[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`no answer to request ${id} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(id, { resolve, reject, timer });
      this.#pipe.send(m(id));
    });
  }

  // --- WAMP ---

  hello(realm = "realm1", timeoutMs = 10_000): Promise<unknown[]> {
    return new Promise<unknown[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#welcome = undefined;
        reject(new Error(`no WELCOME within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#welcome = { resolve, reject, timer };
      this.#pipe.send([HELLO, realm, { roles: ROLES, agent: "junction-soak" }]);
    });
  }

  async subscribe(topic: string, cb: (args: unknown[]) => void = () => {}, timeoutMs = 10_000): Promise<number> {
    const m = await this.#request((id) => [SUBSCRIBE, id, {}, topic], timeoutMs);
    this.#events.set(m[2] as number, cb);
    return m[2] as number;
  }

  async register(procedure: string, handler: InvocationHandler, timeoutMs = 10_000): Promise<number> {
    const m = await this.#request((id) => [REGISTER, id, {}, procedure], timeoutMs);
    this.#procedures.set(m[2] as number, handler);
    return m[2] as number;
  }

  /** The RESULT's positional arguments. */
  async call(procedure: string, args: unknown[] = [], timeoutMs = 10_000): Promise<unknown[]> {
    const m = await this.#request((id) => [CALL, id, {}, procedure, args], timeoutMs);
    return (m[3] as unknown[] | undefined) ?? [];
  }

  /** Sends a CALL and forgets it (the answer, if any, is ignored). */
  callAndForget(procedure: string, args: unknown[] = []): void {
    this.call(procedure, args, 60_000).catch(() => {});
  }

  async publish(topic: string, args: unknown[], options: { acknowledge?: boolean; excludeMe?: boolean } = {}, timeoutMs = 10_000): Promise<void> {
    const opts: Record<string, unknown> = {};
    if (options.excludeMe === false) opts["exclude_me"] = false;
    if (options.acknowledge) {
      opts["acknowledge"] = true;
      await this.#request((id) => [PUBLISH, id, opts, topic, args], timeoutMs);
    } else {
      this.#send([PUBLISH, ++this.#requestId, opts, topic, args]);
    }
  }

  /** GOODBYE, the router's GOODBYE in reply (at most `timeoutMs`), then close. */
  async goodbye(timeoutMs = 5000): Promise<void> {
    if (this.#closed) return;
    const replied = new Promise<void>((resolve) => (this.#goodbye = resolve));
    this.#pipe.send([GOODBYE, {}, "wamp.close.close_realm"]);
    // An INVOCATION the router sent before it saw our GOODBYE may still arrive; answering it
    // after GOODBYE would be a protocol violation.
    this.#leaving = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<void>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no GOODBYE reply within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([replied, timedOut]);
    } finally {
      clearTimeout(timer);
      this.close();
    }
  }

  /** Closes the transport without GOODBYE (a WebSocket close frame, a TCP FIN). */
  close(): void {
    this.#pipe.close();
  }

  /** Tears the transport down at once (TCP destroy; WebSocket close). */
  destroy(): void {
    this.#pipe.destroy();
  }
}

// --- transports ---

async function openWebSocket(url: string, ser: SerializerName, c: SoakClient, timeoutMs: number): Promise<Pipe> {
  const protocol = `wamp.2.${ser}`;
  const serializer = serializerForSubprotocol(protocol)!;
  const ws = new WebSocket(url, [protocol]);
  ws.binaryType = "arraybuffer";
  ws.addEventListener("message", (ev: MessageEvent) => {
    let decoded: unknown;
    try {
      decoded = serializer.decode(typeof ev.data === "string" ? ev.data : new Uint8Array(ev.data as ArrayBuffer));
    } catch {
      c.oddities++;
      return;
    }
    c.onMessage(decoded);
  });
  ws.addEventListener("close", () => c.onClosed());
  ws.addEventListener("error", () => {});
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`WebSocket ${url} did not open within ${timeoutMs} ms`));
      try {
        ws.close();
      } catch {
        // not open yet
      }
    }, timeoutMs);
    ws.addEventListener("open", () => {
      clearTimeout(timer);
      resolve();
    });
    ws.addEventListener("close", () => {
      clearTimeout(timer);
      reject(new Error(`WebSocket ${url} closed before it opened`));
    });
  });
  const close = () => {
    try {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
    } catch {
      // already closing
    }
  };
  return {
    send(m) {
      if (ws.readyState === WebSocket.OPEN) ws.send(serializer.encode(m) as string | Uint8Array<ArrayBuffer>);
    },
    close,
    destroy: close,
  };
}

async function openRawSocket(host: string, port: number, ser: SerializerName, c: SoakClient, timeoutMs: number): Promise<Pipe> {
  const id = SERIALIZER_IDS[ser];
  const serializer: Serializer = serializerForRawSocketId(id)!;
  const proto = new RawSocketClientProtocol({ serializerId: id, maxLength: 16 * 1024 * 1024 });
  const socket: Socket = connect({ host, port });
  socket.setNoDelay(true);
  socket.on("error", () => {});
  socket.on("close", () => c.onClosed());
  let handshake!: { resolve(): void; reject(e: Error): void };
  const shaken = new Promise<void>((resolve, reject) => (handshake = { resolve, reject }));
  socket.on("data", (chunk: Uint8Array) => {
    for (const ev of proto.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))) {
      switch (ev.type) {
        case "handshake":
          handshake.resolve();
          break;
        case "handshake_error":
          handshake.reject(new Error(`RawSocket handshake refused: ${ev.reason}`));
          socket.destroy();
          break;
        case "ping":
          if (!socket.destroyed) socket.write(ev.pong);
          break;
        case "pong":
          break;
        case "fail":
          handshake.reject(new Error(`RawSocket failed: ${ev.reason}`));
          c.oddities++;
          socket.destroy();
          break;
        case "message": {
          let decoded: unknown;
          try {
            decoded = serializer.decode(serializer.binary ? ev.payload : decoder.decode(ev.payload));
          } catch {
            c.oddities++;
            break;
          }
          c.onMessage(decoded);
          break;
        }
      }
    }
  });
  socket.once("close", () => handshake.reject(new Error("RawSocket closed during the handshake")));
  socket.once("connect", () => socket.write(proto.handshake));
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      shaken,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`RawSocket handshake not done within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (e) {
    socket.destroy();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return {
    send(m) {
      if (socket.destroyed || !socket.writable) return;
      const encoded = serializer.encode(m);
      socket.write(encodeFrame(RAWSOCKET_FRAME_MESSAGE, typeof encoded === "string" ? encoder.encode(encoded) : encoded));
    },
    close() {
      if (!socket.destroyed) socket.end();
      // A router that never closes its side must not keep us: tear down after a while.
      setTimeout(() => socket.destroy(), 2000).unref?.();
    },
    destroy() {
      socket.destroy();
    },
  };
}
