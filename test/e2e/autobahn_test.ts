/**
 * End to end with AutobahnJS (the reference WAMP client) over real loopback sockets, against a
 * router started on the runtime's own adapter.
 *
 * Transport x serializer matrix, from autobahn 26.3.1's source:
 * - WebSocket (global WebSocket): json, msgpack (msgpack5), cbor (node-cbor).
 * - RawSocket (lib/transport/rawsocket.js over node:net): json only. Its Protocol declares
 *   `SERIALIZERS = { json: 1 }`, always writes `JSON.stringify(msg)` and parses JSON, so
 *   RawSocket with msgpack or cbor cannot be tested with autobahn.
 *
 * Binary with JSON: autobahn-js does not apply WAMP's JSON binary convention (`"\0"` + base64)
 * itself. Over WebSocket we give its JSONSerializer a replacer/reviver that does; RawSocket
 * ignores the transport serializer (it calls JSON.stringify/parse directly), so there the test
 * passes binary as the convention's strings. Either way the router sees real binary, which the
 * cross-serializer tests check from a msgpack/CBOR peer.
 * @module
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
// @ts-expect-error TS7016: autobahn ships no type declarations (used as `any` below)
import autobahn from "autobahn";
import { test } from "../_support/harness.ts";
import { startServer, type TestServer } from "../_support/server.ts";
import { AsyncQueue, deferred, withTimeout } from "../_support/raw_client.ts";

// deno-lint-ignore no-explicit-any
type Any = any; // any: autobahn ships no type declarations

const ab = autobahn as Any;
// Silence autobahn's console.warn chatter ("connection closed", "auto-reconnect disabled!").
ab.log.warn = () => {};

const T = { timeout: 20_000 };

// --- binary helpers ---

/** Any binary-ish value autobahn hands back (Buffer, Uint8Array, "\0"+base64) as plain bytes. */
function bytesOf(v: unknown): Uint8Array {
  if (typeof v === "string") {
    assert.ok(v.startsWith("\u0000"), `expected a "\\0"+base64 string, got ${JSON.stringify(v).slice(0, 40)}`);
    return new Uint8Array(Buffer.from(v.slice(1), "base64"));
  }
  assert.ok(v instanceof Uint8Array, `expected binary, got ${Object.prototype.toString.call(v)} ${JSON.stringify(v)?.slice(0, 60)}`);
  return new Uint8Array(v);
}

function assertBytes(actual: unknown, expected: Uint8Array, what: string): void {
  const got = bytesOf(actual);
  assert.equal(got.length, expected.length, `${what}: length`);
  assert.ok(Buffer.from(got).equals(Buffer.from(expected)), `${what}: bytes differ`);
}

function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed + (i >> 8)) & 0xff;
  return out;
}

/** Every byte value, then a longer pattern: catches UTF-8, sign and base64 padding mistakes. */
const BYTES_A = Uint8Array.from({ length: 256 }, (_, i) => i);
const BYTES_B = pattern(10_001, 7);

/** A JSONSerializer that speaks WAMP's JSON binary convention. */
function binaryJsonSerializer(): Any {
  const replacer = function (this: Record<string, unknown>, key: string, value: unknown) {
    const raw = this[key]; // before Buffer#toJSON ran
    if (raw instanceof Uint8Array) return "\u0000" + Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("base64");
    return value;
  };
  const reviver = (_key: string, value: unknown) =>
    typeof value === "string" && value.startsWith("\u0000") ? Buffer.from(value.slice(1), "base64") : value;
  return new ab.serializer.JSONSerializer(replacer, reviver);
}

// --- transport x serializer combinations ---

interface Combo {
  readonly name: string;
  /** A fresh transport description (autobahn mutates the object it is given). */
  transport(s: TestServer): Record<string, unknown>;
  /** How a test hands bytes to autobahn on this combination. */
  wire(bytes: Uint8Array): unknown;
  /** Whether received binary arrives as real bytes (false: as "\0"+base64 strings). */
  readonly nativeBinary: boolean;
}

