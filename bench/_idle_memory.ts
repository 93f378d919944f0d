/**
 * Memory per idle session: the router child's resident set (VmRSS in /proc/<pid>/status) before
 * and after `sessions` WebSocket sessions have joined (raw WAMP HELLO -> WELCOME, JSON) and sat
 * idle for a few seconds, a full GC forced in the child before each reading. The same for the
 * bare relay with as many plain WebSocket connections (no frame sent) is the baseline: what the
 * runtime's WebSocket server keeps per connection, which a router on it pays too.
 *
 * Both servers run in fresh children, one after the other, so each reading sees only its own
 * sockets. The servers answer `GET /_bench/memory` (see {@link memoryReport}) by collecting
 * garbage (Bun.gc(true); on Node and Deno the `gc` that `--expose-gc` would give, switched on
 * from inside the child) and returning their heap figures.
 * @module
 */
import { readFileSync } from "node:fs";
import process from "node:process";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { type ServerChild, startServerChild } from "./_child.ts";
import { type Emit, note } from "./_report.ts";
import { runtime } from "./_runtime.ts";
import { JSON_HELLO } from "./_ws_client.ts";
import { round, sig } from "./_stats.ts";

// --- server side: imported by bench/router_server.ts and bench/relay_server.ts ---

/** The HTTP path both bench servers answer with {@link memoryReport}. */
export const MEMORY_PATH = "/_bench/memory";

let gcFn: (() => void) | null | undefined;

/** A full, synchronous garbage collection; null when this runtime cannot be asked for one. */
function fullGc(): (() => void) | null {
  if (gcFn !== undefined) return gcFn;
  const g = globalThis as { Bun?: { gc(force: boolean): void }; gc?: () => void };
  if (g.Bun) return (gcFn = () => g.Bun!.gc(true));
  if (typeof g.gc === "function") return (gcFn = g.gc);
  try {
    // What `node --expose-gc` / `deno run --v8-flags=--expose-gc` would do, without flags on the
    // child's command line: a fresh context created after the flag is set gets a `gc` global.
    setFlagsFromString("--expose-gc");
    const gc: unknown = runInNewContext("gc");
    gcFn = typeof gc === "function" ? (gc as () => void) : null;
  } catch {
    gcFn = null;
  }
  return gcFn;
}

/** Runs a full GC (twice: finalizers of the first free more) and reports heap figures as JSON. */
export function memoryReport(): string {
  const gc = fullGc();
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return JSON.stringify({ gc: gc !== null, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, rss: m.rss });
}

/** `fetch`-style handler for {@link MEMORY_PATH}; undefined for any other request. */
export function memoryResponse(req: Request): Response | undefined {
  if (new URL(req.url).pathname !== MEMORY_PATH) return undefined;
  return new Response(memoryReport(), { headers: { "content-type": "application/json" } });
}

// --- load side ---

export interface IdleMemoryOptions {
  /** Sessions (router) and connections (relay) to hold open; fewer if the fd limit is lower. */
  sessions: number;
  /** How long they sit idle before the reading. */
  idleMs: number;
}

const OPEN_BATCH = 250;
const CLOSE_BATCH = 1_000;
const WARMUP_SESSIONS = 500;
const CONNECT_MS = 15_000;
/** File descriptors kept free for everything else (the child's own files, pipes, listeners). */
const FD_HEADROOM = 200;

interface Reading {
  rss: number;
  heapUsed: number;
  gc: boolean;
}

/** The soft limit on open files of this process (children inherit it); Infinity if unknown. */
export function openFileLimit(): number {
  try {
    const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"));
    const soft = line?.slice("Max open files".length).trim().split(/\s+/)[0];
    return soft === undefined || soft === "unlimited" ? Infinity : Number(soft);
  } catch {
    return Infinity;
  }
}

function vmRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kb) * 1024;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function memoryUrl(wsUrl: string): string {
  const u = new URL(wsUrl);
  return `http://${u.host}${MEMORY_PATH}`;
}

/** GC in the child, a pause for the allocator to hand pages back, GC again, then VmRSS. */
async function settle(server: ServerChild): Promise<Reading> {
  const ask = async () => (await (await fetch(memoryUrl(server.url))).json()) as { gc: boolean; heapUsed: number };
  await ask();
  await sleep(500);
  const r = await ask();
  return { rss: vmRssBytes(server.pid), heapUsed: r.heapUsed, gc: r.gc };
}

type Opener = (url: string) => Promise<WebSocket>;

/** Opens a socket offering `wamp.2.json` and resolves on WELCOME. */
export function joinSession(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ["wamp.2.json"]);
    const timer = setTimeout(() => fail(`no WELCOME within ${CONNECT_MS} ms`), CONNECT_MS);
    const fail = (why: string) => {
      clearTimeout(timer);
      ws.onclose = ws.onerror = ws.onmessage = null;
      ws.close();
      reject(new Error(why));
    };
    ws.onerror = () => fail("WebSocket error");
    ws.onclose = (e) => fail(`closed (${e.code}) before WELCOME`);
    ws.onopen = () => ws.send(JSON_HELLO);
    ws.onmessage = (e: MessageEvent<string>) => {
      if (!String(e.data).startsWith("[2,")) return fail(`expected WELCOME, got ${String(e.data).slice(0, 120)}`);
      clearTimeout(timer);
      ws.onmessage = ws.onerror = ws.onclose = null;
      resolve(ws);
    };
  });
}

