/**
 * `junction` on Deno: `deno run --allow-net --allow-read bin/deno.ts [options]` (read only for
 * --config).
 * @module
 */
import { serve } from "../adapters/deno/serve.ts";
import { openSqliteStorage } from "../adapters/deno/sqlite_storage.ts";
import { runCli } from "../src/cli/run.ts";

/** The slice of the `Deno` namespace used here, so this file type-checks outside Deno too. */
declare const Deno: {
  args: string[];
  version: { deno: string };
  readTextFile(path: string): Promise<string>;
  addSignalListener(signal: "SIGINT" | "SIGTERM", handler: () => void): void;
  exit(code: number): never;
};

const code = await runCli(Deno.args, {
  runtimeName: `deno ${Deno.version.deno}`,
  readTextFile: (path) => Deno.readTextFile(path),
  serve,
  openStorage: (path) => openSqliteStorage(path),
  onShutdownSignal(handler) {
    Deno.addSignalListener("SIGINT", handler);
    Deno.addSignalListener("SIGTERM", handler);
  },
  stdout: (line) => console.log(line),
  stderr: (line) => console.error(line),
});
Deno.exit(code);
