/**
 * Authentication end to end: real clients over loopback WebSockets against a router started
 * on the runtime's own adapter, with `realmAuthenticator` over an in-memory credential store.
 *
 * - AutobahnJS 26.3.1: ticket, salted WAMP-CRA (its own `auth_cra.derive_key` / `sign`) and
 *   cryptosign (its own `auth_cryptosign.sign_challenge`, tweetnacl). AutobahnJS has no
 *   WAMP-SCRAM (lib/auth has cra, cryptosign and persona only) and no Argon2, so WAMP-SCRAM is
 *   tested twice without a library implementation: with raw frames over a WebSocket, and with
 *   AutobahnJS carrying a hand-written SCRAM client through its `onchallenge` hook (which may
 *   answer `[signature, extra]`), for both KDFs.
 * - Wampy.js 8: its wampcra and cryptosign plugins (`wampy/wampcra.js`, `wampy/cryptosign.js`).
 * @module
 */
import assert from "node:assert/strict";
// @ts-expect-error TS7016: autobahn ships no type declarations (used as `any` below)
import autobahn from "autobahn";
import { Wampy } from "wampy";
import * as wampyCra from "wampy/wampcra.js";
import * as wampyCryptosign from "wampy/cryptosign.js";
import { test } from "../_support/harness.ts";
import { startServer, type TestServer } from "../_support/server.ts";
import { connectWebSocket, deferred, withTimeout } from "../_support/raw_client.ts";
import { systemClock } from "../../src/platform/clock.ts";
import { webRandom } from "../../src/platform/random.ts";
import type { CredentialStore, UserCredentials, UserRecord } from "../../src/auth/credentials.ts";
import { realmAuthenticator } from "../../src/auth/policy.ts";
import { FailureThrottle } from "../../src/auth/throttle.ts";
import { deriveSecret, scramCredential, scramKeys, scramSaltedPassword } from "../../src/auth/derive.ts";
import { decodeBase64, encodeBase64, fromHex, toHex } from "../../src/auth/crypto.ts";
import { clientProof, serverSignature, specAuthMessage } from "../../src/auth/scram_math.ts";

// deno-lint-ignore no-explicit-any
type Any = any; // any: autobahn and wampy's auth plumbing are loosely typed

const ab = autobahn as Any;
ab.log.warn = () => {};

const T = { timeout: 30_000 };
const REALM = "secure";

// --- the realm's users ---

class Store implements CredentialStore {
  readonly users = new Map<string, UserRecord>();
  readonly anonymousRole = undefined;
  methodsFor(): readonly string[] {
    return ["ticket", "wampcra", "cryptosign", "wamp-scram"];
  }
  user(authid: string): UserRecord | undefined {
    return this.users.get(authid);
  }
  add(authid: string, authrole: string, credentials: UserCredentials): void {
    this.users.set(authid, { authid, authrole, enabled: true, credentials });
  }
}

const SEED = "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510";
const PUBKEY = "1adfc8bfe1d35616e64dffbd900096f23b066f914c8c2ffbb66f6075b96e116d";
const SEED2 = "d511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd";

async function makeStore(): Promise<Store> {
  const s = new Store();
  s.add("alice", "ticket-user", { ticket: await deriveSecret("ticket secret") });
  // A non-default salt length, iteration count and key length, which the clients must follow.
  s.add("carol", "cra-user", { wampcra: await deriveSecret("cra secret", { iterations: 1500, keylen: 24 }) });
  const second = ab.nacl.sign.keyPair.fromSeed(fromHex(SEED2));
  s.add("dave", "device", { cryptosign: { authorizedKeys: [PUBKEY, toHex(second.publicKey)] } });
  s.add("sam", "scram-user", { scram: await scramCredential("pencil", "pbkdf2", { iterations: 4096 }) });
  s.add("argo", "scram-user", { scram: await scramCredential("p4ssw0rd", "argon2id13", { iterations: 2, memory: 1024 }) });
  return s;
}

