/**
 * The router under a live fuzz: the `junction` CLI of a runtime started as a child process on
 * loopback with ephemeral ports (JSON logs, so the "listening" line names the bound URLs), its
 * output drained (error-level lines counted and kept), its RSS read from /proc, stopped with
 * SIGTERM and, if need be, SIGKILL. A child never outlives the fuzzer.
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";

export type RuntimeName = "bun" | "node" | "deno";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const START_MS = 60_000;
const STOP_MS = 5_000;

/** The CLI as each runtime starts it, from the repository's own runtime binaries. */
function cliCommand(runtime: RuntimeName): { cmd: string; args: string[] } {
  const bin = (name: string) => `${ROOT}node_modules/.bin/${name}`;
  if (runtime === "deno") return { cmd: bin("deno"), args: ["run", "-A", `${ROOT}bin/deno.ts`] };
  return { cmd: bin(runtime), args: [`${ROOT}bin/${runtime}.ts`] };
}

const live = new Set<ChildProcess>();
let hooked = false;

function killAllOnExit(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", () => {
    for (const c of live) c.kill("SIGKILL");
  });
}

export interface LiveRouter {
  readonly pid: number;
  readonly wsUrl: string;
  readonly rawSocketPort: number;
  /** Error-level log lines and non-log output (uncaught exceptions), first few kept. */
  readonly errorLines: string[];
  errorCount(): number;
  /** The distinct such lines (digits blanked) with how often each came, most frequent first. */
  errorKinds(): Array<{ line: string; count: number }>;
  /** Exit code or signal once the process has ended; undefined while it runs. */
  exited(): string | undefined;
  /** Resident set size in MiB (Linux /proc), or undefined when it cannot be read. */
  rssMb(): number | undefined;
  /** The last lines of output, for a failure report. */
  tail(): string[];
  stop(): Promise<void>;
}

export function startLiveRouter(runtime: RuntimeName): Promise<LiveRouter> {
  killAllOnExit();
  const { cmd, args } = cliCommand(runtime);
  const child = spawn(cmd, [...args, "--port", "0", "--rawsocket-port", "0", "--log-format", "json"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  let exitState: string | undefined;
  const ended = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exitState = signal ?? `exit code ${code}`;
      live.delete(child);
      resolve();
    })
  );
  const tail: string[] = [];
  const errorLines: string[] = [];
  const kinds = new Map<string, number>();
  let errors = 0;
  const onLine = (line: string) => {
    if (line === "") return;
    tail.push(line.length > 500 ? line.slice(0, 500) + "..." : line);
    if (tail.length > 30) tail.shift();
    // With --log-format json every log line is a JSON object: anything else is the runtime
    // reporting an exception the router did not catch (or other stray output).
    if (line.includes('"level":"error"') || !line.startsWith("{")) {
      errors++;
      if (errorLines.length < 20) errorLines.push(line.slice(0, 500));
      const kind = line.replace(/[0-9]+/g, "N").slice(0, 300);
      if (kinds.has(kind) || kinds.size < 200) kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
  };
  const lines = (stream: NodeJS.ReadableStream, each: (line: string) => void) => {
    let buffered = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) !== -1) {
        each(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
      // A pathological line without newline must not grow without bound.
      if (buffered.length > 1_000_000) buffered = buffered.slice(-1_000);
    });
  };

  return new Promise<LiveRouter>((resolve, reject) => {
    let ready = false;
    const fail = (why: string) => {
      if (ready) return;
      ready = true;
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`router (${runtime}) ${why}\n${tail.join("\n")}`));
    };
    const timer = setTimeout(() => fail(`printed no "listening" line within ${START_MS} ms`), START_MS);
    child.once("error", (e) => fail(e.message));
    child.once("exit", () => fail(`exited (${exitState}) before listening`));
    lines(child.stderr!, onLine);
    lines(child.stdout!, (line) => {
      onLine(line);
      if (ready || !line.includes('"listening"')) return;
      let parsed: { websocket?: string; rawsocket?: string };
      try {
        parsed = JSON.parse(line) as { websocket?: string; rawsocket?: string };
      } catch {
        return;
      }
      const port = Number(parsed.rawsocket?.match(/:(\d+)$/)?.[1]);
      if (!parsed.websocket || !Number.isInteger(port)) return fail(`printed an unexpected listening line: ${line}`);
      ready = true;
      clearTimeout(timer);
      resolve({
        pid: child.pid!,
        wsUrl: parsed.websocket,
        rawSocketPort: port,
        errorLines,
        errorCount: () => errors,
        errorKinds: () => [...kinds].map(([line, count]) => ({ line, count })).sort((a, b) => b.count - a.count),
        exited: () => exitState,
        rssMb: () => readRssMb(child.pid!),
        tail: () => tail.slice(),
        async stop() {
          if (exitState !== undefined) return;
          child.kill("SIGTERM");
          let timer: ReturnType<typeof setTimeout> | undefined;
          const late = new Promise<"late">((r) => (timer = setTimeout(() => r("late"), STOP_MS)));
          if ((await Promise.race([ended, late])) === "late") {
            child.kill("SIGKILL");
            await ended;
          }
          clearTimeout(timer);
        },
      });
    });
  });
}

function readRssMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(status.match(/^VmRSS:\s+(\d+)\s+kB/m)?.[1]);
    return Number.isFinite(kb) ? Math.round(kb / 102.4) / 10 : undefined;
  } catch {
    return undefined;
  }
}
