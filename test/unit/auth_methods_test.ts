/**
 * Every authentication method through the Router's handshake (src/auth/policy.ts over an
 * in-memory credential store): success and failure, identical refusals for unknown and known
 * authids, the spec's test vectors, JWT tickets and throttling on a fake clock.
 * @module
 */
import assert from "node:assert/strict";
import nodeCrypto from "node:crypto";
import { exportSPKI, generateKeyPair, SignJWT } from "jose";
import { test } from "../_support/harness.ts";
import { FakeClock } from "../_support/fake_clock.ts";
import { SeededRandom } from "../_support/seeded_random.ts";
import { Router } from "../../src/router/router.ts";
import type { RandomSource } from "../../src/platform/random.ts";
import type { ConnectionSink } from "../../src/platform/transport.ts";
import type { CredentialStore, JwtTicketSettings, UserCredentials, UserRecord } from "../../src/auth/credentials.ts";
import type { HelloInfo } from "../../src/auth/types.ts";
import { realmAuthenticator } from "../../src/auth/policy.ts";
import { FailureThrottle, type ThrottleOptions } from "../../src/auth/throttle.ts";
import { craDerivedKey, deriveSecret, scramCredential, scramKeys, scramSaltedPassword } from "../../src/auth/derive.ts";
import { decodeBase64, encodeBase64, fromHex, hmacSha256, toHex, utf8, xor } from "../../src/auth/crypto.ts";
import {
  clientProof,
  crossbarAuthMessage,
  serverSignature,
  specAuthMessage,
  verifyClientProof,
} from "../../src/auth/scram_math.ts";
import { saslprep } from "../../src/auth/saslprep.ts";

const ROLES = { roles: { caller: {}, callee: {}, publisher: {}, subscriber: {} } };
const FAILED = [3, { message: "authentication failed" }, "wamp.error.authentication_failed"];

// --- an in-memory credential store ---

class FakeStore implements CredentialStore {
  readonly users = new Map<string, UserRecord>();
  methods: readonly string[] = ["anonymous", "ticket", "wampcra", "cryptosign", "wamp-scram"];
  /** Per-address overrides of `methods`. */
  readonly byAddress = new Map<string, readonly string[]>();
  jwt: JwtTicketSettings | undefined;
  anonymousRole: string | undefined = "anonymous";

  user(authid: string): UserRecord | undefined {
    return this.users.get(authid);
  }
  methodsFor(remoteAddress: string | undefined): readonly string[] {
    return (remoteAddress && this.byAddress.get(remoteAddress)) || this.methods;
  }
  add(authid: string, credentials: UserCredentials, authrole = "user", enabled = true): void {
    this.users.set(authid, { authid, authrole, enabled, credentials });
  }
}

// --- a client that keeps the raw frames, on a transport with a chosen remote address ---

class Wire {
  readonly frames: string[] = [];
  closed = false;
  readonly #sink: ConnectionSink;

  constructor(router: Router, remoteAddress?: string) {
    this.#sink = router.acceptMessages({
      info: remoteAddress ? { kind: "websocket", remoteAddress } : { kind: "local" },
      protocol: "wamp.2.json",
      send: (frame) => {
        if (this.closed) return "closed";
        this.frames.push(typeof frame === "string" ? frame : new TextDecoder().decode(frame));
        return "ok";
      },
      close: () => {
        if (this.closed) return;
        this.closed = true;
        queueMicrotask(() => this.#sink.closed());
      },
    });
  }

  send(message: readonly unknown[]): void {
    this.#sink.message(JSON.stringify(message));
  }

  /** The next raw frame, waiting (in real time) for async crypto to finish. */
  async nextFrame(ms = 5000): Promise<string> {
    const until = Date.now() + ms;
    while (this.frames.length === 0) {
      if (Date.now() > until) throw new Error("no frame from the router in time");
      await new Promise((r) => setTimeout(r, 1));
    }
    return this.frames.shift()!;
  }

  async next(ms?: number): Promise<unknown[]> {
    return JSON.parse(await this.nextFrame(ms)) as unknown[];
  }

  hello(details: Record<string, unknown>, realm = "secure"): void {
    this.send([1, realm, { ...ROLES, ...details }]);
  }
}

/** Lets pending promise chains (but no real crypto) run. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
};

function setup(store: FakeStore, opts: { random?: RandomSource; throttle?: ThrottleOptions } = {}) {
  const clock = new FakeClock();
  const random = opts.random ?? new SeededRandom(7);
  const throttle = new FailureThrottle(clock, opts.throttle);
  const router = new Router({
    realms: [{ name: "secure", authenticator: realmAuthenticator(store, { random, clock, throttle }) }],
    clock,
    random: new SeededRandom(9),
    helloTimeoutMs: 24 * 3600_000,
  });
  return { router, clock, throttle, client: (address?: string) => new Wire(router, address) };
}

function details(msg: unknown[]): Record<string, unknown> {
  return msg[2] as Record<string, unknown>;
}

/** AUTHENTICATE's signature, or signature and extra. */
type Answer = string | [string, Record<string, unknown>?];

/** HELLO, expect CHALLENGE, answer it; returns [challenge extra, final frame]. */
async function handshake(
  w: Wire,
  hello: Record<string, unknown>,
  answer: (extra: Record<string, unknown>) => Answer | Promise<Answer>,
): Promise<{ extra: Record<string, unknown>; frame: string; final: unknown[] }> {
  w.hello(hello);
  const ch = await w.next();
  assert.equal(ch[0], 4, `expected CHALLENGE, got ${JSON.stringify(ch)}`);
  const extra = ch[2] as Record<string, unknown>;
  const a = await answer(extra);
  const [signature, ext] = typeof a === "string" ? [a] : a;
  w.send([5, signature, ext ?? {}]);
  const frame = await w.nextFrame();
  return { extra, frame, final: JSON.parse(frame) as unknown[] };
}

// --- Ed25519 helpers (Web Crypto, as a client would sign) ---

async function ed25519FromSeed(seedHex: string): Promise<{ sign: (m: Uint8Array) => Promise<Uint8Array>; pubkey: string }> {
  const seed = fromHex(seedHex)!;
  const pkcs8 = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20, ...seed]);
  const key = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, true, ["sign"]);
  const jwk = await crypto.subtle.exportKey("jwk", key);
  const b64 = jwk.x!.replace(/-/g, "+").replace(/_/g, "/") + "=";
  return { sign: async (m) => new Uint8Array(await crypto.subtle.sign("Ed25519", key, new Uint8Array(m))), pubkey: toHex(decodeBase64(b64)) };
}

/** A RandomSource that yields one byte value (the cryptosign vectors use an all-0xff challenge). */
const constantRandom = (byte: number): RandomSource => ({ bytes: (n) => new Uint8Array(n).fill(byte) });

