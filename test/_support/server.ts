/**
 * Starts a real Junction router on loopback with the adapter of the runtime the test runs on,
 * on ephemeral ports.
 * @module
 */
import { Router } from "../../src/router/router.ts";
import type { RouterOptions } from "../../src/router/options.ts";
import type { RunningServer, Serve } from "../../adapters/_shared/serve_options.ts";
import { runtime } from "./harness.ts";

export interface TestServer {
  readonly router: Router;
  readonly server: RunningServer;
  /** ws://127.0.0.1:PORT/ws */
  readonly url: string;
  readonly rawSocketPort: number;
  stop(): Promise<void>;
}

async function loadServe(): Promise<Serve> {
  // Literal specifiers so every runtime (and bundlers) can see the import statically.
  if (runtime === "bun") return (await import("../../adapters/bun/serve.ts")).serve;
  if (runtime === "deno") return (await import("../../adapters/deno/serve.ts")).serve;
  return (await import("../../adapters/node/serve.ts")).serve;
}

export async function startServer(options: RouterOptions = {}): Promise<TestServer> {
  const serve = await loadServe();
  const router = new Router({ realms: [{ name: "realm1" }], ...options });
  const server = await serve(router, { host: "127.0.0.1", port: 0, rawSocketPort: 0 });
  return {
    router,
    server,
    url: `ws://127.0.0.1:${server.port}/ws`,
    rawSocketPort: server.rawSocketPort!,
    async stop() {
      await router.shutdown(200);
      await server.close();
    },
  };
}
