/**
 * Deno adapter: `Deno.serve` + `Deno.upgradeWebSocket` for WebSocket (and the HTTP `fetch`
 * fallback), `Deno.listen` for RawSocket. Everything protocol-related happens in the core.
 * @module
 */
import type { Acceptor } from "../../src/platform/transport.ts";
import { ConnectionTracker } from "../_shared/connection_tracker.ts";
import { callFetch, isWebSocketUpgrade } from "../_shared/http.ts";
import { resolveServeOptions, type ResolvedServeOptions } from "../_shared/resolve_options.ts";
import type { RunningServer, ServeOptions } from "../_shared/serve_options.ts";
import { negotiateSubprotocol, refusalResponse, upgradeFailedResponse } from "../_shared/subprotocol.ts";
import { CLOSE_GRACE_MS } from "../_shared/timing.ts";
import { denoApi, type DenoNetAddr, type DenoTcpListener } from "./deno_api.ts";
import { attachTcp } from "./tcp_connection.ts";
import { upgradeWebSocket, type WsContext } from "./ws_connection.ts";

export async function serve(acceptor: Acceptor, options: ServeOptions = {}): Promise<RunningServer> {
  const opts = resolveServeOptions(options);
  const tracker = new ConnectionTracker();
  const deno = denoApi();
  const ctx: WsContext = { deno, acceptor, tracker, maxMessageSize: opts.maxMessageSize };
  const http = deno.serve(
    { hostname: opts.host, port: opts.port, onListen() {} },
    (req, info) => route(req, info.remoteAddr, opts, ctx),
  );
  let closing: Promise<void> | undefined;
  let listener: DenoTcpListener | null = null;
  if (opts.rawSocketPort !== null) {
    try {
      listener = deno.listen({ hostname: opts.rawSocketHost, port: opts.rawSocketPort, transport: "tcp" });
    } catch (err) {
      await http.shutdown();
      throw err;
    }
    void acceptLoop(listener, acceptor, tracker, () => closing !== undefined);
  }

  return {
    host: opts.host,
    port: http.addr.port,
    rawSocketPort: listener?.addr.port ?? null,
    close(): Promise<void> {
      closing ??= (async () => {
        try {
          listener?.close();
        } catch {
          // Already closed.
        }
        const stopped = http.shutdown();
        await tracker.closeAll(CLOSE_GRACE_MS);
        await stopped;
      })();
      return closing;
    },
  };
}

async function acceptLoop(
  listener: DenoTcpListener,
  acceptor: Acceptor,
  tracker: ConnectionTracker,
  stopped: () => boolean,
): Promise<void> {
  while (!stopped()) {
    try {
      attachTcp(await listener.accept(), acceptor, tracker);
    } catch {
      // After listener.close() this is BadResource and the loop ends. Anything else (say,
      // EMFILE) must not stop RawSocket for good, as `for await` over the listener would.
      if (!stopped()) await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function route(
  req: Request,
  remote: DenoNetAddr,
  opts: ResolvedServeOptions,
  ctx: WsContext,
): Response | Promise<Response> {
  if (!isWebSocketUpgrade(opts.path, req.url, req.headers.get("upgrade"))) {
    return callFetch(opts.fetch, req);
  }
  const n = negotiateSubprotocol(ctx.acceptor, req.headers.get("sec-websocket-protocol"));
  if (!n.ok) return refusalResponse(n.offered);
  try {
    return upgradeWebSocket(req, remote, n.protocol, ctx);
  } catch {
    // upgradeWebSocket throws on a malformed handshake (e.g. no Sec-WebSocket-Key).
    return upgradeFailedResponse();
  }
}