// ================================================================ anonymous

test("anonymous: WELCOME without CHALLENGE, router-made authid, the realm's anonymous role", async () => {
  const store = new FakeStore();
  const { client } = setup(store);
  const a = client();
  a.hello({ authmethods: ["anonymous"], authid: "alice" });
  const w = await a.next();
  assert.equal(w[0], 2);
  assert.equal(details(w).authmethod, "anonymous");
  assert.equal(details(w).authrole, "anonymous");
  assert.match(String(details(w).authid), /^anonymous-[0-9a-f]{16}$/, "a requested authid is not honoured");
  const b = client();
  b.hello({});
  assert.equal(details(await b.next()).authmethod, "anonymous", "no authmethods counts as anonymous");
});

test("anonymous: refused with no_auth_method when the realm does not allow it", async () => {
  const store = new FakeStore();
  store.anonymousRole = undefined;
  const { client } = setup(store);
  const a = client();
  a.hello({});
  assert.deepEqual(await a.next(), [3, { message: "none of the offered authentication methods is available" }, "wamp.error.no_auth_method"]);
  const store2 = new FakeStore();
  store2.methods = ["ticket"];
  const b = setup(store2).client();
  b.hello({ authmethods: ["anonymous", "wampcra"], authid: "x" });
  assert.equal((await b.next())[2], "wamp.error.no_auth_method");
});

// ================================================================ ticket

test("ticket: the right ticket joins; wrong ticket, unknown authid and disabled user get byte-identical ABORTs", async () => {
  const store = new FakeStore();
  store.add("alice", { ticket: await deriveSecret("open sesame", { random: new SeededRandom(1) }) }, "member");
  store.add("bob", { ticket: await deriveSecret("bob's", { random: new SeededRandom(2) }) }, "member", false);
  const { client } = setup(store);

  const ok = await handshake(client(), { authmethods: ["ticket"], authid: "alice" }, () => ["open sesame"]);
  assert.deepEqual(ok.extra, {});
  assert.equal(ok.final[0], 2);
  assert.deepEqual(
    [details(ok.final).authid, details(ok.final).authrole, details(ok.final).authmethod, details(ok.final).authprovider],
    ["alice", "member", "ticket", "static"],
  );

  const frames: string[] = [];
  for (const [authid, ticket] of [["alice", "open sesame!"], ["nobody", "open sesame"], ["bob", "bob's"]] as const) {
    const w = client();
    const r = await handshake(w, { authmethods: ["ticket"], authid }, () => [ticket]);
    frames.push(r.frame);
    assert.equal(w.closed, true);
  }
  assert.deepEqual(JSON.parse(frames[0]!), FAILED);
  assert.equal(frames[1], frames[0]);
  assert.equal(frames[2], frames[0]);
});

test("ticket: a HELLO without authid is not usable for static tickets", async () => {
  const store = new FakeStore();
  store.anonymousRole = undefined;
  const c = setup(store).client();
  c.hello({ authmethods: ["ticket"] });
  assert.equal((await c.next())[2], "wamp.error.no_auth_method");
});

// ================================================================ JWT tickets

const JWT_SECRET = new TextEncoder().encode("a-very-long-shared-secret-for-hs256!");

async function hsToken(clock: FakeClock, claims: Record<string, unknown>, opts: { expIn?: number; secret?: Uint8Array; aud?: string; iss?: string } = {}) {
  const now = Math.floor(clock.now() / 1000);
  return await new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("carol")
    .setIssuedAt(now)
    .setExpirationTime(now + (opts.expIn ?? 60))
    .setIssuer(opts.iss ?? "https://issuer.example")
    .setAudience(opts.aud ?? "junction")
    .sign(opts.secret ?? JWT_SECRET);
}

function jwtStore(): FakeStore {
  const store = new FakeStore();
  store.jwt = { algorithm: "HS256", secret: encodeBase64(JWT_SECRET), issuer: "https://issuer.example", audience: "junction", roleClaim: "wamp_role" };
  return store;
}

test("jwt ticket: a valid token joins as its subject with the role claim, authprovider jwt", async () => {
  const store = jwtStore();
  const { client, clock } = setup(store);
  const token = await hsToken(clock, { wamp_role: "operator" });
  const r = await handshake(client(), { authmethods: ["ticket"] }, () => [token]);
  assert.equal(r.final[0], 2, r.frame);
  const d = details(r.final);
  assert.deepEqual([d.authid, d.authrole, d.authmethod, d.authprovider], ["carol", "operator", "ticket", "jwt"]);
  // A HELLO authid must match the subject.
  const m = await handshake(client(), { authmethods: ["ticket"], authid: "mallory" }, () => [token]);
  assert.deepEqual(m.final, FAILED);
});

test("jwt ticket: expired, wrong signature, wrong audience and missing role are refused alike", async () => {
  const store = jwtStore();
  const { client, clock } = setup(store);
  const expired = await hsToken(clock, { wamp_role: "operator" }, { expIn: 30 });
  clock.advance(31_000);
  const tokens = [
    expired,
    await hsToken(clock, { wamp_role: "operator" }, { secret: new TextEncoder().encode("another-secret-another-secret-12345") }),
    await hsToken(clock, { wamp_role: "operator" }, { aud: "someone-else" }),
    await hsToken(clock, { wamp_role: "operator" }, { iss: "https://evil.example" }),
    await hsToken(clock, {}),
  ];
  for (const t of tokens) {
    const r = await handshake(client(), { authmethods: ["ticket"] }, () => [t]);
    assert.deepEqual(r.final, FAILED);
  }
});

test("jwt ticket: a disabled user is refused even with a valid token", async () => {
  const store = jwtStore();
  store.add("carol", {}, "user", false);
  const { client, clock } = setup(store);
  const r = await handshake(client(), { authmethods: ["ticket"] }, async () => [await hsToken(clock, { wamp_role: "operator" })]);
  assert.deepEqual(r.final, FAILED);
});

test("jwt ticket: ES256 with an SPKI public key", async () => {
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  const store = new FakeStore();
  store.jwt = { algorithm: "ES256", publicKey: await exportSPKI(publicKey) };
  const { client, clock } = setup(store);
  const now = Math.floor(clock.now() / 1000);
  const token = await new SignJWT({ role: "device" }).setProtectedHeader({ alg: "ES256" }).setSubject("dev-1")
    .setExpirationTime(now + 60).sign(privateKey);
  const r = await handshake(client(), { authmethods: ["ticket"] }, () => [token]);
  assert.deepEqual([details(r.final).authid, details(r.final).authrole], ["dev-1", "device"]);
});

// ================================================================ WAMP-CRA

