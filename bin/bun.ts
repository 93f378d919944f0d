/**
 * `junction` on Bun: `bun bin/bun.ts [options]`, and the entry compiled into the single
 * executable (`bun build --compile bin/bun.ts --outfile dist/junction`).
 * @module
 */
import process from "node:process";
import { serve } from "../adapters/bun/serve.ts";
import { openSqliteStorage } from "../adapters/bun/sqlite_storage.ts";
import { runCli } from "../src/cli/run.ts";

/** The slice of the `Bun` global used here, so this file needs no Bun type package. */
declare const Bun: { file(path: string): { text(): Promise<string> } };

const code = await runCli(process.argv.slice(2), {
  runtimeName: `bun ${process.versions.bun}`,
  readTextFile: (path) => Bun.file(path).text(),
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
