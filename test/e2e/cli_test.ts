/**
 * The `junction` command end to end, on the runtime running this test: spawned as a child
 * process, it must start from flags, refuse a bad config before listening, serve a WAMP client
 * and say GOODBYE to it on SIGTERM, then exit 0.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import type { Readable } from "node:stream";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runtime, test } from "../_support/harness.ts";
import { WampClient } from "../_support/json_ws_client.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TIMEOUT = 60_000;
/** Deno compiles the entry's module graph on its first run, which can take a while. */
const START_MS = 40_000;

/** The CLI as this runtime starts it. */
function cliCommand(): string[] {
  const bin = (name: string) => join(ROOT, "node_modules/.bin", name);
  if (runtime === "deno") return [bin("deno"), "run", "-A", join(ROOT, "bin/deno.ts")];
  if (runtime === "bun") return [bin("bun"), join(ROOT, "bin/bun.ts")];
  return [bin("node"), join(ROOT, "bin/node.ts")];
}

test(`cli (${runtime}): --help prints the usage and exits 0`, async () => {
  const cli = startCli(["--help"]);
  const { code } = await cli.exited;
  assert.equal(code, 0, cli.dump());
  assert.match(cli.stdout.join("\n"), /^Usage: junction/m);
  assert.ok(cli.stdout.join("\n").includes("--rawsocket-port"));
}, { timeout: TIMEOUT });

test(`cli (${runtime}): --version prints 0.1.0`, async () => {
  const cli = startCli(["--version"]);
  const { code } = await cli.exited;
  assert.equal(code, 0, cli.dump());
  assert.match(cli.stdout.join("\n"), /\b0\.1\.0\b/);
}, { timeout: TIMEOUT });

test(`cli (${runtime}): an unknown flag exits 2 naming the flag`, async () => {
  const cli = startCli(["--prot", "80"]);
  const { code } = await cli.exited;
  assert.equal(code, 2, cli.dump());
  assert.ok(cli.stderr.join("\n").includes("--prot"), cli.dump());
}, { timeout: TIMEOUT });

