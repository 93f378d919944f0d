/**
 * Bun `ServerWebSocket` handlers that present each socket to the core as a MessageConnection.
 * @module
 */
import type { Acceptor, MessageConnection, SendResult } from "../../src/platform/transport.ts";
import { DrainSignal } from "../_shared/backpressure.ts";
import { toUint8Array } from "../_shared/bytes.ts";
import { sendableCloseCode, sendableCloseReason } from "../_shared/close_frame.ts";
import type { Closable, ConnectionTracker } from "../_shared/connection_tracker.ts";
import { GuardedSink } from "../_shared/sink_guard.ts";
import type { BunServerWebSocket, BunWebSocketHandler } from "./bun_api.ts";
import { BATCH_BYTES, type Flushable, SendBatch } from "../_shared/send_batch.ts";

/** Set by `server.upgrade(req, { data })`; `live` is filled in when the socket opens. */
export interface WsData {
  readonly protocol: string;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  live?: { sink: GuardedSink; conn: BatchedConnection; handle: Closable };
}

const OPEN = 1;

export function webSocketHandler(
  acceptor: Acceptor,
  tracker: ConnectionTracker,
  maxMessageSize: number,
): BunWebSocketHandler<WsData> {
  const batch = new SendBatch();
  return {
    maxPayloadLength: maxMessageSize,
    // Past backpressureLimit uWS silently drops sends (returns 0); 0 disables the limit, so no
    // frame is ever lost and the core's reaction to "backpressure" is the only limit.
    backpressureLimit: 0,
    closeOnBackpressureLimit: false,
    perMessageDeflate: false,
    open(ws) {
      ws.binaryType = "uint8array";
      const conn = new BatchedConnection(ws, batch);
      const handle: Closable = {
        close: () => conn.close(1001, "server shutting down"),
        abort: () => conn.abort(),
      };
      tracker.add(handle);
      ws.data.live = { sink: new GuardedSink(acceptor.acceptMessages(conn)), conn, handle };
    },
    message(ws, message) {
      const live = ws.data.live;
      if (!live) return;
      live.sink.message(typeof message === "string" ? message : toUint8Array(message));
    },
    pong(ws) {
      ws.data.live?.sink.pong();
    },
    drain(ws) {
      const live = ws.data.live;
      if (live?.conn.drained()) live.sink.drain();
    },
    close(ws) {
      const live = ws.data.live;
      if (!live) return;
      live.conn.gone();
      tracker.delete(live.handle);
      live.sink.closed();
    },
  };
}

/**
 * A socket whose frames wait in a queue until the end of the event-loop turn (send_batch.ts),
 * or until BATCH_BYTES are waiting. `send` answers from what the last flush found: "closed" once
 * a write was dropped or the socket closed, "backpressure" from a flush that left more than the
 * shared threshold buffered until Bun's `drain`. So a frame that waits is reported by the send
 * after its flush, with at most BATCH_BYTES of difference from writing each frame at once.
 */
export class BatchedConnection implements MessageConnection, Flushable {
  readonly info;
  readonly protocol: string;
  readonly #ws: BunServerWebSocket<WsData>;
  readonly #batch: SendBatch;
  readonly #drain = new DrainSignal();
  readonly #queue: (Uint8Array | string)[] = [];
  #queuedBytes = 0;
  #closed = false;
  #result: SendResult = "ok";
  /** Made once: `cork` takes a callback, and a new closure per flush would be garbage. */
  readonly #writeQueue = (): number => this.#writeAll();

  constructor(ws: BunServerWebSocket<WsData>, batch: SendBatch) {
    this.#ws = ws;
    this.#batch = batch;
    this.info = { kind: "websocket" as const, remoteAddress: ws.data.remoteAddress, remotePort: ws.data.remotePort };
    this.protocol = ws.data.protocol;
  }

  send(frame: Uint8Array | string): SendResult {
    if (this.#closed) return "closed";
    // A string's length stands in for its UTF-8 size: this only decides when to flush early.
    this.#queuedBytes += typeof frame === "string" ? frame.length : frame.byteLength;
    this.#queue.push(frame);
    if (this.#queuedBytes >= BATCH_BYTES) this.flush();
    else if (this.#queue.length === 1) this.#batch.add(this);
    return this.#closed ? "closed" : this.#result;
  }

  flush(): void {
    const n = this.#queue.length;
    if (n === 0 || this.#closed) return this.#clear();
    const ws = this.#ws;
    // One frame needs no cork, and its status says whether bytes were left buffered; under a
    // cork every send reports success and the write happens when the cork ends.
    const status = n === 1 ? this.#writeOne(this.#queue[0]!) : ws.cork(this.#writeQueue);
    this.#clear();
    if (status === 0) {
      this.#closed = true;
      return;
    }
    this.#result = this.#drain.afterSend(status === -1 || n > 1 ? ws.getBufferedAmount() : 0);
  }

  /** The socket's buffer fell (Bun's `drain`): true once when reported backpressure eased. */
  drained(): boolean {
    if (!this.#drain.eased(this.#ws.getBufferedAmount())) return false;
    this.#result = "ok";
    return true;
  }

  /** The socket closed: frames still waiting have nowhere to go. */
  gone(): void {
    this.#closed = true;
    this.#clear();
  }

  close(code?: number, reason?: string): void {
    // What the core sent last (an ABORT, a GOODBYE) goes out before the close frame.
    this.flush();
    this.#closed = true;
    try {
      this.#ws.close(sendableCloseCode(code), sendableCloseReason(reason));
    } catch {
      this.#ws.terminate();
    }
  }

  abort(): void {
    this.gone();
    this.#ws.terminate();
  }

  ping(): void {
    if (this.#ws.readyState === OPEN) this.#ws.ping();
  }

  #clear(): void {
    this.#queue.length = 0;
    this.#queuedBytes = 0;
  }

  /** 0 when the frame was dropped (a closed socket), -1 when bytes were left buffered, else > 0. */
  #writeOne(frame: Uint8Array | string): number {
    // The core's frames are plain Uint8Arrays over ArrayBuffers; Bun rejects shared memory.
    const status = typeof frame === "string" ? this.#ws.sendText(frame) : this.#ws.sendBinary(frame as Uint8Array<ArrayBuffer>);
    // 0 also answers an empty frame on an open socket, which was sent: readyState, another
    // call into the runtime, is asked only then.
    if (status === 0 && (typeof frame === "string" ? frame.length : frame.byteLength) === 0 && this.#ws.readyState === OPEN) return 1;
    return status;
  }

  /** The queue's frames in order; 0 as soon as one is dropped. */
  #writeAll(): number {
    const queue = this.#queue;
    for (let i = 0; i < queue.length; i++) {
      if (this.#writeOne(queue[i]!) === 0) return 0;
    }
    return 1;
  }
}
