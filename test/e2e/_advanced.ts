/**
 * Shared plumbing for the Advanced Profile end-to-end tests (advanced_rpc_test.ts,
 * advanced_pubsub_test.ts, meta_api_test.ts): the transport x serializer matrix, raw-frame peers
 * (test/_support/raw_client.ts with a little WAMP on top), AutobahnJS and Wampy connections on
 * any cell of the matrix they support, and a router per test.
 *
 * Which client runs where:
 * - raw frames: every cell (WebSocket and RawSocket, each with json, msgpack, cbor);
 * - AutobahnJS 26: WebSocket json/msgpack/cbor and RawSocket json (its RawSocket speaks JSON only);
 * - Wampy 8: WebSocket json/msgpack/cbor (it has no RawSocket transport).
 *
 * "Nothing arrived" is never checked by sleeping: `Peer.barrier()` makes a round trip
 * (acknowledged PUBLISH) after the event that could have caused a message. The router handles a
 * session's messages in order and writes each connection in order, so a message caused earlier
 * would arrive before the barrier's PUBLISHED.
 * @module
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
// @ts-expect-error TS7016: autobahn ships no type declarations (used as `any` below)
import autobahn from "autobahn";
import { Wampy } from "wampy";
import { WebSocket as WsPackageSocket } from "ws";
import { CborSerializer } from "wampy/CborSerializer.js";
import { MsgpackSerializer } from "wampy/MsgpackSerializer.js";
import type { Authenticator } from "../../src/auth/types.ts";
import type { RouterOptions } from "../../src/router/options.ts";
import {
  ALL_ROLES,
  AsyncQueue,
  connectRawSocket,
  deferred,
  type RawClient,
  withTimeout,
} from "../_support/raw_client.ts";
import { serializerForSubprotocol } from "../../src/serializer/registry.ts";
import type { Serializer } from "../../src/serializer/types.ts";
import { startServer, type TestServer } from "../_support/server.ts";

// deno-lint-ignore no-explicit-any
export type Any = any; // any: autobahn and Wampy ship loosely typed (or no) declarations

export const ab = autobahn as Any;
// Silence autobahn's console chatter ("connection closed", "auto-reconnect disabled!").
ab.log.warn = () => {};

export const T = { timeout: 20_000 };

// --- message codes ---

export const HELLO = 1, WELCOME = 2, ABORT = 3, GOODBYE = 6, ERROR = 8;
export const PUBLISH = 16, PUBLISHED = 17, SUBSCRIBE = 32, SUBSCRIBED = 33, UNSUBSCRIBE = 34, UNSUBSCRIBED = 35, EVENT = 36;
export const CALL = 48, CANCEL = 49, RESULT = 50, REGISTER = 64, REGISTERED = 65, UNREGISTER = 66, UNREGISTERED = 67;
export const INVOCATION = 68, INTERRUPT = 69, YIELD = 70;

// --- the matrix ---

export type SerializerName = "json" | "msgpack" | "cbor";

export interface Transport {
  /** "websocket/json", "rawsocket/cbor", ... */
  readonly name: string;
  readonly kind: "websocket" | "rawsocket";
  readonly serializer: SerializerName;
}

export const TRANSPORTS: readonly Transport[] = [
  { name: "websocket/json", kind: "websocket", serializer: "json" },
  { name: "websocket/msgpack", kind: "websocket", serializer: "msgpack" },
  { name: "websocket/cbor", kind: "websocket", serializer: "cbor" },
  { name: "rawsocket/json", kind: "rawsocket", serializer: "json" },
  { name: "rawsocket/msgpack", kind: "rawsocket", serializer: "msgpack" },
  { name: "rawsocket/cbor", kind: "rawsocket", serializer: "cbor" },
];

/** The cells AutobahnJS can use. */
export const AUTOBAHN_TRANSPORTS: readonly Transport[] = TRANSPORTS.filter((t) => t.kind === "websocket" || t.serializer === "json");
/** The cells Wampy can use. */
export const WAMPY_TRANSPORTS: readonly Transport[] = TRANSPORTS.filter((t) => t.kind === "websocket");
/** The cells no real client covers (RawSocket with msgpack or cbor): raw frames there. */
export const RAW_ONLY_TRANSPORTS: readonly Transport[] = TRANSPORTS.filter((t) => !AUTOBAHN_TRANSPORTS.includes(t));

export const WS_JSON: Transport = TRANSPORTS[0]!;