/** What autobahn and wampy compute: HMAC keyed with the base64 text of the derived key. */
async function craSign(secret: string, extra: Record<string, unknown>): Promise<string> {
  const key = await craDerivedKey(secret, String(extra.salt), Number(extra.iterations), Number(extra.keylen));
  return encodeBase64(await hmacSha256(utf8(key), utf8(String(extra.challenge))));
}

test("wampcra: salted derivation equals autobahn's derive_key (checklist vector) and Node's PBKDF2", async () => {
  const d = await deriveSecret("cra-salt-secret", { salt: "cra-salt" });
  assert.deepEqual(d, { salt: "cra-salt", iterations: 1000, keylen: 32, derivedKey: "vHa23Jd8NbCNOP6Hp53ZpCNbc2ZjLRdfB3pY1ltlL4U=" });
  assert.equal(encodeBase64(await hmacSha256(utf8(d.derivedKey), utf8("hello"))), "k5GQ5Wry/lCRDc5K9Gch7Az/gCxx1yVzxW+jYYmYPWg=");
  assert.equal(d.derivedKey, nodeCrypto.pbkdf2Sync("cra-salt-secret", "cra-salt", 1000, 32, "sha256").toString("base64"));
  const random = await deriveSecret("x", { random: new SeededRandom(3), iterations: 5000, keylen: 16 });
  assert.equal(decodeBase64(random.salt).length, 16);
  assert.equal(decodeBase64(random.derivedKey).length, 16);
  assert.equal(random.iterations, 5000);
});

test("wampcra: CHALLENGE carries the spec's JSON challenge and salt parameters; a correct signature joins", async () => {
  const store = new FakeStore();
  store.add("alice", { wampcra: await deriveSecret("s3cret", { random: new SeededRandom(4) }) }, "member");
  const { client, clock } = setup(store);
  const r = await handshake(client(), { authmethods: ["wampcra"], authid: "alice" }, (extra) => craSign("s3cret", extra));
  assert.deepEqual(Object.keys(r.extra).sort(), ["challenge", "iterations", "keylen", "salt"]);
  assert.equal(r.extra.iterations, 1000);
  assert.equal(r.extra.keylen, 32);
  const ch = JSON.parse(String(r.extra.challenge)) as Record<string, unknown>;
  assert.deepEqual(Object.keys(ch), ["authid", "authrole", "authmethod", "authprovider", "nonce", "timestamp", "session"]);
  assert.equal(ch.authid, "alice");
  assert.equal(ch.authmethod, "wampcra");
  assert.equal(ch.authprovider, "static");
  assert.equal(ch.authrole, "user", "the real role is not disclosed before authentication");
  assert.equal(ch.timestamp, new Date(clock.now()).toISOString());
  assert.ok(Number.isInteger(ch.session) && (ch.session as number) > 0);
  assert.equal(r.final[0], 2, r.frame);
  assert.deepEqual([details(r.final).authid, details(r.final).authrole, details(r.final).authmethod], ["alice", "member", "wampcra"]);
});

test("wampcra: unknown authid gets a stable mock salt and the same ABORT as a wrong secret", async () => {
  const store = new FakeStore();
  store.add("alice", { wampcra: await deriveSecret("s3cret", { random: new SeededRandom(4) }) });
  store.add("dave", { wampcra: await deriveSecret("d", { random: new SeededRandom(5) }) }, "user", false);
  const { client } = setup(store);
  const wrong = await handshake(client(), { authmethods: ["wampcra"], authid: "alice" }, (e) => craSign("guess", e));
  const ghost1 = await handshake(client(), { authmethods: ["wampcra"], authid: "ghost" }, (e) => craSign("guess", e));
  const ghost2 = await handshake(client(), { authmethods: ["wampcra"], authid: "ghost" }, (e) => craSign("guess", e));
  const disabled = await handshake(client(), { authmethods: ["wampcra"], authid: "dave" }, (e) => craSign("d", e));
  assert.deepEqual(wrong.final, FAILED);
  assert.equal(ghost1.frame, wrong.frame);
  assert.equal(disabled.frame, wrong.frame);
  assert.equal(ghost1.extra.salt, ghost2.extra.salt, "the mock salt is stable per authid");
  assert.equal(disabled.extra.salt, store.user("dave")!.credentials.wampcra!.salt, "disabling does not change the CHALLENGE");
  assert.deepEqual(Object.keys(ghost1.extra).sort(), Object.keys(wrong.extra).sort());
  assert.equal(decodeBase64(String(ghost1.extra.salt)).length, decodeBase64(String(wrong.extra.salt)).length);
  assert.deepEqual([ghost1.extra.iterations, ghost1.extra.keylen], [wrong.extra.iterations, wrong.extra.keylen]);
  const mock = await handshake(client(), { authmethods: ["wampcra"], authid: "other-ghost" }, (e) => craSign("guess", e));
  assert.notEqual(mock.extra.salt, ghost1.extra.salt, "different authids get different mock salts");
});

test("wampcra: a HELLO without authid cannot use it", async () => {
  const store = new FakeStore();
  store.anonymousRole = undefined;
  const c = setup(store).client();
  c.hello({ authmethods: ["wampcra"] });
  assert.equal((await c.next())[2], "wamp.error.no_auth_method");
});

// ================================================================ cryptosign

