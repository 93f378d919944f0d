/**
 * Bun adapter: `Bun.serve` for WebSocket (and the HTTP `fetch` fallback), `Bun.listen` for
 * RawSocket. Everything protocol-related happens in the core behind the Acceptor.
 * @module
 */
import type { Acceptor } from "../../src/platform/transport.ts";
import { ConnectionTracker } from "../_shared/connection_tracker.ts";
import { callFetch, isWebSocketUpgrade } from "../_shared/http.ts";
import { resolveServeOptions, type ResolvedServeOptions } from "../_shared/resolve_options.ts";
import type { RunningServer, ServeOptions } from "../_shared/serve_options.ts";
import { negotiateSubprotocol, refusalResponse, upgradeFailedResponse } from "../_shared/subprotocol.ts";
import { CLOSE_GRACE_MS } from "../_shared/timing.ts";
import { bunApi, type BunServer, type BunTcpListener } from "./bun_api.ts";
import { tcpHandler, type TcpData } from "./tcp_connection.ts";
import { webSocketHandler, type WsData } from "./ws_connection.ts";

export async function serve(acceptor: Acceptor, options: ServeOptions = {}): Promise<RunningServer> {
  const opts = resolveServeOptions(options);
  const tracker = new ConnectionTracker();
  const bun = bunApi<WsData, TcpData>();
  const server = bun.serve({
    hostname: opts.host,
    port: opts.port,
    fetch: (req, srv) => route(req, srv, acceptor, opts),
    websocket: webSocketHandler(acceptor, tracker, opts.maxMessageSize),
  });
  let listener: BunTcpListener | null = null;
  if (opts.rawSocketPort !== null) {
    try {
      listener = bun.listen({
        hostname: opts.rawSocketHost,
        port: opts.rawSocketPort,
        // Without it Bun may share the port with another listener instead of failing to bind.
        exclusive: true,
        // Otherwise Bun closes both directions on the peer's FIN and drops bytes we still
        // have queued; Node and Deno flush them first, and so do we.
        allowHalfOpen: true,
        socket: tcpHandler(acceptor, tracker),
      });
    } catch (err) {
      await server.stop(true);
      throw err;
    }
  }

  let closing: Promise<void> | undefined;
  return {
    host: opts.host,
    port: server.port ?? opts.port,
    rawSocketPort: listener?.port ?? null,
    close(): Promise<void> {
      closing ??= (async () => {
        // stop(false) only stops accepting; the open sockets get their graceful close first.
        void server.stop(false);
        listener?.stop(false);
        await tracker.closeAll(CLOSE_GRACE_MS);
        listener?.stop(true);
        await server.stop(true);
      })();
      return closing;
    },
  };
}

function route(
  req: Request,
  server: BunServer<WsData>,
  acceptor: Acceptor,
  opts: ResolvedServeOptions,
): Response | Promise<Response> | undefined {
  if (!isWebSocketUpgrade(opts.path, req.url, req.headers.get("upgrade"))) {
    return callFetch(opts.fetch, req);
  }
  const n = negotiateSubprotocol(acceptor, req.headers.get("sec-websocket-protocol"));
  if (!n.ok) return refusalResponse(n.offered);
  const ip = server.requestIP(req);
  const upgraded = server.upgrade(req, {
    headers: { "Sec-WebSocket-Protocol": n.protocol },
    data: { protocol: n.protocol, remoteAddress: ip?.address, remotePort: ip?.port },
  });
  return upgraded ? undefined : upgradeFailedResponse();
}