async function withRouter(fn: (s: TestServer) => Promise<void>): Promise<void> {
  const store = await makeStore();
  const authenticator = realmAuthenticator(store, {
    random: webRandom,
    clock: systemClock,
    throttle: new FailureThrottle(systemClock),
  });
  const s = await startServer({ realms: [{ name: REALM, authenticator }] });
  try {
    await fn(s);
  } finally {
    await s.stop();
  }
}

// --- AutobahnJS ---

interface AbResult {
  /** WELCOME details as autobahn exposes them. */
  readonly details?: Any;
  /** Why the connection closed before a session opened. */
  readonly abort?: { reason: string; details: Any };
  close(): Promise<void>;
}

async function autobahnJoin(s: TestServer, opts: { authmethods: string[]; authid?: string; authextra?: Any; onchallenge: Any }): Promise<AbResult> {
  const opened = deferred<Any>();
  const closed = deferred<{ reason: string; details: Any }>();
  const conn = new ab.Connection({
    realm: REALM,
    transports: [{ type: "websocket", url: s.url }],
    max_retries: 0,
    retry_if_unreachable: false,
    use_es6_promises: true,
    on_user_error: () => {},
    on_internal_error: () => {},
    ...opts,
  });
  conn.onopen = (session: Any, details: Any) => opened.resolve({ session, details });
  conn.onclose = (reason: string, details: Any) => {
    closed.resolve({ reason, details });
    opened.resolve(undefined);
    return true;
  };
  conn.open();
  const got = await withTimeout<Any>(opened.promise, "the autobahn session to open or close");
  const close = async () => {
    try {
      conn.close();
    } catch {
      // already closed
    }
    await withTimeout(closed.promise, "the autobahn connection to close");
  };
  if (!got) return { abort: await closed.promise, close: () => Promise.resolve() };
  return { details: got.details, close };
}

test("autobahn-js ticket: the right ticket joins, a wrong one is refused with authentication_failed", async () => {
  await withRouter(async (s) => {
    const ok = await autobahnJoin(s, { authmethods: ["ticket"], authid: "alice", onchallenge: (_s: Any, method: string) => {
      assert.equal(method, "ticket");
      return "ticket secret";
    } });
    assert.equal(ok.details?.authid, "alice");
    assert.equal(ok.details?.authrole, "ticket-user");
    assert.equal(ok.details?.authmethod, "ticket");
    await ok.close();
    const bad = await autobahnJoin(s, { authmethods: ["ticket"], authid: "alice", onchallenge: () => "guess" });
    assert.equal(bad.abort?.details.reason, "wamp.error.authentication_failed");
    assert.equal(bad.abort?.details.message, "authentication failed");
  });
}, T);

test("autobahn-js wampcra: salted CHALLENGE signed with auth_cra.derive_key and auth_cra.sign", async () => {
  await withRouter(async (s) => {
    // autobahn's derive_key agrees with the checklist's vector, hence with deriveSecret.
    assert.equal(ab.auth_cra.derive_key("cra-salt-secret", "cra-salt", 1000, 32), "vHa23Jd8NbCNOP6Hp53ZpCNbc2ZjLRdfB3pY1ltlL4U=");
    const sign = (secret: string) => (_s: Any, method: string, extra: Any) => {
      assert.equal(method, "wampcra");
      assert.equal(typeof extra.salt, "string");
      const key = ab.auth_cra.derive_key(secret, extra.salt, extra.iterations, extra.keylen);
      return ab.auth_cra.sign(key, extra.challenge);
    };
    const ok = await autobahnJoin(s, { authmethods: ["wampcra"], authid: "carol", onchallenge: sign("cra secret") });
    assert.equal(ok.details?.authid, "carol");
    assert.equal(ok.details?.authrole, "cra-user");
    assert.equal(ok.details?.authmethod, "wampcra");
    await ok.close();
    const bad = await autobahnJoin(s, { authmethods: ["wampcra"], authid: "carol", onchallenge: sign("wrong") });
    const ghost = await autobahnJoin(s, { authmethods: ["wampcra"], authid: "nobody", onchallenge: sign("cra secret") });
    assert.equal(bad.abort?.details.reason, "wamp.error.authentication_failed");
    assert.deepEqual(ghost.abort?.details, bad.abort?.details);
  });
}, T);

