/**
 * The router under soak: the `junction` CLI of the runtime running the soak, as a child process
 * on loopback with ephemeral ports. Its JSON log lines are read to learn the bound ports and to
 * count sessions joining and leaving; its memory is read from /proc/<pid>/status.
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { Endpoints } from "./_soak_client.ts";

export type RuntimeName = "deno" | "bun" | "node";
const g = globalThis as Record<string, unknown>;
export const runtime: RuntimeName = g["Deno"] ? "deno" : g["Bun"] ? "bun" : "node";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/**
 * The CLI on this runtime: the same binary that runs the soak. With `traceGc` (Node and Deno,
 * whose V8 can say so) the router prints a line per garbage collection.
 */
function cliCommand(traceGc: boolean): string[] {
  const bin = process.execPath;
  if (runtime === "deno") return [bin, "run", "-A", ...(traceGc ? ["--v8-flags=--trace-gc"] : []), ROOT + "bin/deno.ts"];
  if (runtime === "bun") return [bin, ROOT + "bin/bun.ts"];
  return [bin, ...(traceGc ? ["--trace-gc"] : []), ROOT + "bin/node.ts"];
}

/**
 * `--trace-gc`: "[pid:0x..]   12345 ms: [Incremental ]Mark-Compact 45.2 (60.1) -> 30.1 (58.0) MB" (ms since the
 * isolate started; heap used (committed) before -> after).
 */
const MARK_COMPACT = /\s(\d+) ms: (?:Incremental )?Mark-Compact(?: \(reduce\))?\s+([\d.]+)\s+\(([\d.]+)\)\s+->\s+([\d.]+)\s+\(([\d.]+)\)\s+MB/;

/**
 * One full garbage collection of the router: when (epoch ms, from the time V8 prints, counted
 * from the spawn: a little early, as the isolate starts after the process) and the heap left.
 */
export interface FullGc {
  readonly at: number;
  readonly liveMB: number;
  readonly committedMB: number;
}

export interface RouterChild {
  readonly pid: number;
  readonly endpoints: Endpoints;
  /**
   * "session joined" / "session left" log lines so far (client sessions only), and lines that
   * were neither JSON nor GC traces (with `traceGc`, V8 and the logger share stdout and a GC line
   * can cut a log line in two).
   */
  readonly log: { joined: number; left: number; warn: number; error: number; unparsed: number; lastProblems: string[] };
  /** Full garbage collections seen (only with `traceGc` on Node or Deno). */
  readonly fullGcs: FullGc[];
  /** Resident set size in bytes (VmRSS), or undefined once the process is gone. */
  rss(): number | undefined;
  readonly running: boolean;
  /** SIGTERM, then SIGKILL after `ms`; resolves with the exit code (null when killed). */
  stop(ms?: number): Promise<number | null>;
}

const live = new Set<ChildProcess>();
let hooked = false;

export function startRouter(options: { traceGc?: boolean; startMs?: number } = {}): Promise<RouterChild> {
  const startMs = options.startMs ?? 60_000;
  if (!hooked) {
    hooked = true;
    // The router must never outlive the soak, however the soak ends.
    process.on("exit", () => {
      for (const c of live) c.kill("SIGKILL");
    });
  }
  const [cmd, ...args] = cliCommand(options.traceGc ?? false);
  const spawnedAt = Date.now();
  const child = spawn(cmd!, [...args, "--port", "0", "--rawsocket-port", "0", "--log-format", "json", "--log-level", "info"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  live.add(child);
  let running = true;
  let exitCode: number | null = null;
  const exited = new Promise<void>((resolve) => {
    // "close", not "exit": by then every line the router wrote has been read.
    child.once("close", (code) => {
      running = false;
      exitCode = code;
      live.delete(child);
      resolve();
    });
  });
  const log = { joined: 0, left: 0, warn: 0, error: 0, unparsed: 0, lastProblems: [] as string[] };
  let onListening: ((line: Record<string, unknown>) => void) | undefined;
  const tail: string[] = [];
  const internal = new Set<unknown>();
  const fullGcs: FullGc[] = [];

  const lines = (stream: NodeJS.ReadableStream | null) => {
    let partial = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop()!;
      for (const l of parts) {
        if (l.trim() === "") continue;
        if (!l.startsWith("[")) {
          tail.push(l);
          if (tail.length > 20) tail.shift();
        }
        const gc = MARK_COMPACT.exec(l);
        if (gc) fullGcs.push({ at: spawnedAt + Number(gc[1]), liveMB: Number(gc[4]), committedMB: Number(gc[5]) });
        if (l.startsWith("[")) continue;
        let rec: Record<string, unknown>;
        try {
          rec = JSON.parse(l) as Record<string, unknown>;
        } catch {
          log.unparsed++;
          continue;
        }
        const msg = rec["msg"];
        // The router's own sessions (the meta API, transport "local") join and never leave
        // while it runs: they are not counted.
        if (msg === "session joined") {
          if (rec["transport"] === "local") internal.add(rec["session"]);
          else log.joined++;
        } else if (msg === "session left" && !internal.has(rec["session"])) log.left++;
        else if (msg === "listening") onListening?.(rec);
        if (rec["level"] === "warn" || rec["level"] === "error") {
          if (rec["level"] === "warn") log.warn++;
          else log.error++;
          log.lastProblems.push(l.slice(0, 300));
          if (log.lastProblems.length > 10) log.lastProblems.shift();
        }
      }
    });
  };
  lines(child.stdout);
  lines(child.stderr);

  return new Promise<RouterChild>((resolve, reject) => {
    const timer = setTimeout(() => fail(`no "listening" line within ${startMs} ms`), startMs);
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`router: ${why}\n${tail.join("\n")}`));
    };
    void exited.then(() => {
      if (onListening) fail(`exited with code ${exitCode} before listening`);
    });
    onListening = (rec) => {
      onListening = undefined;
      clearTimeout(timer);
      const ws = new URL(String(rec["websocket"]));
      const raw = new URL(String(rec["rawsocket"]));
      const pid = child.pid!;
      resolve({
        pid,
        endpoints: { wsUrl: ws.href, rawHost: raw.hostname, rawPort: Number(raw.port) },
        log,
        fullGcs,
        rss: () => (running ? readRss(pid) : undefined),
        get running() {
          return running;
        },
        async stop(ms = 10_000) {
          if (!running) return exitCode;
          // process.kill, not child.kill: Deno then reports the exit code the process chose.
          process.kill(pid, "SIGTERM");
          let timer: ReturnType<typeof setTimeout> | undefined;
          const killed = new Promise<void>((r) => {
            timer = setTimeout(() => {
              if (running) child.kill("SIGKILL");
              r();
            }, ms);
          });
          await Promise.race([exited, killed]);
          clearTimeout(timer);
          await exited;
          return exitCode;
        },
      });
    };
  });
}

/** VmRSS of a process in bytes (Linux), or undefined when it cannot be read. */
export function readRss(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