// --- values ---

/** JSON-ish rendering of a message for assertion texts (binary and bigint included). */
export function show(v: unknown): string {
  return JSON.stringify(v, (_k, x) => {
    if (typeof x === "bigint") return `${x}n`;
    if (x instanceof Uint8Array) return `<${x.byteLength} bytes>`;
    if (x && typeof x === "object" && (x as { type?: string }).type === "Buffer") return "<Buffer>";
    return x;
  });
}

/** A WAMP id as a number (Wampy's msgpack decodes 64-bit integers as bigint). */
export function idOf(v: unknown): number {
  return typeof v === "bigint" ? Number(v) : (v as number);
}

export function bytes(n: number, seed = 1): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
}

export function assertBytes(actual: unknown, expected: Uint8Array, what: string): void {
  assert.ok(actual instanceof Uint8Array, `${what}: expected binary, got ${Object.prototype.toString.call(actual)} ${show(actual)}`);
  assert.ok(Buffer.from(actual).equals(Buffer.from(expected)), `${what}: bytes differ`);
}

// --- features a raw peer announces ---

export type Features = Readonly<Record<string, boolean>>;

/** Every client-side feature flag (each announced on the roles it belongs to). */
export const ALL_FEATURES: Features = {
  progressive_call_results: true,
  progressive_call_invocations: true,
  call_canceling: true,
  call_timeout: true,
  caller_identification: true,
  pattern_based_registration: true,
  shared_registration: true,
  sharded_registration: true,
  registration_revocation: true,
  payload_passthru_mode: true,
  publisher_exclusion: true,
  publisher_identification: true,
  subscriber_blackwhite_listing: true,
  pattern_based_subscription: true,
  subscription_revocation: true,
};

/** ALL_FEATURES without some flags. */
export function without(...flags: string[]): Features {
  const out: Record<string, boolean> = { ...ALL_FEATURES };
  for (const f of flags) delete out[f];
  return out;
}

/** The client roles each feature flag belongs to (spec "Feature Announcement" of each feature). */
const FLAG_ROLES: Readonly<Record<string, readonly string[]>> = {
  progressive_call_results: ["caller", "callee"],
  progressive_call_invocations: ["caller", "callee"],
  call_canceling: ["caller", "callee"],
  call_timeout: ["callee"],
  caller_identification: ["caller", "callee"],
  pattern_based_registration: ["callee"],
  shared_registration: ["callee"],
  sharded_registration: ["caller", "callee"],
  registration_revocation: ["callee"],
  payload_passthru_mode: ["caller", "callee", "publisher", "subscriber"],
  publisher_exclusion: ["publisher"],
  publisher_identification: ["publisher", "subscriber"],
  subscriber_blackwhite_listing: ["publisher"],
  pattern_based_subscription: ["subscriber"],
  subscription_revocation: ["subscriber"],
};

/**
 * HELLO.Details.roles announcing each flag on its own roles only. (Kept small on purpose:
 * Deno's WebSocket client stalls ~40 ms on messages of roughly 1 to 3 KB.)
 */
function roles(features: Features): Record<string, unknown> {
  const out: Record<string, { features: Record<string, boolean> }> = {
    publisher: { features: {} },
    subscriber: { features: {} },
    caller: { features: {} },
    callee: { features: {} },
  };
  for (const [flag, on] of Object.entries(features)) {
    for (const role of FLAG_ROLES[flag] ?? Object.keys(out)) out[role]!.features[flag] = on;
  }
  return out;
}

// --- raw-frame peer ---

export interface JoinOptions {
  /** Feature flags announced on every role (default ALL_FEATURES). */
  features?: Features;
  authid?: string;
  realm?: string;
}

/** A raw client joined to a realm, with request helpers that check the router's answers. */
export class Peer {
  readonly raw: RawClient;
  readonly id: number;
  readonly welcome: unknown[];
  readonly label: string;

  constructor(raw: RawClient, welcome: unknown[], label: string) {
    this.raw = raw;
    this.welcome = welcome;
    this.id = welcome[1] as number;
    this.label = label;
  }

  get closed(): Promise<void> {
    return this.raw.closed;
  }

  get isClosed(): boolean {
    return this.raw.isClosed;
  }

  send(m: readonly unknown[]): void {
    this.raw.send(m);
  }

  next(ms = 5000): Promise<unknown[]> {
    return this.raw.next(ms);
  }

