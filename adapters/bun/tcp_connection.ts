/**
 * Bun TCP socket handlers that present each accepted socket to the core as a ByteConnection.
 * Bun's `socket.write` is unbuffered and may take only part of a chunk; the rest waits in a
 * ChunkQueue and is flushed on `drain`, so no byte is lost and order is kept.
 * @module
 */
import type { Acceptor, ByteConnection, SendResult } from "../../src/platform/transport.ts";
import { DrainSignal } from "../_shared/backpressure.ts";
import { ChunkQueue } from "../_shared/chunk_queue.ts";
import { toUint8Array } from "../_shared/bytes.ts";
import type { Closable, ConnectionTracker } from "../_shared/connection_tracker.ts";
import { GuardedSink } from "../_shared/sink_guard.ts";
import { CLOSE_FLUSH_MS, HALF_CLOSE_LINGER_MS } from "../_shared/timing.ts";
import type { BunSocket, BunSocketHandler } from "./bun_api.ts";

export interface TcpData {
  live?: TcpState;
}

class TcpState {
  readonly queue = new ChunkQueue();
  readonly drain = new DrainSignal();
  readonly socket: BunSocket<TcpData>;
  readonly tracker: ConnectionTracker;
  readonly handle: Closable;
  sink!: GuardedSink;
  ending = false;
  peerEnded = false;
  gone = false;
  linger: ReturnType<typeof setTimeout> | undefined;

  constructor(socket: BunSocket<TcpData>, tracker: ConnectionTracker) {
    this.socket = socket;
    this.tracker = tracker;
    this.handle = { close: () => this.close(), abort: () => socket.terminate() };
    tracker.add(this.handle);
  }

  // The `as Uint8Array<ArrayBuffer>` casts below: the core's chunks are views over plain
  // ArrayBuffers, never shared memory, which is all Bun's write accepts.

  /** Writes queued bytes until Bun takes less than offered; true when the queue is empty. */
  flush(): boolean {
    for (let chunk = this.queue.peek(); chunk !== undefined; chunk = this.queue.peek()) {
      const n = this.socket.write(chunk as Uint8Array<ArrayBuffer>);
      if (n < 0) {
        this.queue.clear();
        return true;
      }
      this.queue.consume(n);
      if (n < chunk.byteLength) return false;
    }
    return true;
  }

  write(chunk: Uint8Array): SendResult {
    if (this.ending || this.gone) return "closed";
    if (this.queue.isEmpty) {
      const n = this.socket.write(chunk as Uint8Array<ArrayBuffer>);
      if (n < 0) return "closed";
      if (n < chunk.byteLength) this.queue.push(chunk.subarray(n));
    } else {
      this.queue.push(chunk);
    }
    return this.drain.afterSend(this.queue.size);
  }

  close(): void {
    if (this.ending || this.gone) return;
    this.ending = true;
    if (this.queue.isEmpty) return this.end();
    // A peer that does not read would keep the queue (and the socket) forever.
    this.linger = setTimeout(() => this.socket.terminate(), CLOSE_FLUSH_MS);
    this.linger.unref();
  }

  end(): void {
    clearTimeout(this.linger);
    this.socket.end();
    if (this.peerEnded) return; // both FINs are out: Bun closes the socket by itself
    this.linger = setTimeout(() => this.socket.terminate(), HALF_CLOSE_LINGER_MS);
    this.linger.unref();
  }

  onDrain(): void {
    if (!this.flush()) return;
    if (this.ending) this.end();
    else if (this.drain.eased(this.queue.size)) this.sink.drain();
  }

  /** Peer FIN: the session is over, but what we queued still goes out before our FIN. */
  onPeerEnd(): void {
    this.peerEnded = true;
    this.sink.closed();
    if (this.ending || this.gone) return;
    this.ending = true;
    if (this.queue.isEmpty) this.end();
  }

  onGone(): void {
    if (this.gone) return;
    this.gone = true;
    clearTimeout(this.linger);
    this.queue.clear();
    this.tracker.delete(this.handle);
    this.sink.closed();
  }
}

export function tcpHandler(
  acceptor: Acceptor,
  tracker: ConnectionTracker,
): BunSocketHandler<TcpData> {
  const gone = (socket: BunSocket<TcpData>): void => socket.data?.live?.onGone();
  return {
    open(socket) {
      socket.setNoDelay(true);
      const state = new TcpState(socket, tracker);
      const conn: ByteConnection = {
        info: { kind: "rawsocket", remoteAddress: socket.remoteAddress, remotePort: socket.remotePort },
        write: (chunk) => state.write(chunk),
        close: () => state.close(),
      };
      socket.data = { live: state };
      state.sink = new GuardedSink(acceptor.acceptBytes(conn));
    },
    data(socket, data) {
      socket.data?.live?.sink.message(toUint8Array(data));
    },
    drain(socket) {
      socket.data?.live?.onDrain();
    },
    end(socket) {
      socket.data?.live?.onPeerEnd();
    },
    close: gone,
    error: gone,
  };
}
