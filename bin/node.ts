/**
 * `junction` on Node: `node bin/node.ts [options]` (Node >= 22.18 runs the TypeScript as is).
 * @module
 */
import { readFile } from "node:fs/promises";
import process from "node:process";
import { serve } from "../adapters/node/serve.ts";
import { openSqliteStorage } from "../adapters/node/sqlite_storage.ts";
import { runCli } from "../src/cli/run.ts";

const code = await runCli(process.argv.slice(2), {
  runtimeName: `node ${process.version}`,
  readTextFile: (path) => readFile(path, "utf8"),
  serve,
  openStorage: (path) => openSqliteStorage(path),
  onShutdownSignal(handler) {
    // `once`: a second Ctrl-C falls through to the default action and ends a stuck stop.
    process.once("SIGINT", handler);
    process.once("SIGTERM", handler);
  },
  stdout: (line) => void process.stdout.write(line + "\n"),
  stderr: (line) => void process.stderr.write(line + "\n"),
});
process.exit(code);