  /** The next message, which must be of type `code`. */
  async expect(code: number, what: string, ms = 5000): Promise<unknown[]> {
    const m = await this.raw.next(ms);
    assert.equal(m[0], code, `${this.label}: expected ${what} (type ${code}), got ${show(m)}`);
    return m;
  }

  /** The next message, which must be ERROR (for `requestType`) with this URI; returns it. */
  async expectError(requestType: number, uri: string, what: string, ms = 5000): Promise<unknown[]> {
    const m = await this.expect(ERROR, `${what}: ERROR ${uri}`, ms);
    assert.equal(m[1], requestType, `${this.label}: ${what}: ERROR for request type ${requestType}, got ${show(m)}`);
    assert.equal(m[4], uri, `${this.label}: ${what}: got ${show(m)}`);
    return m;
  }

  /** The next message is ABORT with this reason, and the transport then closes. */
  async expectAbort(reason: string, what: string, ms = 5000): Promise<unknown[]> {
    const m = await this.expect(ABORT, `${what}: ABORT ${reason}`, ms);
    assert.equal(m[2], reason, `${this.label}: ${what}: got ${show(m)}`);
    await withTimeout(this.raw.closed, `${this.label}: the transport to close after ABORT`);
    return m;
  }

  /** Sends a request with the next request id; returns the id. */
  request(code: number, ...rest: unknown[]): number {
    const id = this.raw.nextRequestId();
    this.raw.send([code, id, ...rest]);
    return id;
  }

  async register(procedure: string, options: Record<string, unknown> = {}): Promise<number> {
    const r = this.request(REGISTER, options, procedure);
    const m = await this.expect(REGISTERED, `REGISTERED ${procedure} ${show(options)}`);
    assert.equal(m[1], r);
    return m[2] as number;
  }

  async subscribe(topic: string, options: Record<string, unknown> = {}): Promise<number> {
    const r = this.request(SUBSCRIBE, options, topic);
    const m = await this.expect(SUBSCRIBED, `SUBSCRIBED ${topic} ${show(options)}`);
    assert.equal(m[1], r);
    return m[2] as number;
  }

  /** CALL and the router's final answer (RESULT or ERROR); progressive RESULTs are not expected. */
  async call(procedure: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}, options: Record<string, unknown> = {}): Promise<unknown[]> {
    const r = this.request(CALL, options, procedure, args, kwargs);
    const m = await this.next();
    assert.ok(m[0] === RESULT || m[0] === ERROR, `${this.label}: CALL ${procedure}: expected RESULT or ERROR, got ${show(m)}`);
    assert.equal(m[0] === RESULT ? m[1] : m[2], r, `${this.label}: answer for CALL ${r}`);
    return m;
  }

  /** Calls a procedure that must succeed; returns RESULT.Arguments. */
  async callOk(procedure: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}, options: Record<string, unknown> = {}): Promise<unknown[]> {
    const m = await this.call(procedure, args, kwargs, options);
    assert.equal(m[0], RESULT, `${this.label}: CALL ${procedure} ${show(args)} failed: ${show(m)}`);
    return (m[3] as unknown[] | undefined) ?? [];
  }

  /**
   * A round trip; fails if any other message arrives first. Proves that nothing caused before
   * it is still on its way to this peer.
   */
  async barrier(what = "nothing else"): Promise<void> {
    const r = this.request(PUBLISH, { acknowledge: true }, "e2e.barrier");
    const m = await this.next();
    assert.deepEqual(m.slice(0, 2), [PUBLISHED, r], `${this.label}: expected ${what} before the barrier's PUBLISHED, got ${show(m)}`);
  }

  close(): void {
    this.raw.close();
  }

  /** Says GOODBYE and waits for the reply (the session ends, the transport may stay). */
  async goodbye(): Promise<void> {
    this.raw.send([GOODBYE, {}, "wamp.close.close_realm"]);
    await this.expect(GOODBYE, "GOODBYE reply");
  }
}

/**
 * A raw WebSocket client on the `ws` package (the same interface as raw_client.ts's, whose
 * WebSocket client is the runtime's global one). Why not the global WebSocket: Deno's client
 * leaves Nagle's algorithm on, so a write that follows an unanswered one (a YIELD, then the
 * close frame) waits for the router's delayed ACK, about 40 ms, in nearly every RPC test; `ws`
 * sets TCP_NODELAY on every runtime. The real clients (autobahn, Wampy) and
 * test/e2e/autobahn_test.ts, wampy_test.ts keep the runtimes' own WebSocket.
 */