const VECTORS = [
  {
    channel_id: null,
    private_key: "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510",
    challenge: "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    signature:
      "b32675b221f08593213737bef8240e7c15228b07028e19595294678c90d11c0cae80a357331bfc5cc9fb71081464e6e75013517c2cf067ad566a6b7b728e5d03ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
  },
  {
    channel_id: null,
    private_key: "d511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd",
    challenge: "b26c1f87c13fc1da14997f1b5a71995dff8fbe0a62fae8473c7bdbd05bfb607d",
    signature:
      "d4209ad10d5aff6bfbc009d7e924795de138a63515efc7afc6b01b7fe5201372190374886a70207b042294af5bd64ce725cd8dceb344e6d11c09d1aaaf4d660fb26c1f87c13fc1da14997f1b5a71995dff8fbe0a62fae8473c7bdbd05bfb607d",
  },
  {
    channel_id: null,
    private_key: "6e1fde9cf9e2359a87420b65a87dc0c66136e66945196ba2475990d8a0c3a25b",
    challenge: "b05e6b8ad4d69abf74aa3be3c0ee40ae07d66e1895b9ab09285a2f1192d562d2",
    signature:
      "7beb282184baadd08f166f16dd683b39cab53816ed81e6955def951cb2ddad1ec184e206746fd82bda075af03711d3d5658fc84a76196b0fa8d1ebc92ef9f30bb05e6b8ad4d69abf74aa3be3c0ee40ae07d66e1895b9ab09285a2f1192d562d2",
  },
  {
    channel_id: "62e935ae755f3d48f80d4d59f6121358c435722a67e859cc0caa8b539027f2ff",
    private_key: "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510",
    challenge: "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    signature:
      "9b6f41540c9b95b4b7b281c3042fa9c54cef43c842d62ea3fd6030fcb66e70b3e80d49d44c29d1635da9348d02ec93f3ed1ef227dfb59a07b580095c2b82f80f9d16ca518aa0c2b707f2b2a609edeca73bca8dd59817a633f35574ac6fd80d00",
  },
  {
    channel_id: "62e935ae755f3d48f80d4d59f6121358c435722a67e859cc0caa8b539027f2ff",
    private_key: "d511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd",
    challenge: "b26c1f87c13fc1da14997f1b5a71995dff8fbe0a62fae8473c7bdbd05bfb607d",
    signature:
      "305aaa3ac25e98f651427688b3fc43fe7d8a68a7ec1d7d61c61517c519bd4a427c3015599d83ca28b4c652333920223844ef0725eb5dc2febfd6af7677b73f01d0852a29b460fc92ec943242ac638a053bbacc200512b18b30d15083cbdc9282",
  },
  {
    channel_id: "62e935ae755f3d48f80d4d59f6121358c435722a67e859cc0caa8b539027f2ff",
    private_key: "6e1fde9cf9e2359a87420b65a87dc0c66136e66945196ba2475990d8a0c3a25b",
    challenge: "b05e6b8ad4d69abf74aa3be3c0ee40ae07d66e1895b9ab09285a2f1192d562d2",
    signature:
      "ee3c7644fd8070532bc1fde3d70d742267da545d8c8f03e63bda63f1ad4214f4d2c4bfdb4eb9526def42deeb7e31602a6ff99eba893e0a4ad4d45892ca75e608d2b75e24a189a7f78ca776ba36fc53f6c3e31c32f251f2c524f0a44202f2902d",
  },
] as const;

/** A RandomSource that hands out the given bytes first (the vector's challenge), then zeros. */
function scriptedRandom(first: Uint8Array): RandomSource {
  let used = false;
  return {
    bytes(n) {
      if (!used && n === first.length) {
        used = true;
        return first.slice();
      }
      return new Uint8Array(n);
    },
  };
}

test("cryptosign: the spec's test vectors (with and without channel binding) are accepted as signatures", async () => {
  for (const v of VECTORS) {
    const key = await ed25519FromSeed(v.private_key);
    // Our signing of the expected message reproduces the vector: the message is right.
    const msg = v.channel_id ? xor(fromHex(v.challenge)!, fromHex(v.channel_id)!) : fromHex(v.challenge)!;
    assert.equal(toHex(await key.sign(msg)) + toHex(msg), v.signature);

    const store = new FakeStore();
    store.add("client01@example.com", { cryptosign: { authorizedKeys: [key.pubkey] } }, "user");
    const clock = new FakeClock();
    const auth = realmAuthenticator(store, {
      random: scriptedRandom(fromHex(v.challenge)!),
      clock,
      throttle: new FailureThrottle(clock),
      secret: new Uint8Array(32).fill(1),
    });
    const info: HelloInfo = {
      realm: "secure",
      sessionId: 1,
      authmethods: ["cryptosign"],
      authid: "client01@example.com",
      authrole: undefined,
      authextra: { pubkey: key.pubkey, ...(v.channel_id ? { channel_binding: "tls-unique" } : {}) },
      transport: { kind: "local" },
      ...(v.channel_id ? { channelBinding: { type: "tls-unique", data: fromHex(v.channel_id)! } } : {}),
    };
    const ch = await auth.hello(info);
    assert.equal(ch.kind, "challenge");
    if (ch.kind !== "challenge") return;
    assert.deepEqual(ch.extra, { challenge: v.challenge, channel_binding: v.channel_id ? "tls-unique" : null });
    const w = await ch.next(v.signature, {});
    assert.equal(w.kind, "welcome", `vector ${v.private_key.slice(0, 8)} cb=${v.channel_id !== null}`);
    // The 64-byte form (signature only) is accepted as well.
    const again = await auth.hello(info);
    if (again.kind !== "challenge") throw new Error("no challenge");
    // The scripted source gives zeros now: sign that challenge.
    const zeros = new Uint8Array(32);
    const m2 = v.channel_id ? xor(zeros, fromHex(v.channel_id)!) : zeros;
    assert.equal((await again.next(toHex(await key.sign(m2)), {})).kind, "welcome");
  }
});

test("cryptosign: through the router, spec vector 1 with the all-0xff challenge", async () => {
  const v = VECTORS[0];
  const key = await ed25519FromSeed(v.private_key);
  assert.equal(key.pubkey, "1adfc8bfe1d35616e64dffbd900096f23b066f914c8c2ffbb66f6075b96e116d");
  const store = new FakeStore();
  store.add("client01@example.com", { cryptosign: { authorizedKeys: [key.pubkey.toUpperCase()] } }, "user");
  const { client } = setup(store, { random: constantRandom(0xff) });
  const r = await handshake(client(), { authmethods: ["cryptosign"], authid: "client01@example.com", authextra: { pubkey: key.pubkey } }, () => [v.signature]);
  assert.deepEqual(r.extra, { challenge: v.challenge, channel_binding: null });
  assert.equal(r.final[0], 2, r.frame);
  assert.deepEqual([details(r.final).authid, details(r.final).authmethod, details(r.final).authprovider], ["client01@example.com", "cryptosign", "static"]);
});

test("cryptosign: several keys per user; an unauthorized key, a bad signature and an unknown authid are refused alike", async () => {
  const k1 = await ed25519FromSeed("11".repeat(32));
  const k2 = await ed25519FromSeed("22".repeat(32));
  const k3 = await ed25519FromSeed("33".repeat(32));
  const store = new FakeStore();
  store.add("erin", { cryptosign: { authorizedKeys: [k1.pubkey, k2.pubkey] } }, "device");
  const { client } = setup(store);
  const sign = (k: typeof k1) => async (e: Record<string, unknown>): Promise<[string]> => {
    const ch = fromHex(String(e.challenge))!;
    return [toHex(await k.sign(ch)) + toHex(ch)];
  };
  for (const k of [k1, k2]) {
    const r = await handshake(client(), { authmethods: ["cryptosign"], authid: "erin", authextra: { pubkey: k.pubkey } }, sign(k));
    assert.deepEqual([details(r.final).authid, details(r.final).authrole], ["erin", "device"]);
  }
  const frames: string[] = [];
  // k3 is not erin's; k3 signing for k1's pubkey is a bad signature; ghost does not exist.
  frames.push((await handshake(client(), { authmethods: ["cryptosign"], authid: "erin", authextra: { pubkey: k3.pubkey } }, sign(k3))).frame);
  frames.push((await handshake(client(), { authmethods: ["cryptosign"], authid: "erin", authextra: { pubkey: k1.pubkey } }, sign(k3))).frame);
  frames.push((await handshake(client(), { authmethods: ["cryptosign"], authid: "ghost", authextra: { pubkey: k1.pubkey } }, sign(k1))).frame);
  frames.push((await handshake(client(), { authmethods: ["cryptosign"], authid: "erin", authextra: { pubkey: k1.pubkey } }, () => ["zz"])).frame);
  // A 96-byte answer whose trailing message is not the challenge.
  frames.push((await handshake(client(), { authmethods: ["cryptosign"], authid: "erin", authextra: { pubkey: k1.pubkey } }, async (e) => {
    const ch = fromHex(String(e.challenge))!;
    return [toHex(await k1.sign(ch)) + "00".repeat(32)];
  })).frame);
  for (const f of frames) assert.equal(f, JSON.stringify(FAILED));
});

