/**
 * Resource limits over real loopback sockets, against a router on the runtime's own adapter:
 * each limit stops the client that crosses it while every other client keeps working.
 *
 * - an oversize WebSocket message (over the adapter's maxMessageSize) closes that connection;
 * - an oversize RawSocket frame (over the length the router announced) fails that connection;
 * - a slow consumer (a subscriber whose socket stops reading) loses events instead of making the
 *   router buffer them, does not slow the publisher or a reading subscriber, and is closed;
 * - the message rate, sessions per realm and pending calls per session;
 * - the idle ping: a transport that never answers PING is closed, one that answers stays.
 *
 * Every wait has a timeout and every loop a bound in count and time.
 * @module
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import process from "node:process";
import { runtime, test } from "../_support/harness.ts";
import { startServerWith } from "../_support/server_limits.ts";
import type { TestServer } from "../_support/server.ts";
import {
  ALL_ROLES,
  AsyncQueue,
  closeAll,
  connectRawSocket,
  connectWebSocket,
  deferred,
  type RawClient,
  withTimeout,
} from "../_support/raw_client.ts";
import { encodeFrame, RAWSOCKET_FRAME_MESSAGE, RawSocketClientProtocol } from "../../src/framing/rawsocket.ts";
import type { Limits } from "../../src/router/limits.ts";
import type { RouterOptions } from "../../src/router/options.ts";
import type { Logger, LogLevel } from "../../src/platform/logger.ts";

const T = { timeout: 30_000 };
/** Set LIMITS_TEST_VERBOSE=1 to print what the slow-consumer tests measured. */
const VERBOSE = Boolean(process.env["LIMITS_TEST_VERBOSE"]);

// WAMP message codes used here.
const HELLO = 1, WELCOME = 2, ABORT = 3, GOODBYE = 6, ERROR = 8, PUBLISH = 16, PUBLISHED = 17;
const SUBSCRIBE = 32, SUBSCRIBED = 33, EVENT = 36, CALL = 48, RESULT = 50;
const REGISTER = 64, REGISTERED = 65, INVOCATION = 68, YIELD = 70;

// --- router with a log we can read ---

interface LogRecord {
  level: LogLevel;
  msg: string;
  fields: Record<string, unknown> | undefined;
}

interface Rig {
  readonly s: TestServer;
  readonly logs: LogRecord[];
  /** Keeps a client (or socket) to close when the test ends. */
  track<C extends { close(): void }>(c: C): C;
  /** Established client sessions of realm1. */
  sessions(): number;
}

async function withRouter(
  limits: Partial<Limits>,
  fn: (rig: Rig) => Promise<void>,
  options: { router?: RouterOptions; maxMessageSize?: number } = {},
): Promise<void> {
  const logs: LogRecord[] = [];
  const logger: Logger = { log: (level, msg, fields) => void logs.push({ level, msg, fields }) };
  const s = await startServerWith(
    { ...options.router, limits, logger },
    options.maxMessageSize ? { maxMessageSize: options.maxMessageSize } : {},
  );
  const open: Array<{ close(): void }> = [];
  try {
    await fn({
      s,
      logs,
      track: (c) => {
        open.push(c);
        return c;
      },
      sessions: () => s.router.realm("realm1")!.sessionCount,
    });
  } finally {
    closeAll(...open);
    await s.stop();
  }
}

type Kind = "websocket/json" | "websocket/msgpack" | "websocket/cbor" | "rawsocket/json" | "rawsocket/msgpack" | "rawsocket/cbor";

async function joined(rig: Rig, kind: Kind): Promise<RawClient> {
  const [transport, ser] = kind.split("/") as ["websocket" | "rawsocket", "json" | "msgpack" | "cbor"];
  const c = rig.track(
    transport === "websocket" ? await connectWebSocket(rig.s.url, `wamp.2.${ser}`) : await connectRawSocket(rig.s.rawSocketPort, ser),
  );
  const w = await c.hello("realm1");
  assert.equal(w[0], WELCOME, `expected WELCOME on ${kind}, got ${JSON.stringify(w)}`);
  return c;
}

/** The next message that is not an EVENT (events to a client are skipped). */
async function nextReply(c: RawClient, ms = 5000): Promise<unknown[]> {
  const deadline = Date.now() + ms;
  for (let i = 0; i < 100_000; i++) {
    const m = await c.next(Math.max(1, deadline - Date.now()));
    if (m[0] !== EVENT) return m;
  }
  throw new Error("too many events while waiting for a reply");
}

async function register(c: RawClient, procedure: string): Promise<number> {
  const id = c.nextRequestId();
  c.send([REGISTER, id, {}, procedure]);
  const m = await nextReply(c);
  assert.deepEqual(m.slice(0, 2), [REGISTERED, id], `REGISTER ${procedure}: ${JSON.stringify(m)}`);
  return m[2] as number;
}

async function subscribe(c: RawClient, topic: string): Promise<number> {
  const id = c.nextRequestId();
  c.send([SUBSCRIBE, id, {}, topic]);
  const m = await nextReply(c);
  assert.deepEqual(m.slice(0, 2), [SUBSCRIBED, id], `SUBSCRIBE ${topic}: ${JSON.stringify(m)}`);
  return m[2] as number;
}