const COMBOS: readonly Combo[] = [
  {
    name: "websocket/json",
    transport: (s) => ({ type: "websocket", url: s.url, serializers: [binaryJsonSerializer()] }),
    wire: (b) => b,
    nativeBinary: true,
  },
  {
    name: "websocket/msgpack",
    transport: (s) => ({ type: "websocket", url: s.url, serializers: [new ab.serializer.MsgpackSerializer()] }),
    wire: (b) => Buffer.from(b),
    nativeBinary: true,
  },
  {
    name: "websocket/cbor",
    transport: (s) => ({ type: "websocket", url: s.url, serializers: [new ab.serializer.CBORSerializer()] }),
    wire: (b) => b,
    nativeBinary: true,
  },
  {
    name: "rawsocket/json",
    transport: (s) => ({ type: "rawsocket", host: "127.0.0.1", port: s.rawSocketPort }),
    wire: (b) => "\u0000" + Buffer.from(b).toString("base64"),
    nativeBinary: false,
  },
];

const combo = (name: string): Combo => COMBOS.find((c) => c.name === name)!;

// --- autobahn connection helper ---

interface AbClient {
  readonly name: string;
  readonly session: Any;
  /** Settles with autobahn's close reason once the connection is gone. */
  readonly closed: Promise<{ reason: string; details: Any }>;
  /** Leaves with GOODBYE (when the session is open) and waits for the transport to close. */
  close(): Promise<void>;
  /** Drops the transport without GOODBYE: the session dies. */
  kill(): void;
}

async function connect(c: Combo, s: TestServer): Promise<AbClient> {
  const opened = deferred<Any>();
  const closed = deferred<{ reason: string; details: Any }>();
  const conn = new ab.Connection({
    realm: "realm1",
    transports: [c.transport(s)],
    max_retries: 0,
    retry_if_unreachable: false,
    use_es6_promises: true,
    on_user_error: () => {},
    on_internal_error: () => {},
  });
  conn.onopen = (session: Any) => opened.resolve(session);
  conn.onclose = (reason: string, details: Any) => {
    opened.reject(new Error(`${c.name}: connection closed before the session opened: ${reason} ${JSON.stringify(details)}`));
    closed.resolve({ reason, details });
    return true; // no reconnect
  };
  conn.open();
  const session = await withTimeout<Any>(opened.promise, `${c.name} session to open`);
  return {
    name: c.name,
    session,
    closed: closed.promise,
    async close() {
      try {
        conn.close();
      } catch {
        // already closed
      }
      await withTimeout<Any>(closed.promise, `${c.name} connection to close`);
    },
    kill() {
      conn._transport?.close();
    },
  };
}

async function closeClients(clients: Array<AbClient | undefined>): Promise<void> {
  await Promise.allSettled(clients.map((c) => c?.close()));
}

/** Runs `fn` against a fresh router; stops it (and every client `fn` registered) afterwards. */
async function withRouter(fn: (s: TestServer, track: (c: AbClient) => AbClient) => Promise<void>): Promise<void> {
  const s = await startServer();
  const clients: AbClient[] = [];
  try {
    await fn(s, (c) => {
      clients.push(c);
      return c;
    });
  } finally {
    await closeClients(clients);
    await s.stop();
  }
}

