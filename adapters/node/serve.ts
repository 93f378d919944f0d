/**
 * Node adapter: `node:http` + `ws` for WebSocket (and the HTTP `fetch` fallback), `node:net` for
 * RawSocket. Everything protocol-related happens in the core behind the Acceptor.
 * @module
 */
import { createServer as createHttpServer, type IncomingMessage } from "node:http";
import { createServer as createTcpServer } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import type { Acceptor } from "../../src/platform/transport.ts";
import { ConnectionTracker } from "../_shared/connection_tracker.ts";
import { callFetch, isWebSocketUpgrade } from "../_shared/http.ts";
import { resolveServeOptions, type ResolvedServeOptions } from "../_shared/resolve_options.ts";
import { SendBatch } from "../_shared/send_batch.ts";
import type { RunningServer, ServeOptions } from "../_shared/serve_options.ts";
import { negotiateSubprotocol, refusalResponse } from "../_shared/subprotocol.ts";
import { CLOSE_GRACE_MS } from "../_shared/timing.ts";
import { toRequest, writeRawResponse, writeResponse } from "./http_bridge.ts";
import { listen, stopListening } from "./listen.ts";
import { attachTcp } from "./tcp_connection.ts";
import { attachWebSocket } from "./ws_connection.ts";

export async function serve(acceptor: Acceptor, options: ServeOptions = {}): Promise<RunningServer> {
  const opts = resolveServeOptions(options);
  const tracker = new ConnectionTracker();
  const http = createHttpServer((req, res) => {
    void toRequest(req, opts.host)
      .then((request) => callFetch(opts.fetch, request))
      .then((response) => writeResponse(res, response, req.method))
      .catch(() => res.destroy());
  });
  const upgrade = webSocketUpgrader(acceptor, opts, tracker);
  http.on("upgrade", upgrade.handle);

  const tcp = opts.rawSocketPort === null
    ? null
    : createTcpServer({ noDelay: true }, (socket) => attachTcp(socket, acceptor, tracker));

  const port = await listen(http, opts.port, opts.host);
  let rawSocketPort: number | null = null;
  if (tcp !== null) {
    try {
      rawSocketPort = await listen(tcp, opts.rawSocketPort ?? 0, opts.rawSocketHost);
    } catch (err) {
      await stopListening(http);
      throw err;
    }
  }

  let closing: Promise<void> | undefined;
  return {
    host: opts.host,
    port,
    rawSocketPort,
    close(): Promise<void> {
      closing ??= (async () => {
        const stopped = Promise.all([stopListening(http), tcp ? stopListening(tcp) : undefined]);
        upgrade.stop();
        await tracker.closeAll(CLOSE_GRACE_MS);
        http.closeAllConnections();
        await stopped;
      })();
      return closing;
    },
  };
}

function webSocketUpgrader(
  acceptor: Acceptor,
  opts: ResolvedServeOptions,
  tracker: ConnectionTracker,
): { handle: (req: IncomingMessage, socket: Duplex, head: Buffer) => void; stop(): void } {
  // ws asks `handleProtocols` which protocol to answer with; we decided before handleUpgrade.
  const chosen = new WeakMap<IncomingMessage, string>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: opts.maxMessageSize,
    perMessageDeflate: false,
    clientTracking: false,
    handleProtocols: (_offered, req) => chosen.get(req) ?? false,
  });
  let stopped = false;
  const batch = new SendBatch();
  const handle = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (stopped) {
      socket.destroy();
      return;
    }
    if (!isWebSocketUpgrade(opts.path, req.url ?? "/", req.headers.upgrade)) {
      void toRequest(req, opts.host)
        .then((request) => callFetch(opts.fetch, request))
        .then((response) => writeRawResponse(socket, response))
        .catch(() => socket.destroy());
      return;
    }
    const n = negotiateSubprotocol(acceptor, req.headers["sec-websocket-protocol"]);
    if (!n.ok) {
      void writeRawResponse(socket, refusalResponse(n.offered));
      return;
    }
    chosen.set(req, n.protocol);
    wss.handleUpgrade(req, socket, head, (ws) => {
      attachWebSocket(ws, req, n.protocol, acceptor, tracker, batch);
    });
  };
  return {
    handle,
    stop: () => {
      stopped = true;
      wss.close();
    },
  };
}