test("cryptosign: without authid the hex public key is the authid; a HELLO without pubkey cannot use it", async () => {
  const k = await ed25519FromSeed("44".repeat(32));
  const store = new FakeStore();
  store.add(k.pubkey, { cryptosign: { authorizedKeys: [k.pubkey] } }, "device");
  store.anonymousRole = undefined;
  const { client } = setup(store);
  const r = await handshake(client(), { authmethods: ["cryptosign"], authextra: { pubkey: k.pubkey } }, async (e) => {
    const ch = fromHex(String(e.challenge))!;
    return [toHex(await k.sign(ch))];
  });
  assert.equal(details(r.final).authid, k.pubkey);
  const c = client();
  c.hello({ authmethods: ["cryptosign"], authid: "x", authextra: { pubkey: "abc" } });
  assert.equal((await c.next())[2], "wamp.error.no_auth_method");
});

test("cryptosign: a requested channel binding the transport cannot provide is answered with channel_binding null", async () => {
  const k = await ed25519FromSeed("55".repeat(32));
  const store = new FakeStore();
  store.add("f", { cryptosign: { authorizedKeys: [k.pubkey] } });
  const { client } = setup(store);
  const r = await handshake(client(), { authmethods: ["cryptosign"], authid: "f", authextra: { pubkey: k.pubkey, channel_binding: "tls-unique" } }, async (e) => {
    const ch = fromHex(String(e.challenge))!;
    return [toHex(await k.sign(ch)) + toHex(ch)];
  });
  assert.equal(r.extra.channel_binding, null);
  assert.equal(r.final[0], 2);
});

// ================================================================ WAMP-SCRAM

