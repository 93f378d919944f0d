/**
 * Wraps an accepted `node:net` socket as the core's ByteConnection (RawSocket transport).
 * @module
 */
import type { Socket } from "node:net";
import type { Acceptor, ByteConnection, SendResult } from "../../src/platform/transport.ts";
import { DrainSignal } from "../_shared/backpressure.ts";
import { toUint8Array } from "../_shared/bytes.ts";
import type { Closable, ConnectionTracker } from "../_shared/connection_tracker.ts";
import { GuardedSink } from "../_shared/sink_guard.ts";
import { CLOSE_FLUSH_MS, HALF_CLOSE_LINGER_MS } from "../_shared/timing.ts";

export function attachTcp(socket: Socket, acceptor: Acceptor, tracker: ConnectionTracker): void {
  socket.setNoDelay(true);
  const drain = new DrainSignal();
  let ending = false;
  const conn: ByteConnection = {
    info: { kind: "rawsocket", remoteAddress: socket.remoteAddress, remotePort: socket.remotePort },
    write(chunk: Uint8Array): SendResult {
      if (ending || socket.destroyed || !socket.writable) return "closed";
      // Node's socket buffers whatever the kernel does not take, so no byte is lost here.
      socket.write(chunk);
      return drain.afterSend(socket.writableLength);
    },
    close(): void {
      if (ending || socket.destroyed) return;
      ending = true;
      // end() sends FIN only after everything already written is flushed, which a peer that
      // does not read never allows: the flush has a deadline.
      const deadline = setTimeout(() => socket.destroy(), CLOSE_FLUSH_MS).unref();
      socket.end(() => {
        clearTimeout(deadline);
        setTimeout(() => socket.destroy(), HALF_CLOSE_LINGER_MS).unref();
      });
    },
  };
  const handle: Closable = { close: () => conn.close(), abort: () => socket.destroy() };
  tracker.add(handle);
  const sink = new GuardedSink(acceptor.acceptBytes(conn));

  socket.on("data", (data: Buffer) => sink.message(toUint8Array(data)));
  // The peer's FIN ends the RawSocket session; Node then ends our side after flushing.
  socket.on("end", () => sink.closed());
  socket.on("drain", () => {
    if (drain.eased(socket.writableLength)) sink.drain();
  });
  // 'error' is always followed by 'close'; the listener only stops an unhandled-error crash.
  socket.on("error", () => {});
  socket.on("close", () => {
    tracker.delete(handle);
    sink.closed();
  });
}
