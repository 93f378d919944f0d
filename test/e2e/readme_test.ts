/**
 * The README stays true: every JSON configuration in it passes the schema, the quick-start
 * autobahn-js snippet works against the embedded default, and the secured configuration works
 * as written (each user joins with its method; the admin API adds a user who can then join).
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
// @ts-expect-error TS7016: autobahn ships no type declarations (used as `any` below)
import autobahn from "autobahn";
import { runtime, test } from "../_support/harness.ts";
import { startCli } from "../_support/cli_process.ts";
import { connectWebSocket, deferred, withTimeout } from "../_support/raw_client.ts";
import { parseConfig } from "../../src/config/load.ts";

// deno-lint-ignore no-explicit-any
type Any = any; // any: autobahn's API is untyped

const ab = autobahn as Any;
ab.log.warn = () => {};

const README = new URL("../../README.md", import.meta.url);
/** The seed of the README's `sensor-7` key (32 bytes of 0x07), for this test only. */
const SENSOR_SEED = new Uint8Array(32).fill(7);

async function readmeJsonBlocks(): Promise<string[]> {
  const text = await readFile(README, "utf8");
  return [...text.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

test("readme: every JSON configuration in the README passes the schema", async () => {
  const blocks = await readmeJsonBlocks();
  assert.ok(blocks.length >= 3, "the default, the limits and the secured configuration");
  for (const block of blocks) parseConfig(block, "README.md");
});

/** Opens an autobahn-js connection; resolves with the session, or the close details. */
async function autobahnJoin(url: string, realm: string, extra: Record<string, unknown> = {}) {
  const opened = deferred<Any>();
  const conn = new ab.Connection({
    url,
    realm,
    max_retries: 0,
    retry_if_unreachable: false,
    on_user_error: () => {},
    on_internal_error: () => {},
    ...extra,
  });
  conn.onopen = (session: Any, details: Any) => opened.resolve({ session, details });
  conn.onclose = (reason: string, details: Any) => {
    opened.resolve({ reason, details });
    return true;
  };
  conn.open();
  const got = await withTimeout<Any>(opened.promise, `a session in ${realm}`, 20_000);
  return { ...got, close: () => conn.close() };
}

test(`readme (${runtime}): the quick start and the secured configuration work as written`, async () => {
  const blocks = await readmeJsonBlocks();
  const secured = JSON.parse(blocks.find((b) => b.includes('"security"'))!) as Record<string, unknown>;
  const dir = await mkdtemp(join(tmpdir(), "junction-readme-"));
  const configFile = join(dir, "junction.json");
  // Only the listeners and the data file move: ephemeral ports and a private directory.
  await writeFile(configFile, JSON.stringify({ ...secured, storage: { path: join(dir, "junction.db") } }));
  const cli = startCli(["--config", configFile, "--port", "0", "--no-rawsocket"]);
  const sessions: Array<{ close(): void }> = [];
  try {
    const url = await cli.listeningUrl();

    // Quick start, against the open realm1.
    const quick = await autobahnJoin(url, "realm1");
    sessions.push(quick);
    const session = quick.session;
    await session.register("com.example.add", ([a, b]: number[]) => a! + b!);
    assert.equal(await session.call("com.example.add", [2, 3]), 5);
    const heard = deferred<unknown>();
    await session.subscribe("com.example.hello", ([msg]: unknown[]) => heard.resolve(msg));
    await session.publish("com.example.hello", ["hi"], {}, { acknowledge: true, exclude_me: false });
    assert.equal(await withTimeout(heard.promise, "the event"), "hi");

    // Ticket.
    const tina = await autobahnJoin(url, "com.example", {
      authmethods: ["ticket"],
      authid: "tina",
      onchallenge: () => "ticket-secret",
    });
    sessions.push(tina);
    assert.equal(tina.details?.authrole, "dev", JSON.stringify(tina));
    // The dev grant: register under com.example.dev., not elsewhere.
    await tina.session.register("com.example.dev.echo", (args: unknown[]) => args[0]);
    await assert.rejects(tina.session.register("com.example.other", () => 1), (e: Any) => e.error === "wamp.error.not_authorized");

    // WAMP-CRA, with the README's onchallenge.
    const carl = await autobahnJoin(url, "com.example", {
      authmethods: ["wampcra"],
      authid: "carl",
      onchallenge: (_s: Any, _m: string, extra: Any) =>
        ab.auth_cra.sign(ab.auth_cra.derive_key("cra-secret", extra.salt, extra.iterations, extra.keylen), extra.challenge),
    });
    sessions.push(carl);
    assert.equal(carl.details?.authmethod, "wampcra", JSON.stringify(carl));
    assert.equal(await carl.session.call("com.example.dev.echo", ["from carl"]), "from carl", "staff may call");

    // Cryptosign, with the key whose public half the README lists.
    const pkey = ab.nacl.sign.keyPair.fromSeed(SENSOR_SEED);
    const sensor = await autobahnJoin(url, "com.example", {
      authmethods: ["cryptosign"],
      authid: "sensor-7",
      authextra: { pubkey: ab.auth_cryptosign.public_key(pkey) },
      onchallenge: (_s: Any, _m: string, extra: Any) => ab.auth_cryptosign.sign_challenge(pkey, extra),
    });
    sessions.push(sensor);
    assert.equal(sensor.details?.authrole, "device", JSON.stringify(sensor));
    await sensor.session.publish("com.example.sensor7.telemetry", [21.5], {}, { acknowledge: true });

    // A wrong password is refused.
    const wrong = await autobahnJoin(url, "com.example", { authmethods: ["ticket"], authid: "tina", onchallenge: () => "nope" });
    assert.equal(wrong.details?.reason, "wamp.error.authentication_failed", JSON.stringify(wrong));

    // The admin API, as the README shows it: root adds nina, who then joins.
    const admin = await connectWebSocket(url);
    sessions.push(admin);
    admin.send([1, "junction.admin", { roles: { caller: {} }, authmethods: ["ticket"], authid: "root" }]);
    assert.equal((await admin.next(20_000))[0], 4);
    admin.send([5, "change-me-now", {}]);
    assert.equal((await admin.next(20_000))[0], 2);
    admin.send([48, 1, {}, "junction.user.add", ["com.example", { authid: "nina", password: "s3cret", groups: ["dev"] }]]);
    const added = await admin.next(30_000);
    assert.equal(added[0], 50, JSON.stringify(added));
    const nina = await autobahnJoin(url, "com.example", { authmethods: ["ticket"], authid: "nina", onchallenge: () => "s3cret" });
    sessions.push(nina);
    assert.equal(nina.details?.authrole, "dev", JSON.stringify(nina));
  } finally {
    for (const s of sessions) {
      try {
        s.close();
      } catch {
        // already closed
      }
    }
    cli.kill();
    await cli.exited;
    await rm(dir, { recursive: true, force: true });
  }
}, { timeout: 120_000 });
