/**
 * The single executable (`bun build --compile bin/bun.ts --outfile dist/junction`) serves WAMP
 * with no runtime or node_modules beside it, and stops cleanly on SIGTERM. The test command
 * builds it first; a missing binary is a failure, not a skip, so a broken build cannot pass
 * unnoticed.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { test } from "../_support/harness.ts";

const BINARY = fileURLToPath(new URL("../../dist/junction", import.meta.url));

test("compiled binary: serves WAMP, runs a call, says GOODBYE on SIGTERM and exits 0", async () => {
  assert.ok(existsSync(BINARY), `${BINARY} not found: run npm run compile first`);

  // Started from the filesystem root, so nothing can come from the project's node_modules.
  const child = spawn(BINARY, ["--port", "0", "--rawsocket-port", "0"], { cwd: "/", stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const dump = () => `stdout:\n${out}\nstderr:\n${err}`;
  let ws: WebSocket | undefined;
  try {
    const wsUrl = await until(() => (/\blistening\b/.test(out) ? out.match(/ws:\/\/[^\s"]+/)?.[0] : undefined), 20_000, dump);

    ws = new WebSocket(wsUrl, "wamp.2.json");
    const inbox: unknown[][] = [];
    ws.addEventListener("message", (ev) => inbox.push(JSON.parse(String(ev.data)) as unknown[]));
    const socket = ws;
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve());
      socket.addEventListener("error", () => reject(new Error(`Cannot connect to ${wsUrl}`)));
    });
    assert.equal(ws.protocol, "wamp.2.json");

    ws.send(JSON.stringify([1, "realm1", { roles: { caller: {}, callee: {} } }]));
    const welcome = await until(() => inbox.shift(), 10_000, () => "no WELCOME");
    assert.equal(welcome[0], 2, `expected WELCOME, got ${JSON.stringify(welcome)}`);

    // A call through the binary: this session registers a procedure and calls it.
    const next = (what: string) => until(() => inbox.shift(), 10_000, () => `no ${what}`);
    ws.send(JSON.stringify([64, 1, {}, "com.example.add"]));
    assert.equal((await next("REGISTERED"))[0], 65);
    ws.send(JSON.stringify([48, 2, {}, "com.example.add", [2, 3]]));
    const invocation = await next("INVOCATION");
    assert.equal(invocation[0], 68, JSON.stringify(invocation));
    const [a, b] = invocation[4] as number[];
    ws.send(JSON.stringify([70, invocation[1], {}, [a! + b!]]));
    assert.deepEqual(await next("RESULT"), [50, 2, {}, [5]]);

    // Not child.kill(): after it, Deno's node:child_process reports the signal instead of the
    // exit code the process chose (deno 2.9).
    process.kill(child.pid!, "SIGTERM");
    const goodbye = await until(() => inbox.shift(), 10_000, () => "no GOODBYE");
    assert.deepEqual([goodbye[0], goodbye[2]], [6, "wamp.close.system_shutdown"], JSON.stringify(goodbye));
    ws.send(JSON.stringify([6, {}, "wamp.close.goodbye_and_out"]));

    assert.equal(await exited, 0, dump());
    assert.match(out, /\bstopped\b/, dump());
  } finally {
    ws?.close();
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}, { timeout: 60_000 });

/** Polls `probe` until it returns a value, failing after `ms` with `why()`. */
async function until<T>(probe: () => T | undefined, ms: number, why: () => string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms: ${why()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