/** Opens a plain WebSocket and resolves once it is open. */
export function openPlain(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => fail(`not open within ${CONNECT_MS} ms`), CONNECT_MS);
    const fail = (why: string) => {
      clearTimeout(timer);
      ws.onclose = ws.onerror = ws.onopen = null;
      ws.close();
      reject(new Error(why));
    };
    ws.onerror = () => fail("WebSocket error");
    ws.onclose = (e) => fail(`closed (${e.code}) before open`);
    ws.onopen = () => {
      clearTimeout(timer);
      ws.onopen = ws.onerror = ws.onclose = null;
      resolve(ws);
    };
  });
}

/** Opens `n` sockets, `OPEN_BATCH` at a time; failures are counted, the first one kept. */
async function openMany(url: string, n: number, open: Opener): Promise<{ sockets: WebSocket[]; failed: number; firstError?: string }> {
  const sockets: WebSocket[] = [];
  let failed = 0;
  let firstError: string | undefined;
  for (let done = 0; done < n; done += OPEN_BATCH) {
    const batch = await Promise.allSettled(Array.from({ length: Math.min(OPEN_BATCH, n - done) }, () => open(url)));
    for (const r of batch) {
      if (r.status === "fulfilled") sockets.push(r.value);
      else {
        failed++;
        firstError ??= r.reason instanceof Error ? r.reason.message : String(r.reason);
      }
    }
    // A server that refuses everything is not going to recover within this run.
    if (failed > 0 && sockets.length === 0) break;
  }
  return { sockets, failed, firstError };
}

/** Closes sockets `CLOSE_BATCH` at a time, each batch waited for (at most 5 s). */
async function closeMany(sockets: readonly WebSocket[]): Promise<void> {
  for (let i = 0; i < sockets.length; i += CLOSE_BATCH) {
    await Promise.all(sockets.slice(i, i + CLOSE_BATCH).map((ws) => new Promise<void>((resolve) => {
      if (ws.readyState === WebSocket.CLOSED) return resolve();
      const timer = setTimeout(resolve, 5_000);
      ws.onerror = null;
      ws.onclose = () => {
        clearTimeout(timer);
        resolve();
      };
      ws.close(1000);
    })));
  }
}

interface Measured {
  sessions: number;
  failed: number;
  dropped: number;
  before: Reading;
  after: Reading;
  openS: number;
}

/** One server: warm-up, reading, `n` sockets opened and idle, reading, sockets closed. */
async function measure(script: string, path: string, n: number, idleMs: number, open: Opener): Promise<Measured> {
  const server = await startServerChild(script, []);
  try {
    const url = new URL(path, server.url).href;
    // Warm-up: the join path compiled, the first chunks of the maps and pools allocated.
    const warm = await openMany(url, WARMUP_SESSIONS, open);
    if (warm.sockets.length === 0) throw new Error(`${script}: no socket opened (${warm.firstError})`);
    await closeMany(warm.sockets);
    await sleep(500);
    const before = await settle(server);
    const t0 = performance.now();
    const opened = await openMany(url, n, open);
    const openS = (performance.now() - t0) / 1000;
    if (opened.failed > 0) note(`${script}: ${opened.failed} of ${n} sockets failed to open (first: ${opened.firstError})`);
    let dropped = 0;
    for (const ws of opened.sockets) ws.onclose = () => void dropped++;
    await sleep(idleMs);
    const after = await settle(server);
    await closeMany(opened.sockets);
    return { sessions: opened.sockets.length, failed: opened.failed, dropped, before, after, openS };
  } finally {
    await server.stop();
  }
}

export async function runIdleMemory(opts: IdleMemoryOptions, emit: Emit): Promise<void> {
  // Each side's process holds one descriptor per socket: the bench process (this one) and the
  // server child, which inherits this process's limit.
  const limit = openFileLimit();
  const n = Math.max(100, Math.min(opts.sessions, limit - FD_HEADROOM));
  const extrapolated = n < opts.sessions;
  if (extrapolated) note(`idle memory: open files limited to ${limit}; ${n} sockets instead of ${opts.sessions}, figures are per session`);
  note(`idle memory on ${runtime}: ${n} plain WebSocket connections to the relay, then ${n} sessions on the router, ${opts.idleMs} ms idle`);
  const relay = await measure("bench/relay_server.ts", "caller", n, opts.idleMs, openPlain);
  const router = await measure("bench/router_server.ts", "", n, opts.idleMs, joinSession);
  const perSession = (m: Measured) => (m.after.rss - m.before.rss) / m.sessions;
  const heapPerSession = (m: Measured) => (m.after.heapUsed - m.before.heapUsed) / m.sessions;
  const common = { runtime, fd_limit: Number.isFinite(limit) ? limit : null, extrapolated, idle_ms: opts.idleMs };
  const line = (m: Measured) => ({
    ...common,
    rss_before_mb: sig(m.before.rss / 2 ** 20),
    rss_after_mb: sig(m.after.rss / 2 ** 20),
    bytes_per_idle_session: round(perSession(m)),
    heap_bytes_per_idle_session: round(heapPerSession(m)),
    gc_forced: m.before.gc && m.after.gc,
    failed: m.failed,
    dropped: m.dropped,
    open_per_s: round(m.sessions / m.openS),
  });
  emit({ bench: "idle_memory_relay", connections: relay.sessions, ...line(relay) });
  emit({
    bench: "idle_memory",
    sessions: router.sessions,
    ...line(router),
    relay_bytes_per_connection: round(perSession(relay)),
    ratio_vs_relay: sig(perSession(router) / perSession(relay)),
  });
}
