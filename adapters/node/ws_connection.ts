/**
 * Wraps an open `ws` WebSocket as the core's MessageConnection and feeds the core's sink.
 * @module
 */
import type { IncomingMessage } from "node:http";
import { WebSocket, type RawData } from "ws";
import type { Acceptor, MessageConnection, SendResult } from "../../src/platform/transport.ts";
import { DrainSignal } from "../_shared/backpressure.ts";
import { toUint8Array } from "../_shared/bytes.ts";
import { sendableCloseCode, sendableCloseReason } from "../_shared/close_frame.ts";
import type { Closable, ConnectionTracker } from "../_shared/connection_tracker.ts";
import { BATCH_BYTES, type SendBatch } from "../_shared/send_batch.ts";
import { GuardedSink } from "../_shared/sink_guard.ts";

export function attachWebSocket(
  ws: WebSocket,
  req: IncomingMessage,
  protocol: string,
  acceptor: Acceptor,
  tracker: ConnectionTracker,
  batch: SendBatch,
): void {
  const drain = new DrainSignal();
  // The frames of one turn collect in the corked socket and leave in one write at the end of
  // the turn, or once BATCH_BYTES wait (send_batch.ts). ws.bufferedAmount counts them, so
  // backpressure is still judged on every send.
  const socket = req.socket;
  let corked = false;
  const uncork = {
    flush(): void {
      if (!corked) return;
      corked = false;
      socket.uncork();
    },
  };
  const conn: MessageConnection = {
    info: {
      kind: "websocket",
      remoteAddress: req.socket.remoteAddress,
      remotePort: req.socket.remotePort,
    },
    protocol,
    send(frame: Uint8Array | string): SendResult {
      if (ws.readyState !== WebSocket.OPEN) return "closed";
      const size = typeof frame === "string" ? frame.length : frame.byteLength;
      if (size >= BATCH_BYTES) {
        uncork.flush();
      } else if (!corked) {
        corked = true;
        socket.cork();
        batch.add(uncork);
      }
      try {
        ws.send(frame, { binary: typeof frame !== "string" });
      } catch {
        return "closed";
      }
      if (socket.writableLength >= BATCH_BYTES) uncork.flush();
      return drain.afterSend(ws.bufferedAmount);
    },
    close(code?: number, reason?: string): void {
      uncork.flush();
      try {
        ws.close(sendableCloseCode(code), sendableCloseReason(reason));
      } catch {
        ws.terminate();
      }
    },
    // ws sends no pings of its own; the core pings idle transports to find dead peers.
    ping(): void {
      if (ws.readyState !== WebSocket.OPEN) return;
      try {
        ws.ping();
      } catch {
        // closing; the close event follows
      }
    },
  };
  const handle: Closable = {
    close: () => conn.close(1001, "server shutting down"),
    abort: () => ws.terminate(),
  };
  tracker.add(handle);
  const sink = new GuardedSink(acceptor.acceptMessages(conn));

  ws.on("message", (data: RawData, isBinary: boolean) => {
    sink.message(isBinary ? binary(data) : text(data));
  });
  // ws has no drain event of its own; its frames go straight to the TCP socket, so that
  // socket's drain is the moment ws.bufferedAmount falls.
  req.socket.on("drain", () => {
    if (drain.eased(ws.bufferedAmount)) sink.drain();
  });
  ws.on("pong", () => sink.pong());
  // 'error' is always followed by 'close'; the listener only stops an unhandled-error crash.
  ws.on("error", () => {});
  ws.on("close", () => {
    tracker.delete(handle);
    sink.closed();
  });
}

// With the default binaryType "nodebuffer" ws hands one Buffer; the other RawData shapes
// (Buffer[] and ArrayBuffer) only appear with other binaryTypes and are handled for safety.
function binary(data: RawData): Uint8Array {
  return toUint8Array(Array.isArray(data) ? Buffer.concat(data) : data);
}

function text(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.isBuffer(data) ? data.toString("utf8") : new TextDecoder().decode(data);
}
