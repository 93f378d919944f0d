/**
 * One fuzzing connection to a live router, over WebSocket (the runtime's global WebSocket) or
 * RawSocket (node:net): send frames as they are, watch what comes back (decoded, checked for
 * shape, ABORT at most once and last), answer the router's RawSocket PINGs, close. Every wait
 * is bounded.
 * @module
 */
import { connect, type Socket } from "node:net";
import {
  clientHandshake,
  encodeFrame,
  RAWSOCKET_FRAME_MESSAGE,
  RAWSOCKET_FRAME_PONG,
  RawSocketClientProtocol,
} from "../../src/framing/rawsocket.ts";
import type { Serializer } from "../../src/serializer/types.ts";
import { routerMessageProblem } from "./_shapes.ts";

export type Transport = "websocket" | "rawsocket";

const utf8 = new TextEncoder();
const text = new TextDecoder();

export interface ConnEvents {
  /** A decoded message from the router. */
  message(m: unknown[]): void;
  /** Something the router must not do (undecodable frame, malformed message, message after ABORT...). */
  anomaly(what: string): void;
}

export abstract class LiveConn {
  readonly ser: Serializer;
  closed = false;
  aborted = false;
  readonly #events: ConnEvents;
  #closedWaiters: Array<() => void> = [];

  constructor(ser: Serializer, events: ConnEvents) {
    this.ser = ser;
    this.#events = events;
  }

  /** Sends one WAMP message frame's payload as it is. */
  abstract send(frame: Uint8Array | string): void;
  /** Bytes queued locally and not yet handed to the kernel. */
  abstract get buffered(): number;
  protected abstract shutdown(): void;
  protected abstract destroy(): void;

  protected deliver(payload: Uint8Array | string): void {
    let m: unknown;
    try {
      m = this.ser.decode(payload);
    } catch (e) {
      this.#events.anomaly(`undecodable ${this.ser.name} frame from the router: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    if (this.aborted) this.#events.anomaly("a message after ABORT");
    const problem = routerMessageProblem(m);
    if (problem) {
      this.#events.anomaly(`malformed message from the router: ${problem}`);
      return;
    }
    const msg = m as unknown[];
    if (msg[0] === 3) this.aborted = true;
    this.#events.message(msg);
  }

  protected markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.#closedWaiters.splice(0)) w();
  }

  /** Resolves once closed, or after `ms` (then the socket is destroyed). */
  async close(ms = 2_000): Promise<void> {
    if (this.closed) return;
    this.shutdown();
    await this.waitClosed(ms);
    if (!this.closed) {
      this.destroy();
      this.markClosed();
    }
  }

  waitClosed(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(), ms);
      this.#closedWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

class WsLiveConn extends LiveConn {
  readonly #ws: WebSocket;
  constructor(ws: WebSocket, ser: Serializer, events: ConnEvents) {
    super(ser, events);
    this.#ws = ws;
    ws.addEventListener("message", (ev: MessageEvent) => {
      const data: unknown = ev.data;
      if (typeof data === "string") {
        if (ser.binary) events.anomaly("a text frame on a binary subprotocol");
        this.deliver(data);
      } else if (data instanceof ArrayBuffer) {
        if (!ser.binary) events.anomaly("a binary frame on wamp.2.json");
        this.deliver(new Uint8Array(data));
      }
    });
    ws.addEventListener("close", () => this.markClosed());
  }
  send(frame: Uint8Array | string): void {
    if (this.closed || this.#ws.readyState !== WebSocket.OPEN) return;
    // The DOM typing wants ArrayBuffer-backed views; the frames are plain Uint8Arrays.
    this.#ws.send(frame as string | Uint8Array<ArrayBuffer>);
  }
  get buffered(): number {
    return this.#ws.bufferedAmount;
  }
  protected shutdown(): void {
    try {
      this.#ws.close(1000);
    } catch {
      // already closing
    }
  }
  protected destroy(): void {
    this.shutdown();
  }
}

class RawLiveConn extends LiveConn {
  readonly #socket: Socket;
  handshakeDone = false;
  constructor(socket: Socket, proto: RawSocketClientProtocol, ser: Serializer, events: ConnEvents, onHandshake: (ok: boolean) => void) {
    super(ser, events);
    this.#socket = socket;
    socket.on("data", (chunk: Uint8Array) => {
      for (const ev of proto.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))) {
        switch (ev.type) {
          case "handshake":
            this.handshakeDone = true;
            onHandshake(true);
            break;
          case "handshake_error":
            onHandshake(false);
            break;
          case "message":
            this.deliver(ser.binary ? ev.payload : text.decode(ev.payload));
            break;
          case "ping":
            this.#write(encodeFrame(RAWSOCKET_FRAME_PONG, ev.payload));
            break;
          case "pong":
            break;
          case "fail":
            events.anomaly(`the router's RawSocket output failed to parse: ${ev.reason}`);
            onHandshake(false);
            socket.destroy();
            break;
        }
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      onHandshake(false);
      this.markClosed();
    });
  }
  #write(bytes: Uint8Array): void {
    if (!this.#socket.destroyed && this.#socket.writable) this.#socket.write(bytes);
  }
  send(frame: Uint8Array | string): void {
    if (this.closed) return;
    const payload = typeof frame === "string" ? utf8.encode(frame) : frame;
    if (payload.length >= 1 << 24) return; // not expressible as a frame
    this.#write(encodeFrame(RAWSOCKET_FRAME_MESSAGE, payload));
  }
  get buffered(): number {
    return this.#socket.writableLength;
  }
  protected shutdown(): void {
    this.#socket.end();
  }
  protected destroy(): void {
    this.#socket.destroy();
  }
}

const RAW_IDS: Record<string, number> = { json: 1, msgpack: 2, cbor: 3 };

/** Opens a connection (WebSocket: `wamp.2.<serializer>`; RawSocket: handshake done). */
export function openLiveConn(
  transport: Transport,
  target: { wsUrl: string; rawSocketPort: number },
  ser: Serializer,
  events: ConnEvents,
  timeoutMs = 5_000,
): Promise<LiveConn> {
  return new Promise<LiveConn>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => done(new Error(`${transport} open timed out`)), timeoutMs);
    const done = (err: Error | undefined, conn?: LiveConn) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(conn!);
    };
    if (transport === "websocket") {
      let ws: WebSocket;
      try {
        ws = new WebSocket(target.wsUrl, [`wamp.2.${ser.name}`]);
      } catch (e) {
        return done(e instanceof Error ? e : new Error(String(e)));
      }
      ws.binaryType = "arraybuffer";
      const conn = new WsLiveConn(ws, ser, events);
      ws.addEventListener("open", () => done(undefined, conn));
      ws.addEventListener("error", () => done(new Error("WebSocket error")));
      ws.addEventListener("close", () => done(new Error("WebSocket closed before open")));
      return;
    }
    const socket = connect({ host: "127.0.0.1", port: target.rawSocketPort });
    socket.setNoDelay(true);
    const proto = new RawSocketClientProtocol({ serializerId: RAW_IDS[ser.name]!, maxLength: 16 * 1024 * 1024 });
    const conn = new RawLiveConn(socket, proto, ser, events, (ok) =>
      done(ok ? undefined : new Error("RawSocket handshake failed"), conn)
    );
    socket.once("connect", () => socket.write(clientHandshake(RAW_IDS[ser.name]!, 15)));
    socket.once("error", (e) => done(e));
  });
}
