/**
 * Upgrades a Deno request to a WebSocket and presents it to the core as a MessageConnection.
 * @module
 */
import type { Acceptor, MessageConnection, SendResult } from "../../src/platform/transport.ts";
import { DrainSignal } from "../_shared/backpressure.ts";
import { toUint8Array, utf8ByteLength } from "../_shared/bytes.ts";
import { sendableCloseCode, sendableCloseReason } from "../_shared/close_frame.ts";
import type { Closable, ConnectionTracker } from "../_shared/connection_tracker.ts";
import { GuardedSink } from "../_shared/sink_guard.ts";
import type { DenoApi, DenoNetAddr } from "./deno_api.ts";

/** Deno's WebSocket has no drain event, so a backpressured socket polls bufferedAmount. */
const DRAIN_POLL_MS = 10;

export interface WsContext {
  readonly deno: DenoApi;
  readonly acceptor: Acceptor;
  readonly tracker: ConnectionTracker;
  readonly maxMessageSize: number;
}

export function upgradeWebSocket(
  req: Request,
  remote: DenoNetAddr,
  protocol: string,
  ctx: WsContext,
): Response {
  // Not `{ protocol }`: Deno checks it against the offer split on exactly ", ", so a client
  // that sends "a,b" or extra spaces is refused. The core already chose; answer with that.
  const { socket, response } = ctx.deno.upgradeWebSocket(req);
  response.headers.set("sec-websocket-protocol", protocol);
  socket.binaryType = "arraybuffer";
  const drain = new DrainSignal();
  let sink: GuardedSink | undefined;
  let pollTimer: ReturnType<typeof setTimeout> | undefined;

  const pollDrain = (): void => {
    pollTimer = undefined;
    if (socket.readyState !== WebSocket.OPEN) return;
    if (drain.eased(socket.bufferedAmount)) sink?.drain();
    else if (drain.pending) pollTimer = setTimeout(pollDrain, DRAIN_POLL_MS);
  };

  const conn: MessageConnection = {
    info: { kind: "websocket", remoteAddress: remote.hostname, remotePort: remote.port },
    protocol,
    send(frame: Uint8Array | string): SendResult {
      if (socket.readyState !== WebSocket.OPEN) return "closed";
      try {
        // Deno's send takes BufferSource; a view over a SharedArrayBuffer would be rejected,
        // which the core never produces.
        socket.send(frame as string | Uint8Array<ArrayBuffer>);
      } catch {
        return "closed";
      }
      const result = drain.afterSend(socket.bufferedAmount);
      if (result === "backpressure" && pollTimer === undefined) {
        pollTimer = setTimeout(pollDrain, DRAIN_POLL_MS);
      }
      return result;
    },
    close(code?: number, reason?: string): void {
      try {
        socket.close(sendableCloseCode(code), sendableCloseReason(reason));
      } catch {
        // Already closing or closed: close() is idempotent for the core.
      }
    },
  };
  const handle: Closable = {
    close: () => conn.close(1001, "server shutting down"),
    // Deno exposes no abort for server sockets; a second close() is the strongest we have.
    abort: () => conn.close(1001, "server shutting down"),
  };

  socket.onopen = () => {
    ctx.tracker.add(handle);
    sink = new GuardedSink(ctx.acceptor.acceptMessages(conn));
  };
  socket.onmessage = (ev: MessageEvent<string | ArrayBuffer>) => {
    // After our 1009 close Deno may still deliver frames that were already read.
    if (!sink || socket.readyState !== WebSocket.OPEN) return;
    // Deno has no inbound size limit of its own to configure (fastwebsockets allows 64 MiB).
    if (tooBig(ev.data, ctx.maxMessageSize)) {
      conn.close(1009, "message too big");
      return;
    }
    sink.message(typeof ev.data === "string" ? ev.data : toUint8Array(ev.data));
  };
  socket.onerror = () => {}; // 'close' always follows
  socket.onclose = () => {
    if (pollTimer !== undefined) clearTimeout(pollTimer);
    ctx.tracker.delete(handle);
    sink?.closed();
  };
  return response;
}

function tooBig(data: string | ArrayBuffer, max: number): boolean {
  if (typeof data !== "string") return data.byteLength > max;
  // A UTF-16 unit is 1..3 UTF-8 bytes, so only the middle band needs counting.
  if (data.length > max) return true;
  if (data.length * 3 <= max) return false;
  return utf8ByteLength(data) > max;
}