/** Awaits a promise that must reject; returns the rejection. */
async function rejection(p: Promise<unknown>, what: string, ms = 5000): Promise<Any> {
  try {
    const v = await withTimeout<Any>(p, what, ms);
    assert.fail(`${what}: expected an error, got ${JSON.stringify(v)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    if (e instanceof Error && e.message.startsWith("timed out")) throw e;
    return e;
  }
}

// --- scenarios, per combination ---

for (const c of COMBOS) {
  test(`autobahn ${c.name}: RPC round trip with args, kwargs and binary`, async () => {
    await withRouter(async (s, track) => {
      const callee = track(await connect(c, s));
      const caller = track(await connect(c, s));
      const seen = deferred<{ args: unknown[]; kwargs: Record<string, unknown> }>();
      await callee.session.register("com.e2e.echo", (args: unknown[], kwargs: Record<string, unknown>) => {
        seen.resolve({ args, kwargs });
        return new ab.Result(args, kwargs);
      });
      const args = [1, "two", c.wire(BYTES_A), { nested: [true, null, 3.5] }];
      const kwargs = { k: "v", bin: c.wire(BYTES_B), list: [c.wire(new Uint8Array(0))] };
      const res = await withTimeout<Any>(caller.session.call("com.e2e.echo", args, kwargs), "the echo call");

      const inv = await withTimeout<Any>(seen.promise, "the INVOCATION");
      assert.deepEqual(inv.args.slice(0, 2), [1, "two"]);
      assertBytes(inv.args[2], BYTES_A, "callee args[2]");
      if (c.nativeBinary) assert.ok(inv.args[2] instanceof Uint8Array, "callee gets real binary");

      assert.ok(res instanceof ab.Result, "multi-value result arrives as autobahn.Result");
      assert.deepEqual(res.args.slice(0, 2), [1, "two"]);
      assertBytes(res.args[2], BYTES_A, "result args[2]");
      assert.deepEqual(res.args[3], { nested: [true, null, 3.5] });
      assert.equal(res.kwargs.k, "v");
      assertBytes(res.kwargs.bin, BYTES_B, "result kwargs.bin");
      assertBytes(res.kwargs.list[0], new Uint8Array(0), "result kwargs.list[0] (empty binary)");
      if (c.nativeBinary) assert.ok(res.kwargs.bin instanceof Uint8Array, "caller gets real binary");

      // A plain value (no Result) comes back as a one-element list, which autobahn unwraps.
      await callee.session.register("com.e2e.add", (a: number[]) => a[0]! + a[1]!);
      assert.equal(await withTimeout<Any>(caller.session.call("com.e2e.add", [2, 3]), "add"), 5);
    });
  }, T);

  test(`autobahn ${c.name}: callee errors, duplicate registration, unknown procedure`, async () => {
    await withRouter(async (s, track) => {
      const callee = track(await connect(c, s));
      const other = track(await connect(c, s));
      await callee.session.register("com.e2e.fail", () => {
        throw new ab.Error("com.e2e.error.bad", ["why", 7, c.wire(BYTES_A)], { code: 7 });
      });

      const e1 = await rejection(other.session.call("com.e2e.fail", ["x"]), "call to a failing callee");
      assert.ok(e1 instanceof ab.Error, `autobahn.Error expected, got ${String(e1)}`);
      assert.equal(e1.error, "com.e2e.error.bad");
      assert.deepEqual(e1.args.slice(0, 2), ["why", 7]);
      assertBytes(e1.args[2], BYTES_A, "error args[2]");
      assert.deepEqual(e1.kwargs, { code: 7 });

      const e2 = await rejection(other.session.register("com.e2e.fail", () => 1), "second REGISTER");
      assert.equal(e2.error, "wamp.error.procedure_already_exists");

      const e3 = await rejection(other.session.call("com.e2e.nobody.home"), "call to an unknown procedure");
      assert.equal(e3.error, "wamp.error.no_such_procedure");

      // The sessions are still fine after errors.
      await other.session.register("com.e2e.ok", () => "ok");
      assert.equal(await withTimeout<Any>(callee.session.call("com.e2e.ok"), "ok call"), "ok");
    });
  }, T);

  test(`autobahn ${c.name}: publish/subscribe with exclude_me and acknowledge`, async () => {
    await withRouter(async (s, track) => {
      const pub = track(await connect(c, s));
      const sub = track(await connect(c, s));
      type Ev = { args: unknown[]; kwargs: Record<string, unknown>; details: Any };
      const pubEvents = new AsyncQueue<Ev>();
      const subEvents = new AsyncQueue<Ev>();
      await sub.session.subscribe("com.e2e.topic", (args: unknown[], kwargs: Record<string, unknown>, details: Any) =>
        subEvents.push({ args, kwargs, details }));
      await pub.session.subscribe("com.e2e.topic", (args: unknown[], kwargs: Record<string, unknown>, details: Any) =>
        pubEvents.push({ args, kwargs, details }));

      // 1. Default exclude_me: the subscriber gets it, the publisher does not.
      const p1 = await withTimeout<Any>(
        pub.session.publish("com.e2e.topic", [1, c.wire(BYTES_A)], { k: "v" }, { acknowledge: true }),
        "PUBLISHED for p1",
      );
      assert.ok(Number.isSafeInteger(p1.id) && p1.id > 0, `publication id, got ${JSON.stringify(p1)}`);
      const e1 = await subEvents.take("EVENT p1 at the subscriber", 5000);
      assert.equal(e1.details.publication, p1.id, "EVENT carries the acknowledged publication id");
      assert.equal(e1.args[0], 1);
      assertBytes(e1.args[1], BYTES_A, "event args[1]");
      assert.deepEqual(e1.kwargs, { k: "v" });

      // 2. exclude_me: false: the publisher gets it too. The router handles one session's
      // messages in order and writes a connection's messages in order, so had p1 reached the
      // publisher it would arrive before p2: the first event the publisher sees must be p2.
      const p2 = await withTimeout<Any>(
        pub.session.publish("com.e2e.topic", [2], {}, { acknowledge: true, exclude_me: false }),
        "PUBLISHED for p2",
      );
      assert.notEqual(p2.id, p1.id);
      const mine = await pubEvents.take("EVENT p2 at the publisher", 5000);
      assert.equal(mine.details.publication, p2.id, "the publisher was excluded from p1 and included in p2");
      assert.deepEqual(mine.args, [2]);
      const e2 = await subEvents.take("EVENT p2 at the subscriber", 5000);
      assert.equal(e2.details.publication, p2.id);
      assert.equal(pubEvents.size, 0);
    });
  }, T);

  test(`autobahn ${c.name}: a callee that dies mid-call -> caller gets wamp.error.canceled promptly`, async () => {
    await withRouter(async (s, track) => {
      const callee = track(await connect(c, s));
      const caller = track(await connect(c, s));
      const invoked = deferred<void>();
      await callee.session.register("com.e2e.slow", () => {
        invoked.resolve();
        return new Promise(() => {}); // never answers
      });
      const call = caller.session.call("com.e2e.slow", [1]);
      call.catch(() => {}); // examined below
      await withTimeout<Any>(invoked.promise, "the INVOCATION at the callee");
      const t0 = Date.now();
      callee.kill();
      const err = await rejection(call, "the caller's answer after the callee died", 3000);
      assert.equal(err.error, "wamp.error.canceled", `got ${JSON.stringify(err)}`);
      assert.ok(Date.now() - t0 < 3000);
      await withTimeout<Any>(callee.closed, "the callee's connection to close");

      const again = await rejection(caller.session.call("com.e2e.slow"), "a call after the callee left");
      assert.equal(again.error, "wamp.error.no_such_procedure", "the registration went with the session");
    });
  }, T);
}

// --- across serializers ---

const CROSS: ReadonlyArray<[caller: string, callee: string]> = [
  ["websocket/json", "websocket/cbor"],
  ["websocket/json", "websocket/msgpack"],
  ["rawsocket/json", "websocket/cbor"],
  ["websocket/msgpack", "rawsocket/json"],
  ["websocket/cbor", "websocket/msgpack"],
];

for (const [callerName, calleeName] of CROSS) {
  test(`autobahn cross-serializer: ${callerName} caller -> ${calleeName} callee keeps binary intact`, async () => {
    const cc = combo(callerName);
    const ce = combo(calleeName);
    await withRouter(async (s, track) => {
      const callee = track(await connect(ce, s));
      const caller = track(await connect(cc, s));
      const seen = deferred<{ args: unknown[]; kwargs: Record<string, unknown> }>();
      await callee.session.register("com.e2e.bin", (args: unknown[], kwargs: Record<string, unknown>) => {
        seen.resolve({ args, kwargs });
        return new ab.Result([args[0], ce.wire(BYTES_B)], { echo: kwargs["b"] });
      });
      const res = await withTimeout<Any>(
        caller.session.call("com.e2e.bin", [cc.wire(BYTES_A)], { b: cc.wire(BYTES_B) }),
        "the cross-serializer call",
      );
      const inv = await seen.promise;
      if (ce.nativeBinary) {
        assert.ok(inv.args[0] instanceof Uint8Array, `${calleeName} callee receives real binary from a ${callerName} caller`);
      }
      assertBytes(inv.args[0], BYTES_A, "callee args[0]");
      assertBytes(inv.kwargs["b"], BYTES_B, "callee kwargs.b");
      assertBytes(res.args[0], BYTES_A, "caller result args[0]");
      assertBytes(res.args[1], BYTES_B, "caller result args[1]");
      assertBytes(res.kwargs.echo, BYTES_B, "caller result kwargs.echo");
      if (cc.nativeBinary) assert.ok(res.args[0] instanceof Uint8Array, "caller receives real binary");
    });
  }, T);
}
