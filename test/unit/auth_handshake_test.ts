import assert from "node:assert/strict";
import { test } from "../_support/harness.ts";
import { FakeClock } from "../_support/fake_clock.ts";
import { SeededRandom } from "../_support/seeded_random.ts";
import { MemoryClient } from "../_support/memory_client.ts";
import { Router } from "../../src/router/router.ts";
import type { Authenticator, AuthOutcome, HelloInfo } from "../../src/auth/types.ts";
import type { Authorizer } from "../../src/auth/authorizer.ts";

const ROLES = { roles: { caller: {}, callee: {}, publisher: {}, subscriber: {} } };

/** A ticket check in memory: "secret" for any authid, role "user". */
const ticketAuth: Authenticator = {
  hello(info: HelloInfo): Promise<AuthOutcome> {
    if (!info.authmethods.includes("ticket")) {
      return Promise.resolve({ kind: "abort", reason: "wamp.error.no_auth_method", message: "ticket required" });
    }
    return Promise.resolve({
      kind: "challenge",
      authmethod: "ticket",
      extra: {},
      next: (signature) =>
        Promise.resolve(
          signature === "secret"
            ? { kind: "welcome", identity: { authid: info.authid ?? "x", authrole: "user", authmethod: "ticket", authprovider: "static", authextra: { k: 1 } } }
            : { kind: "abort", reason: "wamp.error.authentication_failed", message: "wrong ticket" },
        ),
    });
  },
};

/** Lets async authentication steps settle. */
const settle = () => new Promise((r) => setTimeout(r, 0));

function setup(authenticator: Authenticator, authorizer?: Authorizer) {
  const clock = new FakeClock();
  const router = new Router({
    realms: [{ name: "realm1", authenticator, ...(authorizer ? { authorizer } : {}) }],
    clock,
    random: new SeededRandom(5),
    helloTimeoutMs: 1000,
  });
  return { router, clock, client: () => new MemoryClient(router) };
}

test("auth: CHALLENGE, AUTHENTICATE, WELCOME with the identity and authextra", async () => {
  const { client } = setup(ticketAuth);
  const c = client();
  c.send([1, "realm1", { ...ROLES, authmethods: ["ticket"], authid: "alice" }]);
  await settle();
  assert.deepEqual(c.take(), [4, "ticket", {}]);
  c.send([5, "secret", {}]);
  await settle();
  const w = c.take();
  assert.equal(w[0], 2);
  const d = w[2] as Record<string, unknown>;
  assert.equal(d.authid, "alice");
  assert.equal(d.authrole, "user");
  assert.equal(d.authmethod, "ticket");
  assert.deepEqual(d.authextra, { k: 1 });
});

test("auth: wrong credentials and missing methods get ABORT", async () => {
  const { client } = setup(ticketAuth);
  const c = client();
  c.send([1, "realm1", { ...ROLES, authmethods: ["ticket"], authid: "alice" }]);
  await settle();
  c.take();
  c.send([5, "nope", {}]);
  await settle();
  assert.deepEqual(c.take(), [3, { message: "wrong ticket" }, "wamp.error.authentication_failed"]);
  assert.equal(c.closed, true);
  const d = client();
  d.send([1, "realm1", ROLES]);
  await settle();
  assert.equal(d.take()[2], "wamp.error.no_auth_method");
});

test("auth: messages out of turn during the handshake are protocol violations", async () => {
  const { client } = setup(ticketAuth);
  const c = client();
  c.send([1, "realm1", { ...ROLES, authmethods: ["ticket"] }]);
  c.send([32, 1, {}, "t"]);
  assert.equal(c.take()[2], "wamp.error.protocol_violation");
  await settle();
  assert.equal(c.inbox.length, 0, "the late CHALLENGE is not sent to a dead session");
  const d = client();
  d.send([1, "realm1", { ...ROLES, authmethods: ["ticket"] }]);
  await settle();
  d.take();
  d.send([48, 1, {}, "p"]);
  assert.equal(d.take()[2], "wamp.error.protocol_violation");
});

test("auth: a handshake that does not finish in time is aborted", async () => {
  const { client, clock } = setup(ticketAuth);
  const c = client();
  c.send([1, "realm1", { ...ROLES, authmethods: ["ticket"] }]);
  await settle();
  c.take();
  clock.advance(1000);
  assert.equal(c.take()[2], "wamp.error.authentication_failed");
  assert.equal(c.closed, true);
});

test("auth: an authenticator that throws ends in authentication_failed", async () => {
  const broken: Authenticator = { hello: () => Promise.reject(new Error("store down")) };
  const { client } = setup(broken);
  const c = client();
  c.send([1, "realm1", ROLES]);
  await settle();
  assert.equal(c.take()[2], "wamp.error.authentication_failed");
});

test("authorization: denied requests get not_authorized and change nothing", async () => {
  const onlyPublic: Authorizer = { authorize: (_id, _action, uri) => uri.startsWith("public.") };
  const { client } = setup(ticketAuth, onlyPublic);
  const join = async () => {
    const c = client();
    c.send([1, "realm1", { ...ROLES, authmethods: ["ticket"] }]);
    await settle();
    c.take();
    c.send([5, "secret", {}]);
    await settle();
    assert.equal(c.take()[0], 2);
    return c;
  };
  const a = await join();
  const b = await join();
  for (const [code, rest] of [[64, [{}, "private.p"]], [32, [{}, "private.t"]], [48, [{}, "private.p"]], [16, [{ acknowledge: true }, "private.t"]]] as Array<[number, unknown[]]>) {
    const r = a.request(code, ...rest);
    assert.deepEqual(a.take().slice(0, 5), [8, code, r, {}, "wamp.error.not_authorized"]);
  }
  a.request(16, {}, "private.t");
  assert.equal(a.inbox.length, 0, "unacknowledged refused publish: no answer");
  a.request(64, {}, "public.p");
  assert.equal(a.take()[0], 65);
  b.request(48, {}, "public.p");
  assert.equal(a.take()[0], 68);
});

test("auth: malformed AUTHENTICATE messages are protocol violations", async () => {
  for (const bad of [[5, 123, {}], [5, "sig"], [5, "sig", []], [5, "sig", {}, "extra"], [5, null, {}]]) {
    const { client } = setup(ticketAuth);
    const c = client();
    c.send([1, "realm1", { ...ROLES, authmethods: ["ticket"] }]);
    await settle();
    assert.equal(c.take()[0], 4);
    c.send(bad);
    const m = c.take();
    assert.deepEqual([m[0], m[2]], [3, "wamp.error.protocol_violation"], JSON.stringify(bad));
    assert.match(String((m[1] as { message: string }).message), /AUTHENTICATE/);
    assert.equal(c.closed, true);
  }
});
