/**
 * A real Junction router on loopback, like `startServer` in server.ts, that also takes the
 * adapter's own options: `startServer` cannot set `ServeOptions.maxMessageSize` (the WebSocket
 * message limit lives in the adapter, not in the router).
 * @module
 */
import { Router } from "../../src/router/router.ts";
import type { RouterOptions } from "../../src/router/options.ts";
import type { Serve, ServeOptions } from "../../adapters/_shared/serve_options.ts";
import { runtime } from "./harness.ts";
import type { TestServer } from "./server.ts";

async function loadServe(): Promise<Serve> {
  if (runtime === "bun") return (await import("../../adapters/bun/serve.ts")).serve;
  if (runtime === "deno") return (await import("../../adapters/deno/serve.ts")).serve;
  return (await import("../../adapters/node/serve.ts")).serve;
}

/** Adapter options a test may set; host and ports are always loopback and ephemeral. */
export type TestServeOptions = Pick<ServeOptions, "maxMessageSize" | "path">;

export async function startServerWith(options: RouterOptions = {}, serveOptions: TestServeOptions = {}): Promise<TestServer> {
  const serve = await loadServe();
  const router = new Router({ realms: [{ name: "realm1" }], ...options });
  const server = await serve(router, { ...serveOptions, host: "127.0.0.1", port: 0, rawSocketPort: 0 });
  return {
    router,
    server,
    url: `ws://127.0.0.1:${server.port}${serveOptions.path ?? "/ws"}`,
    rawSocketPort: server.rawSocketPort!,
    async stop() {
      await router.shutdown(200);
      await server.close();
    },
  };
}
