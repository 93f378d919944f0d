/**
 * A server (the router CLI or the bench relay) run as a child process on loopback: started, its
 * WebSocket URL read from the "listening" line it prints, stopped with SIGTERM.
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { childCommand } from "./_runtime.ts";

export interface ServerChild {
  readonly pid: number;
  /** ws://127.0.0.1:PORT/... as printed by the child. */
  readonly url: string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** A child must never outlive the benchmark, whatever way the benchmark ends. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const c of live) c.kill("SIGKILL");
  });
}

/**
 * Runs `script` on this runtime and waits (at most `startMs`) for a stdout line with
 * "listening" and a ws:// URL. Output keeps being drained so the child never blocks on a pipe.
 */
export function startServerChild(script: string, args: readonly string[], startMs = 60_000): Promise<ServerChild> {
  installExitHook();
  const { cmd, args: argv } = childCommand(script, args);
  const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  const tail: string[] = [];
  const keep = (line: string) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
  };
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exited.then(() => live.delete(child));

  return new Promise<ServerChild>((resolve, reject) => {
    let buffered = "";
    let ready = false;
    const timer = setTimeout(() => fail(`no "listening" line within ${startMs} ms`), startMs);
    const fail = (why: string) => {
      if (ready) return;
      ready = true;
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${script}: ${why}\n${tail.join("\n")}`));
    };
    child.once("error", (err) => fail(err.message));
    child.once("exit", (code) => fail(`exited with code ${code}`));
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => chunk.split("\n").forEach((l) => l && keep(l)));
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      if (ready) return; // drained and dropped: join/leave logs
      buffered += chunk;
      let nl: number;
      while (!ready && (nl = buffered.indexOf("\n")) !== -1) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        keep(line);
        const url = line.includes("listening") ? line.match(/ws:\/\/[^\s"]+/)?.[0] : undefined;
        if (url === undefined) continue;
        ready = true;
        clearTimeout(timer);
        resolve({ pid: child.pid!, url, stop: () => stopChild(child, exited) });
      }
    });
  });
}

/** SIGTERM, then SIGKILL if it has not exited after 5 s. */
async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), 5_000)));
  if ((await Promise.race([exited, late])) === "late") {
    child.kill("SIGKILL");
    await exited;
  }
  clearTimeout(timer);
}
