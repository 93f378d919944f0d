/**
 * The router under test, as a child process: what `bin/<runtime>.ts` (the CLI) starts with the
 * embedded default configuration, on an ephemeral port, except for the per-session limits
 * (bench/_limits.ts), which the CLI cannot change and a benchmark's single callee or publisher
 * exceeds within a second.
 *
 * Run as a child: `<runtime> bench/router_server.ts`; prints
 * `router listening ws://127.0.0.1:PORT/ws` (the same "listening" + URL the CLI prints at
 * `--log-level info`), stops on SIGTERM, and by itself after an hour at most. Plain HTTP
 * `GET /_bench/memory` forces a GC and returns heap figures (bench/_idle_memory.ts).
 * @module
 */
import process from "node:process";
import type { Serve } from "../adapters/_shared/serve_options.ts";
import { toRouterOptions } from "../src/config/load.ts";
import { defaultConfig } from "../src/config/schema.ts";
import { consoleLogger } from "../src/platform/logger.ts";
import { Router } from "../src/router/router.ts";
import { memoryResponse } from "./_idle_memory.ts";
import { BENCH_LIMITS } from "./_limits.ts";
import { runtime } from "./_runtime.ts";

const MAX_LIFETIME_MS = 60 * 60 * 1000;

async function loadServe(): Promise<Serve> {
  // Literal specifiers, as in test/_support/server.ts, so each runtime loads only its adapter.
  if (runtime === "bun") return (await import("../adapters/bun/serve.ts")).serve;
  if (runtime === "deno") return (await import("../adapters/deno/serve.ts")).serve;
  return (await import("../adapters/node/serve.ts")).serve;
}

const cfg = defaultConfig();
const router = new Router({
  ...toRouterOptions(cfg),
  logger: consoleLogger("text", "warn"),
  limits: BENCH_LIMITS,
});
const serve = await loadServe();
const ws = cfg.transports.websocket;
const server = await serve(router, {
  host: ws.host,
  port: 0,
  path: ws.path,
  maxMessageSize: ws.maxMessageSize,
  rawSocketPort: null,
  // GET /_bench/memory: a forced GC and heap figures, for the idle-memory benchmark.
  fetch: (req) => memoryResponse(req) ?? new Response("Not Found\n", { status: 404 }),
});
console.log(`router listening ws://${ws.host}:${server.port}${ws.path}`);

// An orderly exit on SIGTERM (rather than the default kill) lets `--cpu-prof` write its profile.
process.on("SIGTERM", () => process.exit(0));
setTimeout(() => process.exit(0), MAX_LIFETIME_MS);
