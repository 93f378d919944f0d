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

/** Set by `server.upgrade(req, { data })`; `live` is filled in when the socket opens. */
export interface WsData {
  readonly protocol: string;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  live?: { sink: GuardedSink; drain: DrainSignal; handle: Closable };
}

const OPEN = 1;

export function webSocketHandler(
  acceptor: Acceptor,
  tracker: ConnectionTracker,
  maxMessageSize: number,
): BunWebSocketHandler<WsData> {
  return {
    maxPayloadLength: maxMessageSize,
    // Past backpressureLimit uWS silently drops sends (returns 0); 0 disables the limit, so no
    // frame is ever lost and the core's reaction to "backpressure" is the only limit.
    backpressureLimit: 0,
    closeOnBackpressureLimit: false,
    perMessageDeflate: false,
    open(ws) {
      ws.binaryType = "uint8array";
      const drain = new DrainSignal();
      const handle: Closable = {
        close: () => conn.close(1001, "server shutting down"),
        abort: () => ws.terminate(),
      };
      const conn = messageConnection(ws, drain);
      tracker.add(handle);
      ws.data.live = { sink: new GuardedSink(acceptor.acceptMessages(conn)), drain, handle };
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
      if (live?.drain.eased(ws.getBufferedAmount())) live.sink.drain();
    },
    close(ws) {
      const live = ws.data.live;
      if (!live) return;
      tracker.delete(live.handle);
      live.sink.closed();
    },
  };
}

function messageConnection(ws: BunServerWebSocket<WsData>, drain: DrainSignal): MessageConnection {
  return {
    info: {
      kind: "websocket",
      remoteAddress: ws.data.remoteAddress,
      remotePort: ws.data.remotePort,
    },
    protocol: ws.data.protocol,
    send(frame: Uint8Array | string): SendResult {
      // The core's frames are plain Uint8Arrays over ArrayBuffers; Bun rejects shared memory.
      // A closed socket drops the frame and says so (0), without throwing: readyState, another
      // call into the runtime, is asked only then.
      const status = typeof frame === "string"
        ? ws.sendText(frame)
        : ws.sendBinary(frame as Uint8Array<ArrayBuffer>);
      // 0 means dropped, which with no backpressureLimit only happens on a closed socket; an
      // empty frame on an open one also reports 0 although it was sent.
      if (status === 0) {
        const empty = typeof frame === "string" ? frame.length === 0 : frame.byteLength === 0;
        if (!empty || ws.readyState !== OPEN) return "closed";
      }
      // -1 means "some bytes are queued", however few; apply the shared threshold instead.
      return drain.afterSend(status === -1 ? ws.getBufferedAmount() : 0);
    },
    close(code?: number, reason?: string): void {
      try {
        ws.close(sendableCloseCode(code), sendableCloseReason(reason));
      } catch {
        ws.terminate();
      }
    },
    ping(): void {
      if (ws.readyState === OPEN) ws.ping();
    },
  };
}