test("autobahn-js cryptosign: auth_cryptosign.sign_challenge (96-byte answer) with either of the user's keys", async () => {
  await withRouter(async (s) => {
    for (const seed of [SEED, SEED2]) {
      const pkey = ab.nacl.sign.keyPair.fromSeed(fromHex(seed));
      const ok = await autobahnJoin(s, {
        authmethods: ["cryptosign"],
        authid: "dave",
        authextra: { pubkey: ab.auth_cryptosign.public_key(pkey) },
        onchallenge: (_s: Any, method: string, extra: Any) => {
          assert.equal(method, "cryptosign");
          assert.match(extra.challenge, /^[0-9a-f]{64}$/);
          return ab.auth_cryptosign.sign_challenge(pkey, extra);
        },
      });
      assert.equal(ok.details?.authid, "dave");
      assert.equal(ok.details?.authmethod, "cryptosign");
      await ok.close();
    }
    const stranger = ab.nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(9));
    const bad = await autobahnJoin(s, {
      authmethods: ["cryptosign"],
      authid: "dave",
      authextra: { pubkey: ab.auth_cryptosign.public_key(stranger) },
      onchallenge: (_s: Any, _m: string, extra: Any) => ab.auth_cryptosign.sign_challenge(stranger, extra),
    });
    assert.equal(bad.abort?.details.reason, "wamp.error.authentication_failed");
  });
}, T);

/** A spec WAMP-SCRAM client step: ClientProof and AUTHENTICATE extra for a CHALLENGE. */
async function scramAnswer(password: string, authid: string, clientNonce: string, extra: Any): Promise<{ signature: string; extra: Any; expectedVerifier: string }> {
  const salted = await scramSaltedPassword(password, extra.kdf, decodeBase64(extra.salt), extra.iterations, extra.memory ?? undefined);
  const keys = await scramKeys(salted);
  const am = specAuthMessage({ authid, clientNonce, combinedNonce: extra.nonce, salt: extra.salt, iterations: extra.iterations, cbindName: null, cbindData: null });
  return {
    signature: encodeBase64(await clientProof(keys.clientKey, keys.storedKey, am)),
    extra: { nonce: extra.nonce, channel_binding: null, cbind_data: null },
    expectedVerifier: "v=" + encodeBase64(await serverSignature(keys.serverKey, am)),
  };
}

test("wamp-scram with raw frames over WebSocket: pbkdf2 and argon2id13, then a wrong password", async () => {
  await withRouter(async (s) => {
    for (const [authid, password, kdf] of [["sam", "pencil", "pbkdf2"], ["argo", "p4ssw0rd", "argon2id13"], ["sam", "pen", "pbkdf2"]] as const) {
      const c = await connectWebSocket(s.url);
      try {
        const nonce = encodeBase64(crypto.getRandomValues(new Uint8Array(16)));
        const ch = await c.hello(REALM, { authmethods: ["wamp-scram"], authid, authextra: { nonce, channel_binding: null } });
        assert.equal(ch[0], 4, JSON.stringify(ch));
        assert.equal(ch[1], "wamp-scram");
        const extra = ch[2] as Any;
        assert.equal(extra.kdf, kdf);
        assert.ok(extra.nonce.startsWith(nonce));
        const answer = await scramAnswer(password, authid, nonce, extra);
        c.send([5, answer.signature, answer.extra]);
        const final = await c.next();
        if (password === "pen") {
          assert.deepEqual(final, [3, { message: "authentication failed" }, "wamp.error.authentication_failed"]);
          await withTimeout(c.closed, "the router to close the transport");
        } else {
          assert.equal(final[0], 2, JSON.stringify(final));
          const d = final[2] as Any;
          assert.deepEqual([d.authid, d.authrole, d.authmethod], [authid, "scram-user", "wamp-scram"]);
          assert.equal(d.authextra.verifier, answer.expectedVerifier, "the client can check the server");
        }
      } finally {
        c.close();
      }
    }
  });
}, T);