class WsPackageClient implements RawClient {
  readonly transport = "websocket" as const;
  readonly serializer: Serializer;
  readonly #ws: WsPackageSocket;
  readonly #inbox = new AsyncQueue<{ message?: unknown[]; error?: Error }>();
  readonly #closed = deferred<void>();
  #isClosed = false;
  #requestId = 0;

  constructor(ws: WsPackageSocket, serializer: Serializer) {
    this.#ws = ws;
    this.serializer = serializer;
    ws.on("message", (data: Uint8Array, isBinary: boolean) => {
      try {
        const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
        const m = this.serializer.decode(isBinary ? bytes : new TextDecoder().decode(bytes));
        if (!Array.isArray(m)) throw new Error(`not a list: ${show(m)}`);
        this.#inbox.push({ message: m });
      } catch (e) {
        this.#inbox.push({ error: new Error(`undecodable frame from the router: ${String(e)}`) });
      }
    });
    ws.on("error", () => {});
    ws.on("close", () => {
      this.#isClosed = true;
      this.#inbox.end();
      this.#closed.resolve();
    });
  }

  static async open(url: string, protocol: string): Promise<WsPackageClient> {
    const serializer = serializerForSubprotocol(protocol);
    if (!serializer) throw new Error(`no serializer for ${protocol}`);
    const ws = new WsPackageSocket(url, [protocol]);
    const opened = new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", (e: Error) => reject(new Error(`WebSocket ${url} (${protocol}) failed to open: ${e.message}`)));
    });
    await withTimeout(opened, `WebSocket open (${protocol})`);
    if (ws.protocol !== protocol) {
      ws.terminate();
      throw new Error(`router chose subprotocol "${ws.protocol}", asked for "${protocol}"`);
    }
    return new WsPackageClient(ws, serializer);
  }

  get pending(): number {
    return this.#inbox.size;
  }

  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  send(message: readonly unknown[]): void {
    this.sendRaw(this.serializer.encode(message));
  }

  sendRaw(data: Uint8Array | string): void {
    if (this.#ws.readyState !== WsPackageSocket.OPEN) return;
    this.#ws.send(data, { binary: typeof data !== "string" });
  }

  async next(timeoutMs = 5000): Promise<unknown[]> {
    const item = await this.#inbox.take(`a message on websocket/${this.serializer.name}`, timeoutMs);
    if (item.error) throw item.error;
    return item.message!;
  }

  close(): void {
    if (this.#ws.readyState === WsPackageSocket.OPEN || this.#ws.readyState === WsPackageSocket.CONNECTING) this.#ws.close();
  }

  hello(realm = "realm1", details: Record<string, unknown> = {}, timeoutMs = 5000): Promise<unknown[]> {
    this.send([HELLO, realm, { roles: ALL_ROLES, ...details }]);
    return this.next(timeoutMs);
  }

  nextRequestId(): number {
    return ++this.#requestId;
  }
}

/** Opens a raw client on a cell of the matrix (not yet joined). */
export async function openRaw(s: TestServer, t: Transport): Promise<RawClient> {
  if (t.kind === "websocket") return await WsPackageClient.open(s.url, `wamp.2.${t.serializer}`);
  const raw = await connectRawSocket(s.rawSocketPort, t.serializer);
  raw.socket.setNoDelay(true); // as above: no 40 ms waits for delayed ACKs
  return raw;
}

/** Opens a raw client and joins with HELLO; asserts WELCOME. */
export async function joinRaw(s: TestServer, t: Transport, options: JoinOptions = {}): Promise<Peer> {
  const raw = await openRaw(s, t);
  const details: Record<string, unknown> = { roles: roles(options.features ?? ALL_FEATURES) };
  if (options.authid !== undefined) details["authid"] = options.authid;
  const w = await raw.hello(options.realm ?? "realm1", details);
  if (w[0] !== WELCOME) {
    raw.close();
    assert.fail(`${t.name}: HELLO answered ${show(w)}`);
  }
  return new Peer(raw, w, `raw ${t.name}${options.authid ? ` (${options.authid})` : ""}`);
}

// --- AutobahnJS ---

/** A JSONSerializer that speaks WAMP's JSON binary convention (autobahn does not by itself). */
function binaryJsonSerializer(): Any {
  const replacer = function (this: Record<string, unknown>, key: string, value: unknown) {
    const raw = this[key];
    if (raw instanceof Uint8Array) return "\u0000" + Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("base64");
    return value;
  };
  const reviver = (_key: string, value: unknown) =>
    typeof value === "string" && value.startsWith("\u0000") ? new Uint8Array(Buffer.from(value.slice(1), "base64")) : value;
  return new ab.serializer.JSONSerializer(replacer, reviver);
}

function autobahnTransport(s: TestServer, t: Transport): Record<string, unknown> {
  if (t.kind === "rawsocket") {
    assert.equal(t.serializer, "json", "autobahn's RawSocket speaks JSON only");
    return { type: "rawsocket", host: "127.0.0.1", port: s.rawSocketPort };
  }
  const serializer = t.serializer === "json"
    ? binaryJsonSerializer()
    : t.serializer === "msgpack"
    ? new ab.serializer.MsgpackSerializer()
    : new ab.serializer.CBORSerializer();
  return { type: "websocket", url: s.url, serializers: [serializer] };
}

/**
 * Autobahn's deferreds: ES6 promises, plus `notify` (autobahn calls it for progressive
 * results, which ES6 promises lack). Each notification lands in `promise.progress`, an
 * AsyncQueue the test reads.
 */
function progressDeferred(): Any {
  const d: Any = {};
  d.promise = new Promise((resolve, reject) => {
    d.resolve = resolve;
    d.reject = reject;
  });
  d.promise.progress = new AsyncQueue<unknown>();
  d.notify = (v: unknown) => d.promise.progress.push(v);
  return d;
}

export interface AbClient {
  readonly label: string;
  readonly session: Any;
  readonly id: number;
  /** Settles with autobahn's close reason once the connection is gone. */
  readonly closed: Promise<{ reason: string; details: Any }>;
  /** Errors autobahn reports from its own internals (e.g. a protocol violation it detected). */
  readonly internalErrors: unknown[];
  close(): Promise<void>;
  /** Drops the transport without GOODBYE. */
  kill(): void;
}

export interface AbOptions {
  realm?: string;
  authid?: string;
}

export async function connectAutobahn(s: TestServer, t: Transport, options: AbOptions = {}): Promise<AbClient> {
  const label = `autobahn ${t.name}`;
  const opened = deferred<Any>();
  const closed = deferred<{ reason: string; details: Any }>();
  const internalErrors: unknown[] = [];
  const conn = new ab.Connection({
    realm: options.realm ?? "realm1",
    transports: [autobahnTransport(s, t)],
    max_retries: 0,
    retry_if_unreachable: false,
    use_deferred: progressDeferred,
    on_user_error: () => {},
    on_internal_error: (e: unknown) => internalErrors.push(e),
    ...(options.authid !== undefined ? { authid: options.authid } : {}),
  });
  conn.onopen = (session: Any) => opened.resolve(session);
  conn.onclose = (reason: string, details: Any) => {
    opened.reject(new Error(`${label}: closed before the session opened: ${reason} ${show(details)}`));
    closed.resolve({ reason, details });
    return true; // no reconnect
  };
  conn.open();
  const session = await withTimeout<Any>(opened.promise, `${label} session to open`);
  return {
    label,
    session,
    id: session.id,
    closed: closed.promise,
    internalErrors,
    async close() {
      try {
        conn.close();
      } catch {
        // already closed
      }
      await withTimeout<Any>(closed.promise, `${label} connection to close`).catch(() => {});
    },
    kill() {
      conn._transport?.close();
    },
  };
}

// --- Wampy ---

/** The global WebSocket with the two-argument constructor Wampy's `ws` option expects. */
class GlobalWebSocket extends WebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols);
  }
}

