/**
 * Presents an accepted Deno TCP connection to the core as a ByteConnection. Deno's
 * `conn.write` is async and may write part of a chunk, so writes go through an ordered
 * ChunkQueue drained by a single pump.
 * @module
 */
import type { Acceptor, ByteConnection, SendResult } from "../../src/platform/transport.ts";
import { DrainSignal } from "../_shared/backpressure.ts";
import { ChunkQueue } from "../_shared/chunk_queue.ts";
import type { Closable, ConnectionTracker } from "../_shared/connection_tracker.ts";
import { GuardedSink } from "../_shared/sink_guard.ts";
import { CLOSE_FLUSH_MS, HALF_CLOSE_LINGER_MS } from "../_shared/timing.ts";
import type { DenoTcpConn } from "./deno_api.ts";

const READ_BUFFER_BYTES = 64 * 1024;

export function attachTcp(conn: DenoTcpConn, acceptor: Acceptor, tracker: ConnectionTracker): void {
  try {
    conn.setNoDelay(true);
  } catch {
    // The peer may already be gone; the read loop will notice.
  }
  const queue = new ChunkQueue();
  const drain = new DrainSignal();
  let pumping = false;
  let ending = false; // close() called or peer sent FIN: no new writes
  let peerEnded = false;
  let gone = false;
  // Not unref'd: destroy() clears it, and server.close() aborts (destroys) every connection.
  let linger: ReturnType<typeof setTimeout> | undefined;

  const destroy = (): void => {
    if (gone) return;
    gone = true;
    clearTimeout(linger);
    queue.clear();
    try {
      conn.close();
    } catch {
      // Already closed.
    }
    tracker.delete(handle);
    sink.closed();
  };

  /** After our last byte: FIN, then wait (bounded) for the peer's FIN before closing. */
  const finish = (): void => {
    if (gone) return;
    if (peerEnded) return destroy();
    try {
      void conn.closeWrite().catch(destroy);
    } catch {
      return destroy();
    }
    clearTimeout(linger);
    linger = setTimeout(destroy, HALF_CLOSE_LINGER_MS);
  };

  const pump = async (): Promise<void> => {
    pumping = true;
    try {
      for (let chunk = queue.peek(); chunk !== undefined && !gone; chunk = queue.peek()) {
        queue.consume(await conn.write(chunk));
        if (!ending && drain.eased(queue.size)) sink.drain();
      }
    } catch {
      destroy();
    } finally {
      pumping = false;
    }
    if (ending) finish();
  };

  const byteConn: ByteConnection = {
    info: { kind: "rawsocket", remoteAddress: conn.remoteAddr.hostname, remotePort: conn.remoteAddr.port },
    write(chunk: Uint8Array): SendResult {
      if (ending || gone) return "closed";
      queue.push(chunk);
      if (!pumping) void pump();
      return drain.afterSend(queue.size);
    },
    close(): void {
      if (ending || gone) return;
      ending = true;
      if (!pumping) return finish();
      // A peer that does not read would keep the pump (and the socket) waiting forever.
      linger = setTimeout(destroy, CLOSE_FLUSH_MS);
    },
  };
  const handle: Closable = { close: () => byteConn.close(), abort: destroy };
  tracker.add(handle);
  const sink = new GuardedSink(acceptor.acceptBytes(byteConn));

  void (async () => {
    const buf = new Uint8Array(READ_BUFFER_BYTES);
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        // Copy: buf is reused by the next read, and the core may keep the chunk.
        sink.message(buf.slice(0, n));
      }
    } catch {
      return destroy();
    }
    // Peer FIN ends the session, as on Node and Bun; flush what is queued, then close.
    peerEnded = true;
    sink.closed();
    if (gone) return;
    ending = true;
    if (!pumping) finish();
  })();
}