test("scram: RFC 7677 example values (the spec's example) from the AuthMessage algebra", async () => {
  // The spec's example CHALLENGE/AUTHENTICATE reuse RFC 7677's values, which need RFC 7677's
  // nonces (not base64): user "user", password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096.
  const salted = await scramSaltedPassword("pencil", "pbkdf2", decodeBase64("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096, undefined);
  const keys = await scramKeys(salted);
  const am = specAuthMessage({
    authid: "user",
    clientNonce: "rOprNGfwEbeRWgbNEkqO",
    combinedNonce: "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
    salt: "W22ZaJ0SNY7soEsUEjb6gQ==",
    iterations: 4096,
    cbindName: null,
    cbindData: null,
  });
  assert.ok(am.includes(",c=biws,"));
  const proof = await clientProof(keys.clientKey, keys.storedKey, am);
  assert.equal(encodeBase64(proof), "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  assert.equal(encodeBase64(await serverSignature(keys.serverKey, am)), "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
  assert.equal(await verifyClientProof(keys.storedKey, am, proof), true);
  proof[0]! ^= 1;
  assert.equal(await verifyClientProof(keys.storedKey, am, proof), false);
  // The stored credential holds the same keys.
  const cred = await scramCredential("pencil", "pbkdf2", { salt: "W22ZaJ0SNY7soEsUEjb6gQ==", iterations: 4096 });
  assert.deepEqual([cred.storedKey, cred.serverKey, cred.kdf, cred.memory], [encodeBase64(keys.storedKey), encodeBase64(keys.serverKey), "pbkdf2", undefined]);
});

test("scram: argon2id13 is Argon2id v1.3, p=1, 32 bytes (cross-checked with node:crypto where it has argon2)", async () => {
  const salt = fromHex("000102030405060708090a0b0c0d0e0f")!;
  const ours = await scramSaltedPassword("pw", "argon2id13", salt, 2, 64);
  assert.equal(ours.length, 32);
  assert.deepEqual(await scramSaltedPassword("pw", "argon2id-13", salt, 2, 64), ours, "both spellings");
  // deno-lint-ignore no-explicit-any
  const argon2Sync = (nodeCrypto as any).argon2Sync; // any: Node >= 24.7 only, not in every runtime's types
  if (typeof argon2Sync === "function") {
    const ref = argon2Sync("argon2id", { message: "pw", nonce: salt, parallelism: 1, tagLength: 32, memory: 64, passes: 2 });
    assert.equal(toHex(ours), toHex(new Uint8Array(ref)));
  }
  // SASLprep: non-ASCII spaces map to U+0020, soft hyphens vanish, controls are refused.
  assert.equal(saslprep("I\u00ADX"), "IX");
  assert.equal(saslprep("a\u00A0b"), "a b");
  assert.equal(saslprep("\u2168"), "IX");
  assert.equal(saslprep("a\u0007"), undefined);
});

/** A spec-following WAMP-SCRAM client. */
async function scramClient(password: string, authid: string, clientNonce: string, extra: Record<string, unknown>): Promise<[string, Record<string, unknown>]> {
  const salted = await scramSaltedPassword(password, extra.kdf as "pbkdf2", decodeBase64(String(extra.salt)), Number(extra.iterations), extra.memory === null ? undefined : Number(extra.memory));
  const keys = await scramKeys(salted);
  const am = specAuthMessage({ authid, clientNonce, combinedNonce: String(extra.nonce), salt: String(extra.salt), iterations: Number(extra.iterations), cbindName: null, cbindData: null });
  const proof = await clientProof(keys.clientKey, keys.storedKey, am);
  return [encodeBase64(proof), { nonce: extra.nonce, channel_binding: null, cbind_data: null }];
}

test("scram: wamp-scram with pbkdf2 and argon2id13 joins and returns the verifier", async () => {
  const store = new FakeStore();
  store.add("user", { scram: await scramCredential("pencil", "pbkdf2", { iterations: 4096, random: new SeededRandom(11) }) }, "frontend");
  store.add("argo", { scram: await scramCredential("p4ssw0rd", "argon2id13", { iterations: 2, memory: 256, random: new SeededRandom(12) }) }, "frontend");
  const { client } = setup(store);
  for (const [authid, password, kdf] of [["user", "pencil", "pbkdf2"], ["argo", "p4ssw0rd", "argon2id13"]] as const) {
    const nonce = encodeBase64(new Uint8Array(16).fill(7));
    let am = "";
    const r = await handshake(client(), { authmethods: ["wamp-scram"], authid, authextra: { nonce, channel_binding: null } }, async (e) => {
      am = specAuthMessage({ authid, clientNonce: nonce, combinedNonce: String(e.nonce), salt: String(e.salt), iterations: Number(e.iterations), cbindName: null, cbindData: null });
      return scramClient(password, authid, nonce, e);
    });
    assert.equal(r.extra.kdf, kdf);
    assert.deepEqual(Object.keys(r.extra).sort(), ["iterations", "kdf", "memory", "nonce", "salt"]);
    assert.ok(String(r.extra.nonce).startsWith(nonce) && String(r.extra.nonce).length > nonce.length);
    assert.equal(r.extra.memory, kdf === "pbkdf2" ? null : 256);
    assert.equal(r.final[0], 2, r.frame);
    const d = details(r.final);
    assert.deepEqual([d.authid, d.authrole, d.authmethod, d.authprovider], [authid, "frontend", "wamp-scram", "static"]);
    // The client checks the ServerSignature.
    const cred = store.user(authid)!.credentials.scram!;
    const sig = encodeBase64(await serverSignature(decodeBase64(cred.serverKey), am));
    assert.deepEqual(d.authextra, { verifier: `v=${sig}`, scram_server_signature: sig });
  }
});

test("scram: wrong password, unknown authid, wrong nonce echo: identical ABORTs; mock salt stable", async () => {
  const store = new FakeStore();
  store.add("user", { scram: await scramCredential("pencil", "argon2id13", { iterations: 2, memory: 64, random: new SeededRandom(13) }) });
  const { client } = setup(store);
  const nonce = "egVDf3DMJh0=";
  const hello = (authid: string) => ({ authmethods: ["wamp-scram"], authid, authextra: { nonce, channel_binding: null } });
  const wrong = await handshake(client(), hello("user"), (e) => scramClient("pen", "user", nonce, e));
  const ghost = await handshake(client(), hello("ghost"), (e) => scramClient("pencil", "ghost", nonce, e));
  const ghost2 = await handshake(client(), hello("ghost"), (e) => scramClient("pencil", "ghost", nonce, e));
  const badNonce = await handshake(client(), hello("user"), async (e) => {
    const [sig, ext] = await scramClient("pencil", "user", nonce, e);
    return [sig, { ...ext, nonce: "other" }];
  });
  assert.deepEqual(wrong.final, FAILED);
  assert.equal(ghost.frame, wrong.frame);
  assert.equal(badNonce.frame, wrong.frame);
  assert.equal(ghost.extra.salt, ghost2.extra.salt);
  assert.deepEqual(Object.keys(ghost.extra).sort(), Object.keys(wrong.extra).sort());
  assert.equal(ghost.extra.kdf, "argon2id13");
});

test("scram: an unsupported channel binding is refused at HELLO; a HELLO without nonce cannot use scram", async () => {
  const store = new FakeStore();
  store.anonymousRole = undefined;
  const { client } = setup(store);
  const a = client();
  a.hello({ authmethods: ["wamp-scram"], authid: "user", authextra: { nonce: "abc=", channel_binding: "tls-unique" } });
  assert.deepEqual(await a.next(), [3, { message: 'channel binding string "tls-unique" is not available' }, "wamp.error.authentication_failed"]);
  const b = client();
  b.hello({ authmethods: ["wamp-scram"], authid: "user", authextra: {} });
  assert.equal((await b.next())[2], "wamp.error.no_auth_method");
});

test("scram: Crossbar/autobahn-python dialect (authmethod scram, kdf argon2id-13, c= AuthMessage)", async () => {
  const store = new FakeStore();
  store.add("carol", { scram: await scramCredential("p4ssw0rd", "argon2id-13", { iterations: 2, memory: 64, convention: "autobahn", random: new SeededRandom(14) }) }, "authenticated");
  const { client } = setup(store);
  const nonce = encodeBase64(new Uint8Array(16).fill(3));
  let am = "";
  let salted: Uint8Array = new Uint8Array();
  const r = await handshake(client(), { authmethods: ["scram"], authid: "carol", authextra: { nonce } }, async (e) => {
    // As autobahn-python's AuthScram.on_challenge does it.
    salted = await scramSaltedPassword("p4ssw0rd", String(e.kdf) as "argon2id-13", decodeBase64(String(e.salt)), Number(e.iterations), Number(e.memory), "autobahn");
    const keys = await scramKeys(salted);
    am = `n=carol,r=${nonce},r=${e.nonce},s=${e.salt},i=${e.iterations},c=,r=${e.nonce}`;
    assert.equal(am, crossbarAuthMessage({ authid: "carol", clientNonce: nonce, combinedNonce: String(e.nonce), salt: String(e.salt), iterations: Number(e.iterations), cbindName: null, cbindData: null }));
    return [encodeBase64(await clientProof(keys.clientKey, keys.storedKey, am))];
  });
  assert.deepEqual(Object.keys(r.extra).sort(), ["iterations", "kdf", "memory", "nonce", "salt"], "only keys AuthScram accepts");
  assert.equal(r.extra.kdf, "argon2id-13");
  assert.equal(r.final[0], 2, r.frame);
  const d = details(r.final);
  assert.deepEqual([d.authid, d.authrole, d.authmethod], ["carol", "authenticated", "scram"]);
  const { serverKey } = await scramKeys(salted);
  assert.deepEqual(d.authextra, { scram_server_signature: encodeBase64(await serverSignature(serverKey, am)) });
});

/** autobahn-python's AuthScram.on_challenge: kdf argon2id-13, SaltedPassword = base64 text, `c=` AuthMessage. */
async function autobahnScramClient(password: string, authid: string, clientNonce: string, e: Record<string, unknown>) {
  const salted = await scramSaltedPassword(password, String(e.kdf) as "argon2id-13", decodeBase64(String(e.salt)), Number(e.iterations), Number(e.memory), "autobahn");
  const keys = await scramKeys(salted);
  const am = crossbarAuthMessage({ authid, clientNonce, combinedNonce: String(e.nonce), salt: String(e.salt), iterations: Number(e.iterations), cbindName: null, cbindData: null });
  return { signature: encodeBase64(await clientProof(keys.clientKey, keys.storedKey, am)), serverKey: keys.serverKey, am };
}

test("scram: convention \"both\" matches autobahn-python (vectors from its AuthScram), without SASLprep for its keys", async () => {
  // Computed with autobahn-python 22.7.1 (_hash_argon2id13_secret, then HMAC/SHA-256 as its
  // AuthScram does) for salt 000102..0f, t=2, m=64 KiB.
  const salt = "AAECAwQFBgcICQoLDA0ODw==";
  const vectors = [
    { password: "p4ssw0rd", storedKey: "2+I0OKjXpz/07Jwbh2py6u0zahvkF9GePvHw9k4pwTc=", serverKey: "PA9GpCqbIjZCfIzK5OVpz5tqYnE8W4ad9Hj/sd2mAr0=" },
    // A no-break space: SASLprep maps it to U+0020 for the spec keys, autobahn-python hashes it as is.
    { password: "pass\u00A0w\u00F6rd", storedKey: "kQmsivGxKwI4ZqLLFZ+QAu/KnIVmQlphwSgYlNgy3iM=", serverKey: "HOI7HzCN5mzP3wh5DA7YMyB/uvBEJTLT0KdpfPE2m9A=" },
  ];
  for (const v of vectors) {
    const params = { salt, iterations: 2, memory: 64 };
    const both = await scramCredential(v.password, "argon2id13", { ...params, convention: "both" });
    assert.deepEqual(both.autobahn, { storedKey: v.storedKey, serverKey: v.serverKey }, v.password);
    const autobahn = await scramCredential(v.password, "argon2id-13", { ...params, convention: "autobahn" });
    assert.deepEqual([autobahn.storedKey, autobahn.serverKey], [v.storedKey, v.serverKey], "the same keys as convention autobahn");
    const spec = await scramCredential(v.password, "argon2id13", params);
    assert.deepEqual({ ...both, autobahn: undefined }, { ...spec, autobahn: undefined }, "the spec part is the spec credential");
    assert.equal(spec.autobahn, undefined, "the default (spec) derives no autobahn keys");
    assert.notEqual(both.storedKey, both.autobahn!.storedKey);
  }
  // pbkdf2: the conventions agree, so there is nothing more to store.
  const pb = await scramCredential("pencil", "pbkdf2", { salt, iterations: 10, convention: "both" });
  assert.deepEqual(pb, await scramCredential("pencil", "pbkdf2", { salt, iterations: 10 }));
  await assert.rejects(scramCredential("a\u0007", "argon2id13", { salt, iterations: 2, memory: 64, convention: "both" }), /SASLprep/);
});

test("scram: one password, both dialects: spec clients with wamp-scram, autobahn-python with scram; same CHALLENGE", async () => {
  const store = new FakeStore();
  const password = "d\u00F6ra-pw";
  store.add("dora", { scram: await scramCredential(password, "argon2id13", { iterations: 2, memory: 64, convention: "both", random: new SeededRandom(15) }) }, "frontend");
  // Stored before the autobahn keys existed: the scram dialect checks the only keys there are.
  store.add("olga", { scram: await scramCredential(password, "argon2id13", { iterations: 2, memory: 64, random: new SeededRandom(16) }) }, "frontend");
  const cred = store.user("dora")!.credentials.scram!;
  assert.ok(cred.autobahn);
  const { client } = setup(store);
  const nonce = encodeBase64(new Uint8Array(16).fill(5));

  // The spec dialect: the spec keys.
  let specAm = "";
  const spec = await handshake(client(), { authmethods: ["wamp-scram"], authid: "dora", authextra: { nonce, channel_binding: null } }, (e) => {
    specAm = specAuthMessage({ authid: "dora", clientNonce: nonce, combinedNonce: String(e.nonce), salt: String(e.salt), iterations: Number(e.iterations), cbindName: null, cbindData: null });
    return scramClient(password, "dora", nonce, e);
  });
  assert.equal(spec.final[0], 2, spec.frame);
  const specSig = encodeBase64(await serverSignature(decodeBase64(cred.serverKey), specAm));
  assert.deepEqual(details(spec.final).authextra, { verifier: `v=${specSig}`, scram_server_signature: specSig });

  // The autobahn-python dialect: the autobahn keys; autobahn checks the signature with its own ServerKey.
  let ab!: Awaited<ReturnType<typeof autobahnScramClient>>;
  const crossbar = await handshake(client(), { authmethods: ["scram"], authid: "dora", authextra: { nonce } }, async (e) => {
    ab = await autobahnScramClient(password, "dora", nonce, e);
    return ab.signature;
  });
  assert.equal(crossbar.final[0], 2, crossbar.frame);
  assert.deepEqual([details(crossbar.final).authid, details(crossbar.final).authmethod], ["dora", "scram"]);
  assert.deepEqual(details(crossbar.final).authextra, { scram_server_signature: encodeBase64(await serverSignature(ab.serverKey, ab.am)) });

  // Both CHALLENGEs carry the one salt and the same parameters.
  assert.deepEqual([crossbar.extra.salt, crossbar.extra.iterations, crossbar.extra.memory, crossbar.extra.kdf], [spec.extra.salt, spec.extra.iterations, spec.extra.memory, "argon2id-13"]);
  assert.deepEqual([spec.extra.salt, spec.extra.kdf], [cred.salt, "argon2id13"]);

  // Each dialect checks its own keys: the other convention's SaltedPassword is refused.
  const specInScram = await handshake(client(), { authmethods: ["scram"], authid: "dora", authextra: { nonce } }, async (e) => {
    const keys = await scramKeys(await scramSaltedPassword(password, "argon2id13", decodeBase64(String(e.salt)), Number(e.iterations), Number(e.memory)));
    const am = crossbarAuthMessage({ authid: "dora", clientNonce: nonce, combinedNonce: String(e.nonce), salt: String(e.salt), iterations: Number(e.iterations), cbindName: null, cbindData: null });
    return encodeBase64(await clientProof(keys.clientKey, keys.storedKey, am));
  });
  assert.deepEqual(specInScram.final, FAILED);

  // Refusals in the scram dialect look alike: wrong password, unknown authid.
  const wrong = await handshake(client(), { authmethods: ["scram"], authid: "dora", authextra: { nonce } }, async (e) => (await autobahnScramClient("wrong", "dora", nonce, e)).signature);
  const ghost = await handshake(client(), { authmethods: ["scram"], authid: "ghost", authextra: { nonce } }, async (e) => (await autobahnScramClient(password, "ghost", nonce, e)).signature);
  assert.deepEqual(wrong.final, FAILED);
  assert.equal(ghost.frame, wrong.frame);
  assert.deepEqual(Object.keys(ghost.extra).sort(), Object.keys(crossbar.extra).sort());
  assert.equal(ghost.extra.kdf, "argon2id-13");

  // Without autobahn keys (olga): the spec dialect works as before; the scram dialect checks
  // the spec keys, so autobahn-python's SaltedPassword is refused there.
  const olgaSpec = await handshake(client(), { authmethods: ["wamp-scram"], authid: "olga", authextra: { nonce, channel_binding: null } }, (e) => scramClient(password, "olga", nonce, e));
  assert.equal(olgaSpec.final[0], 2, olgaSpec.frame);
  const olgaAb = await handshake(client(), { authmethods: ["scram"], authid: "olga", authextra: { nonce } }, async (e) => (await autobahnScramClient(password, "olga", nonce, e)).signature);
  assert.deepEqual(olgaAb.final, FAILED);
});

// ================================================================ policy

test("policy: the first offered method the realm allows for the address and the client can use", async () => {
  const store = new FakeStore();
  store.add("alice", { ticket: await deriveSecret("t", { random: new SeededRandom(20) }), wampcra: await deriveSecret("t", { random: new SeededRandom(21) }) });
  store.byAddress.set("203.0.113.9", ["wampcra"]);
  const { client } = setup(store);
  // Local: cryptosign is skipped (no pubkey), ticket is next.
  const a = client();
  a.hello({ authmethods: ["cryptosign", "ticket", "wampcra"], authid: "alice" });
  assert.deepEqual((await a.next()).slice(0, 2), [4, "ticket"]);
  // From 203.0.113.9 only wampcra is allowed.
  const b = client("203.0.113.9");
  b.hello({ authmethods: ["ticket", "wampcra"], authid: "alice" });
  assert.deepEqual((await b.next()).slice(0, 2), [4, "wampcra"]);
  const c = client("203.0.113.9");
  c.hello({ authmethods: ["ticket", "anonymous"], authid: "alice" });
  assert.equal((await c.next())[2], "wamp.error.no_auth_method");
  // Unknown method names are skipped.
  const d = client();
  d.hello({ authmethods: ["cookie", "tls", "wampcra"], authid: "alice" });
  assert.deepEqual((await d.next()).slice(0, 2), [4, "wampcra"]);
});

test("policy: a method that throws ends in the same authentication_failed", async () => {
  const store = new FakeStore();
  store.user = () => { // a store that misbehaves
    throw new Error("store down");
  };
  const { client } = setup(store);
  const w = client();
  w.hello({ authmethods: ["wampcra"], authid: "boom" });
  assert.deepEqual(await w.next(), FAILED);
});

// ================================================================ throttling

test("throttle: after 5 failures answers are delayed on the clock, after 10 refused until the window passes", async () => {
  const store = new FakeStore();
  store.add("alice", { ticket: await deriveSecret("right", { random: new SeededRandom(30) }) });
  const { client, clock } = setup(store);
  const attempt = (address = "198.51.100.7", authid = "alice") => {
    const w = client(address);
    w.hello({ authmethods: ["ticket"], authid });
    return w;
  };
  const answer = async (w: Wire, ticket: string) => {
    const ch = await w.next();
    assert.equal(ch[0], 4);
    w.send([5, ticket, {}]);
  };
  for (let i = 0; i < 5; i++) {
    const w = attempt();
    await answer(w, "wrong");
    assert.deepEqual(await w.next(), FAILED, `attempt ${i + 1} answered at once`);
  }
  // Attempts 6.. are answered after 1 s, 2 s, 4 s, ...
  for (const delay of [1000, 2000, 4000, 8000, 16000]) {
    const w = attempt();
    const before = clock.pending;
    await answer(w, "wrong");
    // Once the PBKDF2 is done the answer waits for a timer on the clock.
    for (const until = Date.now() + 5000; clock.pending === before && Date.now() < until;) await new Promise((r) => setTimeout(r, 1));
    assert.equal(clock.pending, before + 1, "the delay is a timer on the injected clock");
    await settle();
    assert.equal(w.frames.length, 0, `answer held back for ${delay} ms`);
    clock.advance(delay - 1);
    await settle();
    assert.equal(w.frames.length, 0);
    clock.advance(1);
    assert.deepEqual(await w.next(), FAILED);
  }
  // 10 failures: refused at HELLO, for the authid from anywhere and for the address with any authid.
  const r1 = attempt("192.0.2.1");
  assert.deepEqual(await r1.next(), [3, { message: "too many failed attempts" }, "wamp.error.authentication_failed"]);
  const r2 = attempt("198.51.100.7", "someone-else");
  assert.deepEqual(await r2.next(), [3, { message: "too many failed attempts" }, "wamp.error.authentication_failed"]);
  // An unrelated authid from another address is not affected.
  const other = client("192.0.2.2");
  other.hello({ authmethods: ["ticket"], authid: "bob" });
  assert.equal((await other.next())[0], 4);
  // After the window (15 min from the first failure) alice may try again, and success resets her count.
  clock.advance(15 * 60_000);
  const ok = attempt("192.0.2.1");
  await answer(ok, "right");
  assert.equal((await ok.next())[0], 2);
});

test("throttle: success clears the authid's counter; memory is bounded", async () => {
  const clock = new FakeClock();
  const t = new FailureThrottle(clock, { maxFailures: 2, refuseAfter: 3, maxKeys: 4 });
  t.failure("a", undefined);
  t.failure("a", undefined);
  assert.deepEqual(t.gate("a", undefined), { refuse: false, delayMs: 1000 });
  t.success("a");
  assert.deepEqual(t.gate("a", undefined), { refuse: false, delayMs: 0 });
  for (let i = 0; i < 100; i++) t.failure(`user${i}`, `10.0.0.${i}`);
  assert.ok(t.size <= 4, `kept ${t.size} counters`);
  // The most recent ones are kept.
  t.failure("user99", undefined);
  t.failure("user99", undefined);
  assert.equal(t.gate("user99", undefined).refuse, true);
  assert.equal(t.gate("user0", undefined).refuse, false);
  // Counters expire with the window.
  clock.advance(15 * 60_000);
  assert.deepEqual(t.gate("user99", undefined), { refuse: false, delayMs: 0 });
});

// ================================================================ never echo secrets

test("secrets are not echoed: ABORTs and CHALLENGEs carry no ticket, password or stored key", async () => {
  const store = new FakeStore();
  const cra = await deriveSecret("hunter2-secret", { random: new SeededRandom(40) });
  store.add("alice", { wampcra: cra, ticket: cra });
  const { client } = setup(store);
  const t = await handshake(client(), { authmethods: ["ticket"], authid: "alice" }, () => ["hunter2-secret-wrong"]);
  assert.ok(!t.frame.includes("hunter2"));
  const c = await handshake(client(), { authmethods: ["wampcra"], authid: "alice" }, (e) => craSign("nope", e));
  assert.ok(!JSON.stringify(c.extra).includes(cra.derivedKey));
});