/** Wampy's serializer shape, applying WAMP's JSON binary convention. */
const wampyJsonSerializer = () => ({
  protocol: "json",
  isBinary: false,
  encode(data: unknown): string {
    return JSON.stringify(data, function (this: Record<string, unknown>, key: string, value: unknown) {
      const raw = this[key];
      if (raw instanceof Uint8Array) return "\u0000" + Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("base64");
      return value;
    });
  },
  decode(data: string): unknown {
    return JSON.parse(data, (_k, v) =>
      typeof v === "string" && v.startsWith("\u0000") ? new Uint8Array(Buffer.from(v.slice(1), "base64")) : v);
  },
});

export interface WampyClient {
  readonly label: string;
  readonly wampy: Any;
  readonly id: number;
  readonly closed: Promise<void>;
  close(): Promise<void>;
  kill(): void;
}

export interface WampyOptions {
  authid?: string;
  /** Extra feature flags patched into Wampy's HELLO, per role (Wampy announces a fixed set). */
  addFeatures?: Partial<Record<"caller" | "callee" | "publisher" | "subscriber", Features>>;
}

export async function connectWampy(s: TestServer, t: Transport, options: WampyOptions = {}): Promise<WampyClient> {
  assert.equal(t.kind, "websocket", "Wampy speaks WebSocket only");
  const label = `wampy ${t.name}`;
  const closed = deferred<void>();
  const serializer = t.serializer === "json"
    ? wampyJsonSerializer()
    : t.serializer === "msgpack"
    ? new MsgpackSerializer()
    : new CborSerializer();
  const wampy = new Wampy(s.url, {
    realm: "realm1",
    ws: GlobalWebSocket,
    serializer,
    payloadSerializers: { cbor: new CborSerializer() },
    uriValidation: "loose",
    autoReconnect: false,
    onClose: () => closed.resolve(),
    onError: () => {},
    // Wampy's own `authid` option insists on an authentication method; HELLO.Details takes it.
    ...(options.authid !== undefined ? { helloCustomDetails: { authid: options.authid } } : {}),
  } as Any) as Any;
  for (const [role, features] of Object.entries(options.addFeatures ?? {})) {
    Object.assign(wampy._wamp_features.roles[role].features, features);
  }
  await withTimeout<Any>(wampy.connect(), `${label} to connect`);
  return {
    label,
    wampy,
    id: idOf(wampy.getSessionId()),
    closed: closed.promise,
    async close() {
      if (wampy._ws) {
        await withTimeout<Any>(Promise.resolve(wampy.disconnect()).catch(() => {}), `${label} to disconnect`).catch(() => {});
      }
    },
    kill() {
      wampy._ws?.close();
    },
  };
}

