/**
 * An in-memory WAMP client wired straight to a Router's Acceptor: no sockets, no timers, so
 * unit tests see every outbound message synchronously.
 * @module
 */
import type { Router } from "../../src/router/router.ts";
import type { ConnectionSink, MessageConnection } from "../../src/platform/transport.ts";
import { serializerForSubprotocol } from "../../src/serializer/registry.ts";
import type { Serializer } from "../../src/serializer/types.ts";
import { splitBatch, wrapBatch } from "../../src/serializer/batched.ts";

export const ALL_ROLES = { publisher: {}, subscriber: {}, caller: {}, callee: {} };

export class MemoryClient {
  readonly inbox: unknown[][] = [];
  closed = false;
  closeCode: number | undefined;
  readonly serializer: Serializer;
  readonly batched: boolean;
  readonly #sink: ConnectionSink;
  #nextRequest = 1;
  sessionId = 0;

  /** While true, the fake transport reports backpressure (messages are still delivered). */
  backpressure = false;
  /** Pings the router sent (when constructed with `{ ping: true }`). */
  pings = 0;

  constructor(router: Router, protocol = "wamp.2.json", options: { ping?: boolean } = {}) {
    const ser = serializerForSubprotocol(protocol);
    if (!ser) throw new Error(`no serializer for ${protocol}`);
    this.serializer = ser;
    this.batched = protocol.endsWith(".batched");
    const conn: MessageConnection = {
      info: { kind: "local" },
      protocol,
      send: (frame) => {
        if (this.closed) return "closed";
        if (!this.batched) {
          this.inbox.push(ser.decode(frame) as unknown[]);
          return this.backpressure ? "backpressure" : "ok";
        }
        const parts = splitBatch(ser.binary, frame);
        if (typeof parts === "string") throw new Error(`router sent a bad batch: ${parts}`);
        for (const p of parts) this.inbox.push(ser.decode(p) as unknown[]);
        return this.backpressure ? "backpressure" : "ok";
      },
      close: (code) => {
        if (this.closed) return;
        this.closed = true;
        this.closeCode = code;
        // A real transport reports its own closing to the sink.
        queueMicrotask(() => this.#sink.closed());
      },
    };
    if (options.ping) conn.ping = () => void this.pings++;
    this.#sink = router.acceptMessages(conn);
  }

  /** Sends a message as the wire would carry it (encoded, then decoded by the router). */
  send(message: readonly unknown[]): void {
    const frame = this.serializer.encode(message);
    this.#sink.message(this.batched ? wrapBatch(frame) : frame);
  }

  /** Sends a raw frame. */
  sendFrame(frame: Uint8Array | string): void {
    this.#sink.message(frame);
  }

  /** The fake transport's buffer drained. */
  drain(): void {
    this.backpressure = false;
    this.#sink.drain?.();
  }

  /** Answers a ping. */
  pong(): void {
    this.#sink.pong?.();
  }

  /** Drops the transport from the client side. */
  drop(): void {
    this.closed = true;
    this.#sink.closed();
  }

  nextRequestId(): number {
    return this.#nextRequest++;
  }

  /** Removes and returns the oldest message received; throws when there is none. */
  take(): unknown[] {
    const m = this.inbox.shift();
    if (!m) throw new Error("no message received");
    return m;
  }

  hello(realm = "realm1", details: Record<string, unknown> = { roles: ALL_ROLES }): unknown[] {
    this.send([1, realm, details]);
    const reply = this.take();
    if (reply[0] === 2) this.sessionId = reply[1] as number;
    return reply;
  }

  /** Sends a request with the next request id and returns the id. */
  request(code: number, ...rest: unknown[]): number {
    const id = this.nextRequestId();
    this.send([code, id, ...rest]);
    return id;
  }
}