/** One CALL and its answer (RESULT or ERROR). */
async function call(c: RawClient, procedure: string, args: unknown[] = [], ms = 5000): Promise<unknown[]> {
  const id = c.nextRequestId();
  c.send([CALL, id, {}, procedure, args]);
  const m = await nextReply(c, ms);
  assert.equal(m[m[0] === ERROR ? 2 : 1], id, `answer to CALL ${id}: ${JSON.stringify(m)}`);
  return m;
}

async function assertCallWorks(c: RawClient, procedure: string, what: string): Promise<void> {
  const token = Math.floor(Math.random() * 1e9);
  const m = await call(c, procedure, [token], 3000);
  assert.equal(m[0], RESULT, `${what}: expected RESULT, got ${JSON.stringify(m)}`);
  assert.deepEqual(m[3], [token], `${what}: echoed arguments`);
}

/**
 * Answers every INVOCATION on `c` with its own arguments until stopped, the transport closes or
 * `maxMs` passes.
 */
function echoCallee(c: RawClient, maxMs = 25_000): { stop(): Promise<void> } {
  let running = true;
  const deadline = Date.now() + maxMs;
  const done = (async () => {
    while (running && !c.isClosed && Date.now() < deadline) {
      let m: unknown[];
      try {
        m = await c.next(200);
      } catch {
        continue; // a timeout; the loop condition decides whether to go on
      }
      if (m[0] === INVOCATION) c.send([YIELD, m[1], {}, (m[4] as unknown[] | undefined) ?? []]);
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
    },
  };
}

/** A caller and an echo callee that are not involved in what the test provokes. */
async function bystanders(rig: Rig, callerKind: Kind, calleeKind: Kind, procedure = "p.echo") {
  const callee = await joined(rig, calleeKind);
  await register(callee, procedure);
  const echo = echoCallee(callee);
  const caller = await joined(rig, callerKind);
  await assertCallWorks(caller, procedure, "before");
  return { caller, callee, echo, procedure };
}

/** Calls `procedure` back to back until stopped; every call must succeed. */
function keepCalling(caller: RawClient, procedure: string, maxMs = 20_000): { stop(): Promise<number> } {
  let running = true;
  let calls = 0;
  let failure: unknown;
  const deadline = Date.now() + maxMs;
  const done = (async () => {
    while (running && Date.now() < deadline && calls < 100_000) {
      try {
        await assertCallWorks(caller, procedure, `call ${calls + 1} while another client is stopped`);
      } catch (e) {
        failure = e;
        return;
      }
      calls++;
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      if (failure) throw failure;
      return calls;
    },
  };
}

function sessionOf(rig: Rig, id: number) {
  return rig.s.router.realm("realm1")!.session(id);
}

/**
 * A session's flow counters. They moved from the Session into `session.flow` (FlowControl);
 * read either shape so the test does not depend on where they live.
 */
function counters(session: object): { droppedEvents: number; rateLimited: number } {
  const s = session as { flow?: { droppedEvents: number; rateLimited: number }; droppedEvents?: number; rateLimited?: number };
  return { droppedEvents: s.flow?.droppedEvents ?? s.droppedEvents ?? 0, rateLimited: s.flow?.rateLimited ?? s.rateLimited ?? 0 };
}

/** The human-readable explanation the router puts in an ERROR's Arguments[0]. */
function explanation(m: unknown[]): string {
  const args = m[5];
  return Array.isArray(args) && typeof args[0] === "string" ? args[0] : "";
}

async function waitFor(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// --- a WebSocket client over a bare TCP socket, which can stop reading ---

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * WebSocket (RFC 6455) done by hand over `node:net`, JSON only: unlike the runtime's WebSocket it
 * can stop reading (`socket.pause()`), so the router's writes pile up, and it can leave pings
 * unanswered.
 */
class TcpWebSocket {
  readonly socket: Socket;
  readonly inbox = new AsyncQueue<unknown[]>();
  readonly closed = deferred<void>();
  isClosed = false;
  pings = 0;
  answerPings: boolean;
  closeCode: number | undefined;
  #buf = new Uint8Array(0);
  #requestId = 0;

  private constructor(socket: Socket, answerPings: boolean) {
    this.socket = socket;
    this.answerPings = answerPings;
    socket.on("error", () => {});
    socket.on("close", () => {
      this.isClosed = true;
      this.inbox.end();
      this.closed.resolve();
    });
  }

  static async open(port: number, options: { answerPings?: boolean; path?: string } = {}): Promise<TcpWebSocket> {
    const socket = await withTimeout(
      new Promise<Socket>((resolve, reject) => {
        const s = connect({ host: "127.0.0.1", port }, () => resolve(s));
        s.once("error", reject);
      }),
      "TCP connect for a WebSocket",
    );
    socket.setNoDelay(true);
    const ws = new TcpWebSocket(socket, options.answerPings ?? true);
    const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
    const upgraded = deferred<void>();
    let head = "";
    const onHandshake = (chunk: Uint8Array) => {
      const bytes = new Uint8Array(chunk);
      const text = head + decoder.decode(bytes);
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) {
        head = text;
        return;
      }
      socket.off("data", onHandshake);
      const headers = text.slice(0, end);
      if (!/^HTTP\/1\.1 101/.test(headers) || !/sec-websocket-protocol:\s*wamp\.2\.json/i.test(headers)) {
        upgraded.reject(new Error(`WebSocket upgrade refused: ${headers.split("\r\n")[0]}`));
        return;
      }
      // Frames may follow the headers in the same chunk.
      const used = encoder.encode(text.slice(0, end + 4)).length - encoder.encode(head).length;
      socket.on("data", (c: Uint8Array) => ws.#read(new Uint8Array(c)));
      ws.#read(bytes.subarray(used));
      upgraded.resolve();
    };
    socket.on("data", onHandshake);
    socket.once("close", () => upgraded.reject(new Error("closed during the WebSocket upgrade")));
    socket.write(
      `GET ${options.path ?? "/ws"} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: wamp.2.json\r\n\r\n`,
    );
    try {
      await withTimeout(upgraded.promise, "the WebSocket upgrade");
    } catch (e) {
      socket.destroy();
      throw e;
    }
    return ws;
  }

  #read(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const all = new Uint8Array(this.#buf.length + chunk.length);
    all.set(this.#buf);
    all.set(chunk, this.#buf.length);
    let off = 0;
    for (;;) {
      if (all.length - off < 2) break;
      const b0 = all[off]!, b1 = all[off + 1]!;
      let len = b1 & 0x7f;
      let hdr = 2;
      if (len === 126) {
        if (all.length - off < 4) break;
        len = (all[off + 2]! << 8) | all[off + 3]!;
        hdr = 4;
      } else if (len === 127) {
        if (all.length - off < 10) break;
        len = Number(new DataView(all.buffer, all.byteOffset + off + 2, 8).getBigUint64(0));
        hdr = 10;
      }
      if (all.length - off < hdr + len) break;
      const payload = all.subarray(off + hdr, off + hdr + len);
      off += hdr + len;
      const opcode = b0 & 0x0f;
      if (opcode === 1) this.inbox.push(JSON.parse(decoder.decode(payload)) as unknown[]);
      else if (opcode === 8) {
        this.closeCode = payload.length >= 2 ? (payload[0]! << 8) | payload[1]! : 1005;
        this.#frame(8, payload.slice(0, 2));
        this.socket.end();
      } else if (opcode === 9) {
        this.pings++;
        if (this.answerPings) this.#frame(10, payload.slice());
      }
    }
    this.#buf = all.slice(off);
  }

  /** A masked client frame. */
  #frame(opcode: number, payload: Uint8Array): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    const len = payload.length;
    const hdr = len < 126 ? 2 : len < 65536 ? 4 : 10;
    const out = new Uint8Array(hdr + 4 + len);
    out[0] = 0x80 | opcode;
    if (hdr === 2) out[1] = 0x80 | len;
    else if (hdr === 4) {
      out[1] = 0x80 | 126;
      out[2] = len >> 8;
      out[3] = len & 0xff;
    } else {
      out[1] = 0x80 | 127;
      new DataView(out.buffer).setBigUint64(2, BigInt(len));
    }
    const mask = crypto.getRandomValues(new Uint8Array(4));
    out.set(mask, hdr);
    for (let i = 0; i < len; i++) out[hdr + 4 + i] = payload[i]! ^ mask[i & 3]!;
    this.socket.write(out);
  }

  send(message: readonly unknown[]): void {
    this.#frame(1, encoder.encode(JSON.stringify(message)));
  }

  next(ms = 5000): Promise<unknown[]> {
    return this.inbox.take("a message on the TCP WebSocket", ms);
  }

  nextRequestId(): number {
    return ++this.#requestId;
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * A subscriber (and callee of `procedure`, when given) that will stop reading: over RawSocket a
 * raw client whose socket gets paused, over WebSocket the hand-made client above.
 */
interface Stoppable {
  readonly sessionId: number;
  readonly socket: Socket;
  /** Stops reading: the router's frames pile up in its buffers. */
  stopReading(): void;
  readonly isClosed: boolean;
  close(): void;
}

async function stoppableSubscriber(rig: Rig, transport: "rawsocket" | "websocket", topic: string, procedure?: string): Promise<Stoppable> {
  let sendRecv: { send(m: readonly unknown[]): void; next(ms?: number): Promise<unknown[]>; nextRequestId(): number };
  let socket: Socket;
  let closedFlag: () => boolean;
  let close: () => void;
  if (transport === "rawsocket") {
    const c = rig.track(await connectRawSocket(rig.s.rawSocketPort, "json"));
    sendRecv = c;
    socket = c.socket;
    closedFlag = () => c.isClosed;
    close = () => c.socket.destroy();
  } else {
    const c = rig.track(await TcpWebSocket.open(Number(new URL(rig.s.url).port)));
    sendRecv = c;
    socket = c.socket;
    closedFlag = () => c.isClosed;
    close = () => c.close();
  }
  sendRecv.send([HELLO, "realm1", { roles: ALL_ROLES }]);
  const w = await sendRecv.next();
  assert.equal(w[0], WELCOME, JSON.stringify(w));
  let id = sendRecv.nextRequestId();
  sendRecv.send([SUBSCRIBE, id, {}, topic]);
  assert.deepEqual((await sendRecv.next()).slice(0, 2), [SUBSCRIBED, id]);
  if (procedure) {
    id = sendRecv.nextRequestId();
    sendRecv.send([REGISTER, id, {}, procedure]);
    assert.deepEqual((await sendRecv.next()).slice(0, 2), [REGISTERED, id]);
  }
  return {
    sessionId: w[1] as number,
    socket,
    stopReading: () => socket.pause(),
    get isClosed() {
      return closedFlag();
    },
    close: () => close(),
  };
}

// --- flooding ---

interface FloodResult {
  acked: number;
  ms: number;
  /** Slowest PUBLISH -> PUBLISHED. */
  maxAckMs: number;
}

/** Publishes `n` acknowledged events of `payload` with at most `window` unacknowledged. */
async function flood(pub: RawClient, topic: string, n: number, payload: string, window = 32, maxMs = 15_000): Promise<FloodResult> {
  const started = Date.now();
  const deadline = started + maxMs;
  const sentAt = new Map<number, number>();
  let sent = 0;
  let acked = 0;
  let maxAckMs = 0;
  while (acked < n) {
    while (sent < n && sent - acked < window) {
      const id = pub.nextRequestId();
      sentAt.set(id, Date.now());
      pub.send([PUBLISH, id, { acknowledge: true }, topic, [sent, Date.now(), payload]]);
      sent++;
    }
    const m = await pub.next(Math.max(1, deadline - Date.now()));
    if (m[0] === EVENT) continue;
    assert.equal(m[0], PUBLISHED, `publish ${acked + 1}: ${JSON.stringify(m).slice(0, 300)}`);
    const t0 = sentAt.get(m[1] as number);
    assert.ok(t0 !== undefined, `PUBLISHED for an unknown request ${String(m[1])}`);
    sentAt.delete(m[1] as number);
    maxAckMs = Math.max(maxAckMs, Date.now() - t0);
    acked++;
  }
  return { acked, ms: Date.now() - started, maxAckMs };
}

interface Received {
  count: number;
  inOrder: boolean;
  /** Slowest publish -> event delivery. */
  maxLatencyMs: number;
}

/** Collects `n` EVENTs on `c` (args [index, sentAt, ...]) until done or `maxMs`. */
function collect(c: RawClient, n: number, maxMs = 15_000): Promise<Received> {
  return (async () => {
    const deadline = Date.now() + maxMs;
    const r: Received = { count: 0, inOrder: true, maxLatencyMs: 0 };
    while (r.count < n && Date.now() < deadline) {
      let m: unknown[];
      try {
        m = await c.next(Math.max(1, deadline - Date.now()));
      } catch {
        break;
      }
      if (m[0] !== EVENT) continue;
      const [index, sentAt] = m[4] as [number, number];
      if (index !== r.count) r.inOrder = false;
      r.maxLatencyMs = Math.max(r.maxLatencyMs, Date.now() - sentAt);
      r.count++;
    }
    return r;
  })();
}

// =====================================================================================
// Oversize WebSocket message: only that connection is closed.
// =====================================================================================

for (const protocol of ["json", "cbor"] as const) {
  test(`limits e2e (${runtime}): an oversize WebSocket message (${protocol}) closes only that connection`, async () => {
    const max = 4096;
    await withRouter({}, async (rig) => {
      const b = await bystanders(rig, "websocket/json", "rawsocket/msgpack");
      const calling = keepCalling(b.caller, b.procedure);
      const victim = await joined(rig, `websocket/${protocol}`);
      // Just under the limit is fine.
      const okId = victim.nextRequestId();
      victim.send([PUBLISH, okId, { acknowledge: true }, "t.big", ["x".repeat(max - 200)]]);
      assert.deepEqual((await victim.next()).slice(0, 2), [PUBLISHED, okId], "a message under the limit goes through");
      assert.equal(rig.sessions(), 3);

      const ws = (victim as unknown as { ws: WebSocket }).ws;
      const code = deferred<number>();
      ws.addEventListener("close", (ev: CloseEvent) => code.resolve(ev.code));
      victim.send([PUBLISH, victim.nextRequestId(), { acknowledge: true }, "t.big", ["x".repeat(max * 2)]]);
      await withTimeout(victim.closed, "the oversize WebSocket to close");
      const closeCode = await withTimeout(code.promise, "the close code");
      assert.equal(closeCode, 1009, "1009: message too big (RFC 6455 7.4.1)");
      await waitFor("the session to leave the realm", () => rig.sessions() === 2);

      const during = await calling.stop();
      assert.ok(during > 0, "calls went on meanwhile");
      await assertCallWorks(b.caller, b.procedure, "after");
      // A new connection is served as before.
      const again = await joined(rig, `websocket/${protocol}`);
      await assertCallWorks(again, b.procedure, "a new connection");
      await b.echo.stop();
    }, { maxMessageSize: max });
  }, T);
}

// =====================================================================================
// Oversize RawSocket frame: over the announced length, that connection fails.
// =====================================================================================

test(`limits e2e (${runtime}): a RawSocket frame over the announced length fails only that connection`, async () => {
  await withRouter({}, async (rig) => {
    const b = await bystanders(rig, "rawsocket/json", "rawsocket/cbor");
    const calling = keepCalling(b.caller, b.procedure);
    const victim = rig.track(await connectRawSocket(rig.s.rawSocketPort, "json"));
    // The router announced 1024 bytes in its handshake reply.
    assert.equal(victim.protocol.canSend(1024), true);
    assert.equal(victim.protocol.canSend(1025), false, "the router announced 1024 bytes");
    assert.equal((await victim.hello("realm1"))[0], WELCOME);

    // Exactly 1024 bytes is still allowed.
    const okId = victim.nextRequestId();
    const pad = (n: number, id: number) => {
      const base = JSON.stringify([PUBLISH, id, { acknowledge: true }, "t.big", [""]]);
      return JSON.stringify([PUBLISH, id, { acknowledge: true }, "t.big", ["x".repeat(n - base.length)]]);
    };
    const exact = pad(1024, okId);
    assert.equal(exact.length, 1024);
    victim.sendRaw(exact);
    assert.deepEqual((await victim.next()).slice(0, 2), [PUBLISHED, okId], "a 1024-byte frame goes through");

    // One byte more (the client-side framer would refuse it, so frame it by hand).
    const over = pad(1025, victim.nextRequestId());
    victim.writeBytes(encodeFrame(RAWSOCKET_FRAME_MESSAGE, encoder.encode(over)));
    await withTimeout(victim.closed, "the RawSocket connection to be failed");
    await waitFor("the session to leave the realm", () => rig.sessions() === 2);
    assert.ok(rig.logs.some((l) => l.msg === "rawsocket connection failed"), "the failure is logged");

    const during = await calling.stop();
    assert.ok(during > 0, "calls went on meanwhile");
    await assertCallWorks(b.caller, b.procedure, "after");
    await b.echo.stop();
  }, { router: { rawSocketMaxLength: 1024 } });
}, T);

// =====================================================================================
// Slow consumer: a subscriber that stops reading.
// =====================================================================================

const SLOW_BYTES = 64 * 1024;
const EVENT_BYTES = 8 * 1024;
/** 24 MiB of events: several times what the adapter (1 MiB) and the kernel buffer. */
const FLOOD_EVENTS = 3000;
/** The most the router may have handed to the stopped subscriber's transport. */
const SLOW_SENT_BOUND = 12 * 1024 * 1024;

for (const transport of ["rawsocket", "websocket"] as const) {
  test(`limits e2e (${runtime}): a ${transport} subscriber that stops reading slows no one, is not buffered for, and is closed`, async () => {
    await withRouter({ slowConsumerBytes: SLOW_BYTES }, async (rig) => {
      const payload = "e".repeat(EVENT_BYTES);
      const reader = await joined(rig, "rawsocket/json");
      await subscribe(reader, "t.flood");
      const pub = await joined(rig, "websocket/json");
      const caller = await joined(rig, "rawsocket/msgpack");

      // Baseline: the same flood with only the reading subscriber.
      const rxBase = collect(reader, FLOOD_EVENTS / 3);
      const base = await flood(pub, "t.flood", FLOOD_EVENTS / 3, payload);
      const baseRx = await rxBase;
      assert.equal(baseRx.count, FLOOD_EVENTS / 3);

      // Now a subscriber (also a callee) that stops reading.
      const slow = rig.track(await stoppableSubscriber(rig, transport, "t.flood", "p.slow"));
      const slowSession = sessionOf(rig, slow.sessionId);
      assert.ok(slowSession, "the slow session is in the realm");
      slow.stopReading();
      const rssBefore = process.memoryUsage().rss;
      const rx = collect(reader, FLOOD_EVENTS);
      const res = await flood(pub, "t.flood", FLOOD_EVENTS, payload);
      const got = await rx;
      const rssGrowth = process.memoryUsage().rss - rssBefore;

      // The publisher and the reading subscriber were not held back.
      assert.equal(res.acked, FLOOD_EVENTS, "every publish acknowledged");
      assert.equal(got.count, FLOOD_EVENTS, "the reading subscriber got every event");
      assert.ok(got.inOrder, "in order");
      const perEventBase = base.ms / (FLOOD_EVENTS / 3);
      const perEvent = res.ms / FLOOD_EVENTS;
      assert.ok(perEvent < perEventBase * 4 + 1, `publishing slowed down: ${perEvent} ms/event vs ${perEventBase} without the stopped subscriber`);
      assert.ok(res.maxAckMs < 2000, `slowest acknowledgement ${res.maxAckMs} ms`);
      assert.ok(got.maxLatencyMs < 2000, `slowest event delivery ${got.maxLatencyMs} ms`);

      // The router stopped sending to the stopped subscriber instead of buffering for it.
      assert.ok(!slow.isClosed && slowSession.alive, "still connected: it only lost events");
      const sent = slowSession.peer.bytesSent ?? 0;
      assert.ok(counters(slowSession).droppedEvents > 0, "events to it were dropped");
      assert.ok(sent < SLOW_SENT_BOUND, `handed ${sent} bytes to its transport, of ${FLOOD_EVENTS * EVENT_BYTES} published`);
      if (VERBOSE) {
        console.log(JSON.stringify({
          runtime, transport, base, res, reader: got, droppedEvents: counters(slowSession).droppedEvents,
          bytesSentToSlow: sent, rssGrowthMB: +(rssGrowth / 2 ** 20).toFixed(1),
        }));
      }

      // Results and invocations are not dropped: they count against slowConsumerBytes, and past
      // it the session is closed. Calls to it end with an error, never hang.
      const before = rig.sessions();
      const ids: number[] = [];
      for (let i = 0; i < 20; i++) {
        const id = caller.nextRequestId();
        ids.push(id);
        caller.send([CALL, id, {}, "p.slow", [payload]]);
      }
      const answers = new Map<number, string>();
      for (let i = 0; i < ids.length; i++) {
        const m = await caller.next(5000);
        assert.equal(m[0], ERROR, `a call to the stopped callee: ${JSON.stringify(m).slice(0, 200)}`);
        answers.set(m[2] as number, m[4] as string);
      }
      assert.deepEqual([...new Set(answers.values())].sort(), ["wamp.error.canceled", "wamp.error.no_such_procedure"]);
      await waitFor("the slow session to be closed", () => rig.sessions() === before - 1);
      assert.equal(slowSession.alive, false);
      const warn = rig.logs.find((l) => l.msg === "slow consumer closed");
      assert.ok(warn, "closed as a slow consumer");
      assert.equal(warn.fields?.["session"], slow.sessionId);

      // Everyone else goes on.
      const rx2 = collect(reader, 1);
      await flood(pub, "t.flood", 1, "after");
      assert.equal((await rx2).count, 1);
    });
  }, T);
}

// A subscriber that only receives events is not closed by slowConsumerBytes (events to it are
// dropped, not queued); a stopped reader is found by the idle ping, which it cannot answer.
// Deno's WebSocket adapter has no ping of its own (Deno pings by itself on a fixed schedule).
for (const transport of ["rawsocket", "websocket"] as const) {
  const skip = transport === "websocket" && runtime === "deno" ? "the Deno WebSocket adapter does not ping" : false;
  test(`limits e2e (${runtime}): a ${transport} subscriber that stops reading and only gets events is closed by the idle ping`, async () => {
    await withRouter({ slowConsumerBytes: SLOW_BYTES, idlePingMs: 800, idleCloseMs: 400 }, async (rig) => {
      const reader = await joined(rig, "websocket/json");
      await subscribe(reader, "t.flood");
      const pub = await joined(rig, "rawsocket/json");
      const slow = rig.track(await stoppableSubscriber(rig, transport, "t.flood"));
      const slowSession = sessionOf(rig, slow.sessionId)!;
      slow.stopReading();
      const rx = collect(reader, FLOOD_EVENTS / 2);
      const res = await flood(pub, "t.flood", FLOOD_EVENTS / 2, "e".repeat(EVENT_BYTES));
      assert.equal((await rx).count, FLOOD_EVENTS / 2);
      assert.ok(res.maxAckMs < 2000, `slowest acknowledgement ${res.maxAckMs} ms`);
      assert.ok(counters(slowSession).droppedEvents > 0, "events to it were dropped");
      await waitFor("the stopped subscriber to be closed", () => !slowSession.alive, 5000);
      assert.equal(rig.sessions(), 2, "the reader and the publisher stay");
      assert.ok(rig.logs.some((l) => l.msg.startsWith("dead peer") && l.fields?.["session"] === slow.sessionId));
      const rx2 = collect(reader, 1);
      await flood(pub, "t.flood", 1, "after");
      assert.equal((await rx2).count, 1);
    });
  }, { ...T, skip });
}

// =====================================================================================
// Message rate.
// =====================================================================================

test(`limits e2e (${runtime}): the message rate limits the flooding session only`, async () => {
  await withRouter({ messagesPerSecond: 50, messageBurst: 10 }, async (rig) => {
    const sub = await joined(rig, "rawsocket/json");
    await subscribe(sub, "t.rate");
    const flooder = await joined(rig, "websocket/json");
    const other = await joined(rig, "rawsocket/cbor");

    // 40 acknowledged publishes at once: the burst passes, the rest is refused.
    const ids = new Set<number>();
    for (let i = 0; i < 40; i++) {
      const id = flooder.nextRequestId();
      ids.add(id);
      flooder.send([PUBLISH, id, { acknowledge: true }, "t.rate", ["flood"]]);
    }
    // Meanwhile another session publishes at its own (full) rate.
    for (let i = 0; i < 10; i++) other.send([PUBLISH, other.nextRequestId(), { acknowledge: true }, "t.rate", ["other"]]);
    let published = 0;
    let refused = 0;
    for (let i = 0; i < 40; i++) {
      const m = await flooder.next();
      assert.ok(ids.delete(m[m[0] === ERROR ? 2 : 1] as number), `an answer to each publish: ${JSON.stringify(m)}`);
      if (m[0] === PUBLISHED) published++;
      else {
        assert.deepEqual([m[0], m[1], m[4]], [ERROR, PUBLISH, "junction.error.limit.rate"]);
        assert.match(explanation(m), /50 messages per second/);
        refused++;
      }
    }
    // The burst, plus what refilled (50/s) while the router read the 40 messages.
    assert.ok(published >= 10 && published <= 20, `${published} publishes passed (burst 10)`);
    assert.equal(refused, 40 - published);
    for (let i = 0; i < 10; i++) assert.equal((await other.next())[0], PUBLISHED, "the other session is not limited");

    // A CALL over the rate is refused the same way; the session is not closed.
    for (let i = 0; i < 20; i++) flooder.send([CALL, flooder.nextRequestId(), {}, "p.none", []]);
    const errs = [];
    for (let i = 0; i < 20; i++) errs.push((await flooder.next())[4]);
    assert.ok(errs.includes("junction.error.limit.rate"), JSON.stringify(errs));
    assert.equal(flooder.isClosed, false, "rate limiting never closes the session");

    // Tokens come back at 50/s.
    await sleep(300);
    const id = flooder.nextRequestId();
    flooder.send([PUBLISH, id, { acknowledge: true }, "t.rate", ["later"]]);
    assert.deepEqual((await flooder.next()).slice(0, 2), [PUBLISHED, id]);

    // The subscriber saw the other session's events and only the admitted flood.
    const events = [];
    for (let i = 0; i < 100; i++) {
      try {
        events.push(((await sub.next(300))[4] as string[])[0]);
      } catch {
        break;
      }
    }
    assert.equal(events.filter((e) => e === "other").length, 10);
    assert.equal(events.filter((e) => e === "flood").length, published);
  });
}, T);

test(`limits e2e (${runtime}): unacknowledged publishes over the rate are dropped without an answer`, async () => {
  await withRouter({ messagesPerSecond: 20, messageBurst: 5 }, async (rig) => {
    const sub = await joined(rig, "websocket/msgpack");
    await subscribe(sub, "t.rate");
    const flooder = await joined(rig, "rawsocket/json");
    for (let i = 0; i < 200; i++) flooder.send([PUBLISH, flooder.nextRequestId(), {}, "t.rate", [i]]);
    // Only what the bucket held reaches the subscriber.
    let events = 0;
    for (let i = 0; i < 300; i++) {
      try {
        if ((await sub.next(300))[0] === EVENT) events++;
      } catch {
        break;
      }
    }
    assert.ok(events >= 5 && events <= 12, `${events} events passed (burst 5)`);
    assert.equal(flooder.pending, 0, "no answer to unacknowledged publishes");
    assert.equal(flooder.isClosed, false);
    const s = rig.s.router.realm("realm1")!;
    const flooderSession = [...s.sessions()].find((x) => counters(x).rateLimited > 0);
    assert.ok(flooderSession, "refusals are counted");
    assert.equal(counters(flooderSession).rateLimited, 200 - events, "every publish not delivered was refused by the rate limit");
  });
}, T);

// =====================================================================================
// Sessions per realm.
// =====================================================================================

test(`limits e2e (${runtime}): sessions per realm: HELLO beyond the limit gets ABORT, the others go on`, async () => {
  await withRouter({ sessionsPerRealm: 3 }, async (rig) => {
    const b = await bystanders(rig, "websocket/json", "rawsocket/json");
    const third = await joined(rig, "websocket/cbor");
    assert.equal(rig.sessions(), 3);

    for (const kind of ["websocket/json", "rawsocket/msgpack"] as const) {
      const c = rig.track(kind === "websocket/json" ? await connectWebSocket(rig.s.url) : await connectRawSocket(rig.s.rawSocketPort, "msgpack"));
      const m = await c.hello("realm1");
      assert.equal(m[0], ABORT, `${kind}: ${JSON.stringify(m)}`);
      assert.equal(m[2], "junction.error.limit.sessions");
      assert.match(String((m[1] as { message?: string }).message), /limit of 3 sessions/);
      await withTimeout(c.closed, `${kind}: the refused transport to close`);
    }
    assert.equal(rig.sessions(), 3);
    await assertCallWorks(b.caller, b.procedure, "after the refusals");

    // One leaves with GOODBYE: there is room again.
    third.send([GOODBYE, {}, "wamp.close.close_realm"]);
    assert.equal((await third.next())[0], GOODBYE);
    await waitFor("the session to leave", () => rig.sessions() === 2);
    const again = await joined(rig, "rawsocket/cbor");
    await assertCallWorks(again, b.procedure, "the newcomer");
    await b.echo.stop();
  });
}, T);

// =====================================================================================
// Pending calls per session.
// =====================================================================================

test(`limits e2e (${runtime}): pending calls per session: the greedy caller is refused, others are not`, async () => {
  await withRouter({ pendingCallsPerSession: 3 }, async (rig) => {
    const b = await bystanders(rig, "websocket/json", "rawsocket/json");
    const holder = await joined(rig, "rawsocket/msgpack");
    await register(holder, "p.hold");
    const greedy = await joined(rig, "websocket/cbor");

    const ids = [];
    for (let i = 0; i < 5; i++) {
      const id = greedy.nextRequestId();
      ids.push(id);
      greedy.send([CALL, id, {}, "p.hold", [i]]);
    }
    for (const id of ids.slice(3)) {
      const m = await greedy.next();
      assert.deepEqual([m[0], m[1], m[2], m[4]], [ERROR, CALL, id, "junction.error.limit.pending_calls"]);
      assert.match(explanation(m), /3 calls in flight/);
    }
    const invocations = [];
    for (let i = 0; i < 3; i++) invocations.push(await holder.next());
    assert.ok(invocations.every((m) => m[0] === INVOCATION));
    assert.equal(greedy.pending, 0);

    // The limit is per session: another caller still gets its calls through, held or not.
    await assertCallWorks(b.caller, b.procedure, "another caller");
    const otherHeld = b.caller.nextRequestId();
    b.caller.send([CALL, otherHeld, {}, "p.hold", ["other"]]);
    const inv = await holder.next();
    assert.equal(inv[0], INVOCATION);
    holder.send([YIELD, inv[1], {}, ["done"]]);
    assert.deepEqual((await b.caller.next()).slice(0, 2), [RESULT, otherHeld]);

    // A result frees a slot of the greedy caller.
    holder.send([YIELD, invocations[0]![1], {}, ["first"]]);
    assert.deepEqual((await greedy.next()).slice(0, 2), [RESULT, ids[0]]);
    const more = greedy.nextRequestId();
    greedy.send([CALL, more, {}, "p.hold", ["more"]]);
    assert.equal((await holder.next())[0], INVOCATION, "accepted again");
    assert.equal(greedy.isClosed, false);
    await b.echo.stop();
  });
}, T);

// =====================================================================================
// Idle ping.
// =====================================================================================

const PING_MS = 300;
const CLOSE_MS = 300;

/** A RawSocket client that joins and then ignores everything, PINGs included. */
async function silentRawSocket(rig: Rig): Promise<{ pings(): number; closed: Promise<void>; isClosed(): boolean; close(): void }> {
  const c = rig.track(await connectRawSocket(rig.s.rawSocketPort, "json"));
  assert.equal((await c.hello("realm1"))[0], WELCOME);
  // From now on read (so the router's FIN is seen) but answer nothing.
  c.socket.removeAllListeners("data");
  const ignoring = new RawSocketClientProtocol({ serializerId: 1, maxLength: 1 << 24 });
  // The handshake is over; feed a fake reply so this framer reads frames.
  ignoring.receive(Uint8Array.of(0x7f, 0xf1, 0, 0));
  let pings = 0;
  c.socket.on("data", (chunk: Uint8Array) => {
    for (const ev of ignoring.receive(new Uint8Array(chunk))) if (ev.type === "ping") pings++;
  });
  return { pings: () => pings, closed: c.closed, isClosed: () => c.isClosed, close: () => c.close() };
}

test(`limits e2e (${runtime}): idle ping: a RawSocket peer that never answers PING is closed, one that answers stays`, async () => {
  await withRouter({ idlePingMs: PING_MS, idleCloseMs: CLOSE_MS }, async (rig) => {
    const answering = await joined(rig, "rawsocket/json");
    const callee = await joined(rig, "rawsocket/cbor");
    await register(callee, "p.echo");
    const echo = echoCallee(callee);
    const t0 = Date.now();
    const silent = await silentRawSocket(rig);
    await withTimeout(silent.closed, "the silent peer to be closed", 5000);
    const after = Date.now() - t0;
    assert.ok(silent.pings() >= 1, "it was pinged first");
    assert.ok(after >= PING_MS + CLOSE_MS - 50, `closed after ${after} ms, not before idlePingMs + idleCloseMs`);
    assert.ok(after < PING_MS + CLOSE_MS + 1500, `closed after ${after} ms`);
    assert.ok(rig.logs.some((l) => l.msg.startsWith("dead peer")));

    // The answering peer is pinged too, answers, and stays through several periods.
    await sleep(3 * (PING_MS + CLOSE_MS));
    assert.equal(answering.isClosed, false);
    assert.equal(callee.isClosed, false);
    assert.equal(rig.sessions(), 2);
    await assertCallWorks(answering, "p.echo", "the answering peer");
    await echo.stop();
  });
}, T);

{
  const skip = runtime === "deno" ? "the Deno WebSocket adapter does not ping (Deno pings by itself)" : false;
  test(`limits e2e (${runtime}): idle ping: a WebSocket peer that never answers ping is closed, one that answers stays`, async () => {
    await withRouter({ idlePingMs: PING_MS, idleCloseMs: CLOSE_MS }, async (rig) => {
      const port = Number(new URL(rig.s.url).port);
      const join = async (answerPings: boolean) => {
        const c = rig.track(await TcpWebSocket.open(port, { answerPings }));
        c.send([HELLO, "realm1", { roles: ALL_ROLES }]);
        assert.equal((await c.next())[0], WELCOME);
        return c;
      };
      const answering = await join(true);
      const t0 = Date.now();
      const silent = await join(false);
      await withTimeout(silent.closed.promise, "the silent peer to be closed", 5000);
      const after = Date.now() - t0;
      assert.ok(silent.pings >= 1, "it was pinged first");
      assert.ok(after >= PING_MS + CLOSE_MS - 50, `closed after ${after} ms`);
      await sleep(2 * (PING_MS + CLOSE_MS));
      assert.ok(answering.pings >= 1, "the other was pinged too");
      assert.equal(answering.isClosed, false);
      assert.equal(rig.sessions(), 1);
    });
  }, { ...T, skip });
}