test(`cli (${runtime}): a bad config file stops start-up with every problem, before listening`, async () => {
  const dir = await mkdtemp(join(tmpdir(), "junction-cli-"));
  try {
    const file = join(dir, "config.json");
    await writeFile(file, JSON.stringify({ transports: { websocket: { port: "80a", prot: 1 } } }));
    const cli = startCli(["--config", file, "--port", "0", "--rawsocket-port", "0"]);
    const { code } = await cli.exited;
    assert.equal(code, 2, cli.dump());
    const err = cli.stderr.join("\n");
    assert.ok(err.includes(`${file}: transports.websocket.port: expected an integer from 0 to 65535, found "80a"`), cli.dump());
    assert.ok(err.includes(`${file}: transports.websocket.prot: unknown key`), cli.dump());
    assert.ok(!cli.stdout.some((l) => l.includes("listening")), cli.dump());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, { timeout: TIMEOUT });

test(`cli (${runtime}): serves WAMP and says GOODBYE on SIGTERM, then exits 0`, async () => {
  const cli = startCli(["--port", "0", "--rawsocket-port", "0"]);
  let client: WampClient | undefined;
  try {
    const listening = await cli.waitForLine((l) => l.includes("listening"), START_MS);
    const wsUrl = listening.match(/ws:\/\/[^\s"]+/)?.[0];
    const rawUrl = listening.match(/tcp:\/\/[^\s"]+/)?.[0];
    assert.ok(wsUrl && rawUrl, `no URLs in: ${listening}`);
    assert.doesNotMatch(wsUrl, /:0\//, "the bound port, not the one asked for");

    await rawSocketHandshake(new URL(rawUrl));

    client = await WampClient.open(wsUrl);
    client.send([1, "realm1", { roles: { caller: {} } }]);
    const welcome = await client.next();
    assert.equal(welcome[0], 2, `expected WELCOME, got ${JSON.stringify(welcome)}`);

    cli.terminate();
    const goodbye = await client.next();
    assert.equal(goodbye[0], 6, `expected GOODBYE, got ${JSON.stringify(goodbye)}`);
    assert.equal(goodbye[2], "wamp.close.system_shutdown");
    client.send([6, {}, "wamp.close.goodbye_and_out"]);

    const { code } = await cli.exited;
    assert.equal(code, 0, cli.dump());
    assert.ok(cli.stdout.some((l) => l.includes("stopped")), cli.dump());
  } finally {
    client?.close();
    cli.kill();
  }
}, { timeout: TIMEOUT });

test(`cli (${runtime}): --log-format json makes every log line JSON`, async () => {
  const cli = startCli(["--port", "0", "--rawsocket-port", "0", "--log-format", "json", "--log-level", "debug"]);
  let client: WampClient | undefined;
  try {
    const line = await cli.waitForLine((l) => l.includes("listening"), START_MS);
    const listening = JSON.parse(line) as { level: string; msg: string; websocket: string };
    assert.equal(listening.level, "info");
    assert.equal(listening.msg, "listening");

    client = await WampClient.open(listening.websocket);
    client.send([1, "realm1", { roles: { caller: {} } }]);
    assert.equal((await client.next())[0], 2);
    client.send([6, {}, "wamp.close.close_realm"]);
    assert.equal((await client.next())[0], 6);

    cli.terminate();
    const { code } = await cli.exited;
    assert.equal(code, 0, cli.dump());
    const lines = [...cli.stdout, ...cli.stderr].filter((l) => l.trim() !== "");
    assert.ok(lines.length >= 2, cli.dump());
    for (const l of lines) {
      assert.doesNotThrow(() => JSON.parse(l), `not JSON: ${l}`);
    }
    assert.ok(lines.some((l) => (JSON.parse(l) as { msg?: string }).msg === "stopped"), cli.dump());
  } finally {
    client?.close();
    cli.kill();
  }
}, { timeout: TIMEOUT });

// --- helpers ---

interface CliProcess {
  readonly process: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves once the process has exited and its output is read. */
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  waitForLine(match: (line: string) => boolean, ms: number): Promise<string>;
  /** The output so far, for assertion messages. */
  dump(): string;
  /** Sends SIGTERM, as a service manager stopping it would. */
  terminate(): void;
  /** SIGKILL if still running: the last resort in `finally`. */
  kill(): void;
}

function startCli(args: string[]): CliProcess {
  const [cmd, ...pre] = cliCommand();
  const child = spawn(cmd!, [...pre, ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const watchers = new Set<() => void>();
  const collect = (stream: Readable | null, into: string[]) => {
    let partial = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop()!;
      into.push(...parts);
      for (const w of watchers) w();
    });
    stream?.on("end", () => {
      if (partial) into.push(partial);
    });
  };
  collect(child.stdout, stdout);
  collect(child.stderr, stderr);
  let running = true;
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.on("close", (code, signal) => {
      running = false;
      for (const w of watchers) w();
      resolve({ code, signal });
    });
  });
  const dump = () => `stdout:\n${stdout.join("\n")}\nstderr:\n${stderr.join("\n")}`;
  return {
    process: child,
    stdout,
    stderr,
    exited,
    dump,
    terminate() {
      // Not child.kill(): after it, Deno's node:child_process reports the signal instead of
      // the exit code the process chose (deno 2.9).
      process.kill(child.pid!, "SIGTERM");
    },
    kill() {
      if (running) child.kill("SIGKILL");
    },
    waitForLine(match, ms) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = stdout.find(match);
          if (found !== undefined) done(() => resolve(found));
          else if (!running) done(() => reject(new Error(`The CLI exited before the line appeared:\n${dump()}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`No such line after ${ms} ms:\n${dump()}`))), ms);
        const done = (settle: () => void) => {
          clearTimeout(timer);
          watchers.delete(check);
          settle();
        };
        watchers.add(check);
        check();
      });
    },
  };
}


/**
 * The RawSocket listener answers a handshake (WAMP spec "RawSocket Transport": 0x7F, then max
 * length exponent and serializer, then two reserved bytes) with one of its own.
 */
function rawSocketHandshake(url: URL): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port) });
    const timer = setTimeout(() => fail(new Error("No RawSocket handshake reply")), 10_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.on("error", fail);
    socket.on("connect", () => socket.write(new Uint8Array([0x7f, 0xf1, 0, 0])));
    socket.once("data", (reply: Uint8Array) => {
      clearTimeout(timer);
      socket.destroy();
      if (reply[0] === 0x7f && (reply[1]! & 0x0f) === 1) resolve();
      else reject(new Error(`Unexpected RawSocket handshake reply: ${[...reply].join(",")}`));
    });
  });
}
