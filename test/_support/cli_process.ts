/**
 * Starts the `junction` command line of the runtime running the test as a child process, and
 * reads the bound WebSocket URL from its "listening" log line.
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runtime } from "./harness.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** Deno compiles the entry's module graph on its first run; seeding derives Argon2id keys. */
const START_MS = 60_000;

function cliCommand(): string[] {
  const bin = (name: string) => join(ROOT, "node_modules/.bin", name);
  if (runtime === "deno") return [bin("deno"), "run", "-A", join(ROOT, "bin/deno.ts")];
  if (runtime === "bun") return [bin("bun"), join(ROOT, "bin/bun.ts")];
  return [bin("node"), join(ROOT, "bin/node.ts")];
}

export interface Cli {
  readonly process: ChildProcess;
  readonly stdout: string[];
  readonly exited: Promise<void>;
  /** The WebSocket URL from the "listening" line. */
  listeningUrl(): Promise<string>;
  dump(): string;
  kill(): void;
}

export function startCli(args: string[]): Cli {
  const [cmd, ...pre] = cliCommand();
  const child = spawn(cmd!, [...pre, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  const stdout: string[] = [];
  const stderr: string[] = [];
  let wake: (() => void) | undefined;
  const lines = (into: string[]) => {
    let partial = "";
    return (chunk: string) => {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop()!;
      into.push(...parts);
      wake?.();
    };
  };
  child.stdout!.setEncoding("utf8").on("data", lines(stdout));
  child.stderr!.setEncoding("utf8").on("data", lines(stderr));
  let running = true;
  const exited = new Promise<void>((resolve) =>
    child.on("close", () => {
      running = false;
      wake?.();
      resolve();
    })
  );
  const dump = () => `stdout:\n${stdout.join("\n")}\nstderr:\n${stderr.join("\n")}`;
  return {
    process: child,
    stdout,
    exited,
    dump,
    kill: () => {
      if (running) child.kill("SIGKILL");
    },
    async listeningUrl() {
      const deadline = Date.now() + START_MS;
      for (;;) {
        const line = stdout.find((l) => l.includes("listening"));
        const url = line?.match(/ws:\/\/[^\s"]+/)?.[0];
        if (url) return url;
        if (!running) throw new Error(`The CLI exited before listening:\n${dump()}`);
        if (Date.now() > deadline) throw new Error(`Not listening after ${START_MS} ms:\n${dump()}`);
        await new Promise<void>((r) => {
          const t = setTimeout(r, 200);
          wake = () => {
            clearTimeout(t);
            r();
          };
        });
      }
    },
  };
}

