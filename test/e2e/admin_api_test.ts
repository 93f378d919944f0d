/**
 * The admin API end to end, on the runtime running this test: the `junction` CLI is started as
 * a child process with a secured realm and the admin realm, an admin adds a user over WAMP,
 * the user joins with its password; then the router is killed with SIGKILL, restarted on the
 * same data file, and the user still joins (the change was durable when the call returned).
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runtime, test } from "../_support/harness.ts";
import { startCli } from "../_support/cli_process.ts";
import { WampClient } from "../_support/json_ws_client.ts";

const TIMEOUT = 120_000;

const CONFIG = {
  realms: [
    { name: "realm1" },
    {
      name: "com.app",
      security: {
        users: [{ authid: "alice", password: "alice-secret", groups: ["dev"] }],
        groups: [{ name: "dev" }],
        grants: [{ roles: ["dev"], actions: ["call", "register", "subscribe", "publish"], uri: "com.app.", match: "prefix" }],
        sources: [{ cidr: "127.0.0.0/8", authmethods: ["ticket", "wampcra"] }, { cidr: "::1/128", authmethods: ["ticket", "wampcra"] }],
      },
    },
  ],
  admin: { users: [{ authid: "root", password: "root-secret", authmethods: ["ticket"] }] },
  transports: { websocket: { host: "127.0.0.1" }, rawsocket: { enabled: false } },
};

test(`admin api (${runtime}): a user added over WAMP joins, and still joins after kill -9 and a restart`, async () => {
  const dir = await mkdtemp(join(tmpdir(), "junction-admin-"));
  const configFile = join(dir, "junction.json");
  const dataFile = join(dir, "junction.db");
  await writeFile(configFile, JSON.stringify(CONFIG));
  const args = ["--config", configFile, "--data", dataFile, "--port", "0"];
  let cli = startCli(args);
  const clients: WampClient[] = [];
  try {
    let url = await cli.listeningUrl();

    // The configured user joins; a wrong password does not.
    const alice = await WampClient.open(url, clients);
    assert.equal((await alice.join("com.app", "alice", "alice-secret"))[0], 2, cli.dump());
    const wrong = await WampClient.open(url, clients);
    assert.deepEqual((await wrong.join("com.app", "alice", "nope")).slice(0, 3), [3, { message: "authentication failed" }, "wamp.error.authentication_failed"]);

    // An admin adds a user; the answer comes once the change is durable.
    const admin = await WampClient.open(url, clients);
    const welcome = await admin.join("junction.admin", "root", "root-secret");
    assert.equal(welcome[0], 2, `${JSON.stringify(welcome)}\n${cli.dump()}`);
    const added = await admin.call("junction.user.add", ["com.app", { authid: "nina", password: "nina-secret", groups: ["dev"] }]);
    assert.equal(added[0], 50, JSON.stringify(added));
    assert.equal((added[3] as { authrole: string }[])[0]!.authrole, "dev");

    const nina = await WampClient.open(url, clients);
    const w = await nina.join("com.app", "nina", "nina-secret");
    assert.equal(w[0], 2, JSON.stringify(w));
    assert.equal((w[2] as { authrole: string }).authrole, "dev");
    const reg = await nina.request([64, 1, {}, "com.app.nina.echo"]);
    assert.equal(reg[0], 65, `the dev grant applies: ${JSON.stringify(reg)}`);
    const denied = await nina.request([64, 2, {}, "com.other.echo"]);
    assert.equal(denied[4], "wamp.error.not_authorized");

    // Clients of the open realm cannot reach the admin API, nor claim its namespace.
    const anon = await WampClient.open(url, clients);
    anon.send([1, "realm1", { roles: { caller: {}, callee: {} } }]);
    assert.equal((await anon.next())[0], 2);
    assert.equal((await anon.request([48, 1, {}, "junction.user.list", ["com.app"]]))[4], "wamp.error.no_such_procedure");
    assert.equal((await anon.request([64, 2, {}, "junction.user.list"]))[4], "wamp.error.invalid_uri");

    // Crash: no GOODBYE, no clean close of the data file.
    for (const c of clients.splice(0)) c.close();
    cli.process.kill("SIGKILL");
    await cli.exited;
    for (const f of [dataFile, `${dataFile}-wal`]) {
      const bytes = await readFile(f).catch(() => new Uint8Array());
      assert.ok(!Buffer.from(bytes).includes("nina-secret"), `no clear password in ${f}`);
    }

    cli = startCli(args);
    url = await cli.listeningUrl();
    const again = await WampClient.open(url, clients);
    const w2 = await again.join("com.app", "nina", "nina-secret");
    assert.equal(w2[0], 2, `after the restart: ${JSON.stringify(w2)}\n${cli.dump()}`);
    const alice2 = await WampClient.open(url, clients);
    assert.equal((await alice2.join("com.app", "alice", "alice-secret"))[0], 2, "the seeded user too");
    const admin2 = await WampClient.open(url, clients);
    assert.equal((await admin2.join("junction.admin", "root", "root-secret"))[0], 2);
    const users = await admin2.call("junction.user.list", ["com.app"]);
    assert.deepEqual((users[3] as { authid: string }[][])[0]!.map((u) => u.authid).sort(), ["alice", "nina"]);
    assert.ok(!cli.stdout.some((l) => l.includes("seeded")), `the stored model is used, not re-seeded:\n${cli.dump()}`);

    // Deleting a user ends its open sessions at once.
    const deleted = await admin2.call("junction.user.delete", ["com.app", "nina"]);
    assert.equal(deleted[0], 50, JSON.stringify(deleted));
    const bye = await again.next();
    assert.deepEqual([bye[0], bye[2]], [6, "wamp.close.killed"], JSON.stringify(bye));
    const gone = await WampClient.open(url, clients);
    assert.equal((await gone.join("com.app", "nina", "nina-secret"))[2], "wamp.error.authentication_failed");
  } finally {
    for (const c of clients) c.close();
    cli.kill();
    await cli.exited;
    await rm(dir, { recursive: true, force: true });
  }
}, { timeout: TIMEOUT });