// --- a router per test ---

/**
 * Accepts any HELLO; the authid is the one asked for, the authrole what follows "@" in it
 * ("ann@admin" -> "admin"; default "user"). For tests of authid/authrole options.
 */
export const authidRoles: Authenticator = {
  hello(info) {
    const authid = info.authid ?? "nobody";
    return Promise.resolve({
      kind: "welcome",
      identity: {
        authid,
        authrole: info.authrole ?? authid.split("@")[1] ?? "user",
        authmethod: "anonymous",
        authprovider: "e2e",
      },
    });
  },
};

export interface Ctx {
  readonly s: TestServer;
  /** Registers something to close when the test ends (returned as given). */
  track<C extends { close(): unknown }>(c: C): C;
  raw(t: Transport, options?: JoinOptions): Promise<Peer>;
  autobahn(t: Transport, options?: AbOptions): Promise<AbClient>;
  wampy(t: Transport, options?: WampyOptions): Promise<WampyClient>;
}

/** Runs `fn` against a fresh router (RouterOptions as for startServer); closes everything after. */
export async function withRouter(fn: (ctx: Ctx) => Promise<void>, options: RouterOptions = {}): Promise<void> {
  const s = await startServer(options);
  const open: Array<{ close(): unknown }> = [];
  const track = <C extends { close(): unknown }>(c: C): C => {
    open.push(c);
    return c;
  };
  try {
    await fn({
      s,
      track,
      raw: async (t, o) => track(await joinRaw(s, t, o)),
      autobahn: async (t, o) => track(await connectAutobahn(s, t, o)),
      wampy: async (t, o) => track(await connectWampy(s, t, o)),
    });
  } finally {
    await Promise.allSettled(open.map((c) => c.close()));
    // Wait (briefly) for the transports to finish closing: the router's shutdown would
    // otherwise say GOODBYE to sessions that are already going and wait out its grace period.
    await Promise.allSettled(open.map((c) => {
      const closed = (c as { closed?: Promise<unknown> }).closed;
      return closed ? withTimeout(closed, "a client to close", 1000) : undefined;
    }));
    await s.stop();
  }
}

/** Awaits a promise that must reject; returns the rejection. */
export async function rejection(p: Promise<unknown>, what: string, ms = 5000): Promise<Any> {
  try {
    const v = await withTimeout<Any>(p, what, ms);
    assert.fail(`${what}: expected an error, got ${show(v)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    if (e instanceof Error && e.message.startsWith("timed out")) throw e;
    return e;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export { AsyncQueue, deferred, withTimeout };
