/**
 * Which runtime runs the benchmark (detected as test/_support/harness.ts does), and how to start
 * a script on that same runtime as a child process.
 * @module
 */
import process from "node:process";
import { fileURLToPath } from "node:url";

export type RuntimeName = "deno" | "bun" | "node";

const g = globalThis as Record<string, unknown>;

export const runtime: RuntimeName = g["Deno"] ? "deno" : g["Bun"] ? "bun" : "node";

/** The repository root (bench/..), as a file path. */
export const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** The command line that runs `script` (relative to the repository root) on this runtime. */
export function childCommand(script: string, args: readonly string[] = []): { cmd: string; args: string[] } {
  // The binary running us: the child then runs on exactly the same runtime and version.
  const cmd = process.execPath;
  const path = ROOT + script;
  if (runtime === "deno") return { cmd, args: ["run", "-A", path, ...args] };
  return { cmd, args: [path, ...args] };
}

/** "bun 1.x.y", "node v24...", "deno 2.x.y". */
export function runtimeVersion(): string {
  const v = process.versions as Record<string, string | undefined>;
  if (runtime === "bun") return `bun ${v["bun"] ?? "?"}`;
  if (runtime === "deno") return `deno ${v["deno"] ?? "?"}`;
  return `node ${process.version}`;
}