test("autobahn-js carrying a hand-written wamp-scram client through onchallenge", async () => {
  await withRouter(async (s) => {
    const nonce = encodeBase64(crypto.getRandomValues(new Uint8Array(16)));
    let verifier = "";
    const ok = await autobahnJoin(s, {
      authmethods: ["wamp-scram"],
      authid: "argo",
      authextra: { nonce, channel_binding: null },
      onchallenge: async (_s: Any, method: string, extra: Any) => {
        assert.equal(method, "wamp-scram");
        const a = await scramAnswer("p4ssw0rd", "argo", nonce, extra);
        verifier = a.expectedVerifier;
        return [a.signature, a.extra];
      },
    });
    assert.equal(ok.details?.authid, "argo", JSON.stringify(ok.abort));
    assert.equal(ok.details?.authmethod, "wamp-scram");
    assert.equal(ok.details?.authextra?.verifier, verifier);
    await ok.close();
  });
}, T);

// --- Wampy.js ---

/** The global WebSocket with the standard two-argument constructor Wampy's `ws` option expects. */
class GlobalWebSocket extends WebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols);
  }
}

async function wampyJoin(s: TestServer, opts: Record<string, unknown>): Promise<{ details?: Any; error?: Any; close(): Promise<void> }> {
  const closed = deferred<void>();
  const w = new Wampy(s.url, {
    realm: REALM,
    ws: GlobalWebSocket,
    autoReconnect: false,
    authMode: "auto",
    onClose: () => closed.resolve(),
    onError: () => {},
    ...opts,
  } as Any) as Any;
  try {
    const details = await withTimeout<Any>(w.connect(), "wampy to connect");
    return {
      details,
      async close() {
        await withTimeout<Any>(Promise.resolve(w.disconnect()).catch(() => {}), "wampy to disconnect");
      },
    };
  } catch (error) {
    return { error, close: () => Promise.resolve() };
  }
}

test("wampy wampcra plugin: salted CHALLENGE; wrong secret refused", async () => {
  await withRouter(async (s) => {
    const ok = await wampyJoin(s, { authid: "carol", authmethods: ["wampcra"], authPlugins: { wampcra: wampyCra.sign("cra secret") } });
    assert.equal(ok.details?.authid, "carol", String(ok.error?.message ?? ""));
    assert.equal(ok.details?.authmethod, "wampcra");
    await ok.close();
    const bad = await wampyJoin(s, { authid: "carol", authmethods: ["wampcra"], authPlugins: { wampcra: wampyCra.sign("nope") } });
    assert.equal(bad.error?.errorUri, "wamp.error.authentication_failed");
    assert.deepEqual(bad.error?.details, { message: "authentication failed" });
  });
}, T);

test("wampy cryptosign plugin: the 96-byte answer from a hex seed", async () => {
  await withRouter(async (s) => {
    const ok = await wampyJoin(s, {
      authid: "dave",
      authmethods: ["cryptosign"],
      authextra: { pubkey: PUBKEY },
      authPlugins: { cryptosign: wampyCryptosign.sign(SEED) },
    });
    assert.equal(ok.details?.authid, "dave", String(ok.error?.message ?? ""));
    assert.equal(ok.details?.authrole, "device");
    await ok.close();
    const bad = await wampyJoin(s, {
      authid: "dave",
      authmethods: ["cryptosign"],
      authextra: { pubkey: PUBKEY },
      authPlugins: { cryptosign: wampyCryptosign.sign("07".repeat(32)) },
    });
    assert.equal(bad.error?.errorUri, "wamp.error.authentication_failed");
    assert.deepEqual(bad.error?.details, { message: "authentication failed" });
  });
}, T);
