/**
 * The storage contract on this runtime's SQLite adapter (file and :memory:), and a kill -9 test:
 * every write a child process saw resolve must be in the file after SIGKILL.
 * @module
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Storage } from "../../src/platform/storage.ts";
import { runtime, test } from "../_support/harness.ts";
import { runStorageContract } from "../contract/storage_contract.ts";
import { writerKey, writerValue } from "../fixtures/storage_writer.ts";

type OpenSqlite = (path: string) => Promise<Storage>;

async function loadOpen(): Promise<OpenSqlite> {
  // Literal specifiers so every runtime (and bundlers) can see the import statically.
  if (runtime === "bun") {
    return (await import("../../adapters/bun/sqlite_storage.ts")).openSqliteStorage;
  }
  if (runtime === "deno") {
    return (await import("../../adapters/deno/sqlite_storage.ts")).openSqliteStorage;
  }
  return (await import("../../adapters/node/sqlite_storage.ts")).openSqliteStorage;
}

const openSqlite = await loadOpen();

async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "junction-sqlite-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

runStorageContract(`sqlite file, ${runtime}`, async () => {
  const { dir, remove } = await tempDir();
  const path = join(dir, "store.db");
  return { storage: await openSqlite(path), reopen: () => openSqlite(path), cleanup: remove };
});

runStorageContract(`sqlite :memory:, ${runtime}`, async () => ({
  storage: await openSqlite(":memory:"),
  cleanup: () => Promise.resolve(),
}));

const WRITER = fileURLToPath(new URL("../fixtures/storage_writer.ts", import.meta.url));
const COUNT = 2000;
const KILL_AFTER = 200;

function writerArgs(path: string): string[] {
  const script = [WRITER, path, String(COUNT)];
  if (runtime === "deno") return ["run", "-A", ...script];
  if (runtime === "bun") return ["run", ...script];
  return script;
}

test(`sqlite (${runtime}): writes that resolved survive kill -9`, async () => {
  const { dir, remove } = await tempDir();
  const path = join(dir, "store.db");
  // process.execPath: the runtime running this test, never whatever `node` is first on PATH.
  const child = spawn(process.execPath, writerArgs(path), { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += String(d)));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  try {
    const lastWritten = await new Promise<number>((resolve, reject) => {
      let buffered = "";
      let last = -1;
      child.stdout.on("data", (d) => {
        buffered += String(d);
        const lines = buffered.split("\n");
        buffered = lines.pop()!;
        for (const line of lines) {
          const m = /^written (\d+)$/.exec(line);
          if (m) last = Number(m[1]);
        }
        if (last >= KILL_AFTER) {
          child.kill("SIGKILL");
          resolve(last);
        }
      });
      child.on(
        "exit",
        (code, signal) => reject(new Error(`writer exited early (${code ?? signal}): ${stderr}`)),
      );
    });
    await exited;
    assert.equal(child.signalCode, "SIGKILL");
    const storage = await openSqlite(path);
    try {
      const entries = await storage.list(["k"]);
      // Writes were sequential, so what survived is keys 0..m with m >= every "written" seen.
      assert.ok(
        entries.length > lastWritten,
        `${entries.length} keys, "written ${lastWritten}" was seen`,
      );
      entries.forEach((e, i) => {
        assert.deepStrictEqual([...e.key], writerKey(i));
        assert.deepStrictEqual(new Uint8Array(e.value), writerValue(i));
      });
    } finally {
      await storage.close();
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
    await remove();
  }
}, { timeout: 60_000 });
