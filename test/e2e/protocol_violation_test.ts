/**
 * Raw frames over real loopback sockets (WebSocket and RawSocket) against a router on the
 * runtime's own adapter: protocol violations, session closing, transport-level refusals and
 * RawSocket framing (handshake errors, PING/PONG, frames cut or batched anywhere).
 * @module
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { test } from "../_support/harness.ts";
import { startServer, type TestServer } from "../_support/server.ts";
import { encodeFrame, RawSocketClientProtocol } from "../../src/framing/rawsocket.ts";
import { cborSerializer } from "../../src/serializer/cbor.ts";
import {
  closeAll,
  connectRawSocket,
  connectWebSocket,
  type RawClient,
  RawSocketRawClient,
  readUntilClose,
  tcpConnect,
  withTimeout,
} from "../_support/raw_client.ts";

const T = { timeout: 20_000 };

type Kind =
  | "websocket/json"
  | "websocket/msgpack"
  | "websocket/cbor"
  | "rawsocket/json"
  | "rawsocket/msgpack"
  | "rawsocket/cbor";

function open(s: TestServer, kind: Kind): Promise<RawClient> {
  const [transport, ser] = kind.split("/") as ["websocket" | "rawsocket", "json" | "msgpack" | "cbor"];
  return transport === "websocket" ? connectWebSocket(s.url, `wamp.2.${ser}`) : connectRawSocket(s.rawSocketPort, ser);
}

async function joined(s: TestServer, kind: Kind): Promise<RawClient> {
  const c = await open(s, kind);
  const w = await c.hello("realm1", { agent: "e2e-raw" });
  assert.equal(w[0], 2, `expected WELCOME on ${kind}, got ${JSON.stringify(w)}`);
  return c;
}

async function withRouter(fn: (s: TestServer, track: <C extends RawClient>(c: C) => C) => Promise<void>): Promise<void> {
  const s = await startServer();
  const clients: RawClient[] = [];
  try {
    await fn(s, (c) => {
      clients.push(c);
      return c;
    });
  } finally {
    closeAll(...clients);
    await s.stop();
  }
}

/** The next message must be ABORT(reason) with a readable Details.message; then the transport closes. */
async function expectAbort(c: RawClient, reason: string, why?: RegExp): Promise<void> {
  const m = await c.next();
  assert.equal(m[0], 3, `expected ABORT, got ${JSON.stringify(m)}`);
  assert.equal(m[2], reason, `ABORT reason, got ${JSON.stringify(m)}`);
  const details = m[1] as { message?: unknown };
  assert.equal(typeof details.message, "string", `ABORT Details.message, got ${JSON.stringify(m)}`);
  assert.ok((details.message as string).length > 0, "non-empty Details.message");
  if (why) assert.match(details.message as string, why);
  await withTimeout(c.closed, `the transport to close after ABORT ${reason}`);
}

// --- protocol violations -> ABORT wamp.error.protocol_violation, transport closed ---

interface Violation {
  readonly name: string;
  /** Join the realm first. */
  readonly join: boolean;
  act(c: RawClient): void;
  readonly why: RegExp;
  /** Transports it applies to (default: every one). */
  readonly only?: readonly Kind[];
}

const JSON_KINDS: readonly Kind[] = ["websocket/json", "rawsocket/json"];

const VIOLATIONS: readonly Violation[] = [
  { name: "malformed JSON", join: true, act: (c) => c.sendRaw("[1, 2"), why: /decoded/, only: JSON_KINDS },
  { name: "malformed JSON before HELLO", join: false, act: (c) => c.sendRaw('{"oops'), why: /decoded/, only: JSON_KINDS },
  {
    name: "invalid UTF-8 in a JSON frame",
    join: true,
    act: (c) => c.sendRaw(Uint8Array.from([0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d])),
    why: /decoded/,
    only: ["rawsocket/json"], // a WebSocket text frame with bad UTF-8 is refused by the WebSocket layer itself
  },
  {
    name: "a binary WebSocket frame on a JSON connection",
    join: true,
    act: (c) => c.sendRaw(Uint8Array.from([0x91, 0x01])),
    why: /binary frame/,
    only: ["websocket/json"],
  },
  { name: "undecodable MessagePack", join: true, act: (c) => c.sendRaw(Uint8Array.from([0xc1])), why: /decoded/, only: ["websocket/msgpack", "rawsocket/msgpack"] },
  { name: "undecodable CBOR", join: true, act: (c) => c.sendRaw(Uint8Array.from([0x9f, 0xff, 0xff, 0x1c])), why: /decoded/, only: ["websocket/cbor", "rawsocket/cbor"] },
  { name: "a text frame on a CBOR WebSocket", join: true, act: (c) => c.sendRaw("[1]"), why: /text frame/, only: ["websocket/cbor"] },
  { name: "a non-list message (dict)", join: true, act: (c) => c.send({ a: 1 } as unknown as unknown[]), why: /must be a list/ },
  { name: "a non-list message (number)", join: true, act: (c) => c.send(42 as unknown as unknown[]), why: /must be a list/ },
  { name: "an empty list", join: true, act: (c) => c.send([]), why: /empty/ },
  { name: "an unknown message type", join: true, act: (c) => c.send([99, 1, {}]), why: /unknown message type 99/ },
  { name: "a router-only message (WELCOME) after HELLO", join: true, act: (c) => c.send([2, 1, {}]), why: /only by routers/ },
  { name: "a router-only message (EVENT) after HELLO", join: true, act: (c) => c.send([36, 1, 2, {}]), why: /only by routers/ },
  { name: "a router-only message (INVOCATION) before HELLO", join: false, act: (c) => c.send([68, 1, 2, {}]), why: /only by routers/ },
  { name: "YIELD for an unknown invocation", join: true, act: (c) => c.send([70, 4242, {}, [1]]), why: /never sent/ },
  { name: "ERROR for an unknown invocation", join: true, act: (c) => c.send([8, 68, 4242, {}, "com.e2e.error"]), why: /never sent/ },
  { name: "a CALL before HELLO", join: false, act: (c) => c.send([48, 1, {}, "com.e2e.x"]), why: /before the session was established/ },
  { name: "a SUBSCRIBE before HELLO", join: false, act: (c) => c.send([32, 1, {}, "com.e2e.t"]), why: /before the session was established/ },
  { name: "a second HELLO", join: true, act: (c) => c.send([1, "realm1", { roles: { caller: {} } }]), why: /HELLO in an established session/ },
];

const ALL_KINDS: readonly Kind[] = [
  "websocket/json",
  "rawsocket/json",
  "websocket/msgpack",
  "rawsocket/msgpack",
  "websocket/cbor",
  "rawsocket/cbor",
];

for (const kind of ALL_KINDS) {
  const cases = VIOLATIONS.filter((v) => !v.only || v.only.includes(kind));
  test(`${kind}: protocol violations get ABORT wamp.error.protocol_violation, then the transport closes`, async () => {
    await withRouter(async (s, track) => {
      for (const v of cases) {
        const c = track(v.join ? await joined(s, kind) : await open(s, kind));
        v.act(c);
        try {
          await expectAbort(c, "wamp.error.protocol_violation", v.why);
        } catch (e) {
          throw new Error(`${kind}, ${v.name}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
        }
      }
    });
  }, T);
}

for (const kind of ["websocket/json", "rawsocket/json", "websocket/cbor", "rawsocket/msgpack"] as const) {
  test(`${kind}: HELLO for an unknown realm gets ABORT wamp.error.no_such_realm`, async () => {
    await withRouter(async (s, track) => {
      const c = track(await open(s, kind));
      c.send([1, "com.e2e.no.such.realm", { roles: { caller: {} } }]);
      await expectAbort(c, "wamp.error.no_such_realm", /com\.e2e\.no\.such\.realm/);
    });
  }, T);

  test(`${kind}: a violating session leaves the others working`, async () => {
    await withRouter(async (s, track) => {
      const callee = track(await joined(s, kind));
      const caller = track(await joined(s, kind === "websocket/json" ? "rawsocket/cbor" : "websocket/json"));
      const bad = track(await joined(s, kind));

      // The bad session registers and subscribes, then violates the protocol.
      bad.send([64, 1, {}, "com.e2e.bad.proc"]);
      assert.equal((await bad.next())[0], 65);
      bad.send([32, 2, {}, "com.e2e.bad.topic"]);
      assert.equal((await bad.next())[0], 33);

      callee.send([64, 1, {}, "com.e2e.good"]);
      const reg = await callee.next();
      assert.equal(reg[0], 65);

      bad.send([2, 1, {}]);
      await expectAbort(bad, "wamp.error.protocol_violation");

      // The others' call still goes through, binary included.
      const bytes = Uint8Array.from([0, 1, 2, 253, 254, 255]);
      caller.send([48, 7, {}, "com.e2e.good", ["hi", bytes]]);
      const inv = await callee.next();
      assert.equal(inv[0], 68);
      assert.equal(inv[2], reg[2]);
      assert.deepEqual(inv[4], ["hi", bytes]);
      callee.send([70, inv[1], {}, ["ok", bytes]]);
      const res = await caller.next();
      assert.deepEqual(res, [50, 7, {}, ["ok", bytes]]);

      // And the bad session's registration went with it.
      caller.send([48, 8, {}, "com.e2e.bad.proc"]);
      const err = await caller.next();
      assert.deepEqual(err.slice(0, 5), [8, 48, 8, {}, "wamp.error.no_such_procedure"]);
    });
  }, T);

  test(`${kind}: GOODBYE gets GOODBYE wamp.close.goodbye_and_out; the transport can join again`, async () => {
    await withRouter(async (s, track) => {
      const c = track(await joined(s, kind));
      c.send([6, { message: "bye" }, "wamp.close.close_realm"]);
      assert.deepEqual(await c.next(), [6, {}, "wamp.close.goodbye_and_out"]);
      assert.equal(c.isClosed, false);
      const w = await c.hello();
      assert.equal(w[0], 2, `WELCOME again on the same transport, got ${JSON.stringify(w)}`);
    });
  }, T);

  test(`${kind}: router shutdown says GOODBYE wamp.close.system_shutdown`, async () => {
    const s = await startServer();
    let c: RawClient | undefined;
    let idle: RawClient | undefined;
    let stopping: Promise<void> | undefined;
    try {
      c = await joined(s, kind);
      idle = await open(s, kind); // not joined: just closed
      stopping = s.stop();
      const g = await c.next();
      assert.equal(g[0], 6, `expected GOODBYE, got ${JSON.stringify(g)}`);
      assert.equal(g[2], "wamp.close.system_shutdown");
      assert.equal(typeof (g[1] as { message?: unknown }).message, "string");
      c.send([6, {}, "wamp.close.goodbye_and_out"]);
      await withTimeout(c.closed, "the transport to close after our GOODBYE reply");
      await withTimeout(idle.closed, "the unjoined transport to close at shutdown");
      await withTimeout(stopping, "stop() to finish");
    } finally {
      closeAll(c, idle);
      await (stopping ?? s.stop());
    }
  }, T);
}

// --- WebSocket subprotocol refusal ---

/** Sends a hand-written upgrade request; returns the status line and headers. */
async function rawUpgrade(port: number, protocols: string | undefined): Promise<{ status: number; head: string }> {
  const socket = await tcpConnect(port);
  try {
    const text = new Promise<string>((resolve, reject) => {
      let buf = "";
      socket.setEncoding("utf8");
      socket.on("data", (d: string) => {
        buf += d;
        if (buf.includes("\r\n\r\n")) resolve(buf);
      });
      socket.once("end", () => resolve(buf));
      socket.once("error", reject);
    });
    socket.write(
      `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
        (protocols === undefined ? "" : `Sec-WebSocket-Protocol: ${protocols}\r\n`) +
        "\r\n",
    );
    const got = await withTimeout(text, "the HTTP answer to the upgrade");
    const head = got.slice(0, got.indexOf("\r\n\r\n"));
    return { status: Number(head.split(" ")[1]), head };
  } finally {
    socket.destroy();
  }
}

test("WebSocket: a client offering only an unsupported subprotocol is refused with HTTP 400", async () => {
  await withRouter(async (s) => {
    const refused = await rawUpgrade(s.server.port, "wamp.2.ubjson");
    assert.equal(refused.status, 400, refused.head);
    const none = await rawUpgrade(s.server.port, undefined);
    assert.equal(none.status, 400, none.head);
    // The same request with a supported subprotocol is accepted, and the router picks it.
    const ok = await rawUpgrade(s.server.port, "wamp.2.ubjson, wamp.2.cbor");
    assert.equal(ok.status, 101, ok.head);
    assert.match(ok.head, /sec-websocket-protocol:\s*wamp\.2\.cbor/i);

    // A real WebSocket client sees the upgrade fail.
    const ws = new WebSocket(s.url, ["wamp.2.ubjson"]);
    const outcome = await withTimeout(
      new Promise<string>((resolve) => {
        ws.onopen = () => resolve("open");
        ws.onerror = () => resolve("error");
        ws.onclose = () => resolve("close");
      }),
      "the refused WebSocket to fail",
    );
    assert.notEqual(outcome, "open", "the upgrade must fail");
    if (ws.readyState !== WebSocket.CLOSED) ws.close();
  });
}, T);

// --- RawSocket framing ---

test("RawSocket: a bad magic byte closes the connection without an answer", async () => {
  await withRouter(async (s) => {
    const sock = await tcpConnect(s.rawSocketPort);
    try {
      const all = readUntilClose(sock);
      sock.write(Uint8Array.from([0x00, 0xf1, 0, 0]));
      const got = await all;
      assert.equal(got.length, 0, `nothing is answered, got ${Buffer.from(got).toString("hex")}`);
    } finally {
      sock.destroy();
    }
  });
}, T);

test("RawSocket: an unsupported serializer id gets error reply 0x7F 0x10 0 0, then close", async () => {
  await withRouter(async (s) => {
    for (const serializerId of [7, 0, 4]) {
      const sock = await tcpConnect(s.rawSocketPort);
      try {
        const all = readUntilClose(sock);
        sock.write(Uint8Array.from([0x7f, 0xf0 | serializerId, 0, 0]));
        const got = await all;
        assert.equal(Buffer.from(got).toString("hex"), "7f100000", `serializer ${serializerId}`);
      } finally {
        sock.destroy();
      }
    }
  });
}, T);

test("RawSocket: PING gets a PONG with the same payload, before and after HELLO", async () => {
  await withRouter(async (s, track) => {
    const c = track(await connectRawSocket(s.rawSocketPort, "msgpack"));
    const p1 = Uint8Array.from({ length: 256 }, (_, i) => 255 - i);
    c.ping(p1);
    assert.deepEqual(await c.nextPong(), p1);
    assert.equal((await c.hello())[0], 2);
    const p2 = new TextEncoder().encode("are you there?");
    c.ping(p2);
    c.ping(new Uint8Array(0));
    assert.deepEqual(await c.nextPong(), p2);
    assert.deepEqual(await c.nextPong(), new Uint8Array(0));
    // The session is unaffected.
    c.send([32, 1, {}, "com.e2e.t"]);
    assert.equal((await c.next())[0], 33);
  });
}, T);

test("RawSocket: handshake and frames cut into 1-byte TCP writes still work", async () => {
  await withRouter(async (s, track) => {
    const c = track(await connectRawSocket(s.rawSocketPort, "json", { handshakeChunkSize: 1 }));
    const agent = "e2e-".padEnd(600, "x"); // a HELLO longer than one read
    await c.writeChunked(c.frame([1, "realm1", { roles: { caller: {}, callee: {} }, agent }]), 1);
    assert.equal((await c.next())[0], 2);
    await c.writeChunked(c.frame([64, 1, {}, "com.e2e.split"]), 1);
    assert.equal((await c.next())[0], 65);
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    await c.writeChunked(c.frame([48, 2, {}, "com.e2e.split", [bytes]]), 1);
    const inv = await c.next();
    assert.equal(inv[0], 68);
    assert.deepEqual(inv[4], [bytes]);
    // A PING cut into single bytes too.
    const pingFrame = Uint8Array.from([1, 0, 0, 3, 7, 8, 9]);
    await c.writeChunked(pingFrame, 1);
    assert.deepEqual(await c.nextPong(), Uint8Array.from([7, 8, 9]));
  });
}, T);

test("RawSocket: several frames in one write (also right behind the handshake) all work", async () => {
  await withRouter(async (s, track) => {
    // Handshake + HELLO + REGISTER + SUBSCRIBE + PING in a single TCP write.
    const sock = await tcpConnect(s.rawSocketPort);
    const proto = new RawSocketClientProtocol({ serializerId: 3, maxLength: 1 << 20 });
    const frame = (m: unknown[]) => encodeFrame(0, cborSerializer.encode(m) as Uint8Array);
    const parts = [
      proto.handshake,
      frame([1, "realm1", { roles: { caller: {}, callee: {}, subscriber: {}, publisher: {} } }]),
      frame([64, 1, {}, "com.e2e.batch"]),
      frame([32, 2, {}, "com.e2e.batch"]),
      encodeFrame(1, Uint8Array.from([42])),
      frame([16, 3, { acknowledge: true, exclude_me: false }, "com.e2e.batch", [1]]),
    ];
    const all = Buffer.concat(parts.map((p) => Buffer.from(p)));
    const seen: Array<{ type: string; m?: unknown[]; payload?: Uint8Array }> = [];
    const done = withTimeout(
      new Promise<void>((resolve) => {
        sock.on("data", (chunk: Uint8Array) => {
          for (const ev of proto.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))) {
            if (ev.type === "message") seen.push({ type: "message", m: cborSerializer.decode(ev.payload) as unknown[] });
            else if (ev.type === "pong") seen.push({ type: "pong", payload: ev.payload });
            else seen.push({ type: ev.type });
          }
          if (seen.length >= 7) resolve();
        });
      }),
      "answers to the batched frames",
    );
    try {
      sock.write(all);
      await done;
      const kinds = seen.map((e) => e.type === "message" ? e.m![0] : e.type);
      assert.deepEqual(kinds.slice(0, 5), [
        "handshake",
        2, // WELCOME
        65, // REGISTERED
        33, // SUBSCRIBED
        "pong",
      ]);
      // EVENT (exclude_me: false, so to ourselves) and PUBLISHED, in either order.
      assert.deepEqual(kinds.slice(5).sort(), [17, 36]);
      assert.deepEqual(seen[4]!.payload, Uint8Array.from([42]));
    } finally {
      sock.destroy();
    }

    // The same with the RawSocket client: three CALL frames in one write.
    const callee = track(await joined(s, "rawsocket/json"));
    const caller = track(await joined(s, "rawsocket/msgpack"));
    callee.send([64, 1, {}, "com.e2e.many"]);
    assert.equal((await callee.next())[0], 65);
    const rc = caller as Awaited<ReturnType<typeof connectRawSocket>>;
    rc.writeBytes(Buffer.concat([1, 2, 3].map((i) => Buffer.from(rc.frame([48, 10 + i, {}, "com.e2e.many", [i]])))));
    for (const i of [1, 2, 3]) {
      const inv = await callee.next();
      assert.deepEqual(inv[4], [i]);
      callee.send([70, inv[1], {}, [i * 10]]);
    }
    for (const i of [1, 2, 3]) assert.deepEqual(await caller.next(), [50, 10 + i, {}, [i * 10]]);
  });
}, T);

// --- sessions lost mid-call (not violations: the others must be settled, never left hanging) ---

for (const kind of ["rawsocket/json", "websocket/msgpack"] as const) {
  test(`${kind}: a callee whose transport drops mid-call -> the caller gets wamp.error.canceled`, async () => {
    await withRouter(async (s, track) => {
      const callee = track(await joined(s, kind));
      const caller = track(await joined(s, "websocket/json"));
      callee.send([64, 1, {}, "com.e2e.drop"]);
      assert.equal((await callee.next())[0], 65);
      caller.send([48, 5, {}, "com.e2e.drop", [1]]);
      assert.equal((await callee.next())[0], 68);
      if (callee instanceof RawSocketRawClient) {
        // TCP reset where the runtime offers it, else an immediate destroy: no RawSocket goodbye either way.
        const sock = callee.socket as unknown as { resetAndDestroy?: () => void; destroy: () => void };
        if (typeof sock.resetAndDestroy === "function") sock.resetAndDestroy();
        else sock.destroy();
      } else {
        callee.close();
      }
      const err = await caller.next(3000);
      assert.deepEqual(err.slice(0, 5), [8, 48, 5, {}, "wamp.error.canceled"]);
      caller.send([48, 6, {}, "com.e2e.drop"]);
      assert.equal((await caller.next())[4], "wamp.error.no_such_procedure");
    });
  }, T);

  test(`${kind}: a caller that leaves mid-call: the late YIELD is dropped and the callee carries on`, async () => {
    await withRouter(async (s, track) => {
      const callee = track(await joined(s, kind));
      const caller = track(await joined(s, "websocket/cbor"));
      callee.send([64, 1, {}, "com.e2e.late"]);
      assert.equal((await callee.next())[0], 65);
      caller.send([48, 1, {}, "com.e2e.late"]);
      const inv = await callee.next();
      caller.close();
      await withTimeout(caller.closed, "the caller's transport to close");
      // The router may or may not have seen the caller go yet; either way nothing comes back.
      callee.send([70, inv[1], {}, ["late"]]);
      // Barrier: the callee's next request is answered, and nothing arrived before its answer.
      callee.send([32, 2, {}, "com.e2e.after"]);
      const next = await callee.next();
      assert.equal(next[0], 33, `expected SUBSCRIBED, got ${JSON.stringify(next)}`);
      assert.equal(callee.isClosed, false);
    });
  }, T);
}

// --- RawSocket handshake details ---

test("RawSocket: the handshake reply echoes the serializer and announces the router's limit; reserved bits get error 3", async () => {
  await withRouter(async (s) => {
    for (const [sent, expected] of [
      [[0x7f, 0xf1, 0, 0], "7ff10000"], // JSON, client limit 16 MiB -> router's 16 MiB (LLLL 15), JSON echoed
      [[0x7f, 0x02, 0, 0], "7ff20000"], // MessagePack, client limit 512 B
      [[0x7f, 0x53, 0, 0], "7ff30000"], // CBOR
    ] as const) {
      const sock = await tcpConnect(s.rawSocketPort);
      try {
        const reply = withTimeout(
          new Promise<string>((resolve) => sock.once("data", (d: Uint8Array) => resolve(Buffer.from(d).toString("hex")))),
          "the handshake reply",
        );
        sock.write(Uint8Array.from(sent));
        assert.equal(await reply, expected);
      } finally {
        sock.destroy();
      }
    }
    const sock = await tcpConnect(s.rawSocketPort);
    try {
      const all = readUntilClose(sock);
      sock.write(Uint8Array.from([0x7f, 0xf1, 0, 1])); // reserved byte set
      assert.equal(Buffer.from(await all).toString("hex"), "7f300000");
    } finally {
      sock.destroy();
    }
  });
}, T);

for (const ser of ["json", "msgpack", "cbor"] as const) {
  test(`RawSocket/${ser}: a client announcing the smallest limit (512 B) gets an answer to HELLO, never silence`, async () => {
    // Spec "RawSocket": a peer MUST NOT send a message longer than the other side announced,
    // and 2^9 = 512 bytes is a valid announcement. If the router's WELCOME does not fit it must
    // still answer (ABORT, or fail the connection), not leave the client waiting for ever.
    await withRouter(async (s, track) => {
      const c = track(await connectRawSocket(s.rawSocketPort, ser, { maxLength: 512 }));
      c.send([1, "realm1", { roles: { caller: {}, callee: {}, publisher: {}, subscriber: {} } }]);
      let answer: unknown[] | "closed";
      try {
        answer = await c.next(3000);
      } catch (e) {
        if (!c.isClosed) {
          const joined = s.router.realm("realm1")!.sessionCount;
          throw new Error(
            `no answer to HELLO within 3 s and the connection is still open (the router counts ${joined} ` +
              `joined session(s) in realm1): ${e instanceof Error ? e.message : String(e)}`,
          );
        }
        answer = "closed";
      }
      if (answer !== "closed") assert.ok(answer[0] === 2 || answer[0] === 3, `WELCOME or ABORT, got ${JSON.stringify(answer)}`);
    });
  }, T);
}

test("RawSocket/msgpack: an ERROR reply longer than the client's limit still answers the request", async () => {
  // Same rule as above, for a request's ERROR: the explanation quotes the procedure URI, so a
  // long URI makes the ERROR exceed the client's limit (4 KiB here, so that WELCOME fits).
  // The caller must get an answer that fits, or see the connection fail; not wait for ever.
  await withRouter(async (s, track) => {
    const c = track(await connectRawSocket(s.rawSocketPort, "msgpack", { maxLength: 4096 }));
    const w = await c.hello();
    assert.equal(w[0], 2, `WELCOME, got ${JSON.stringify(w).slice(0, 200)}`);
    c.send([48, 1, {}, "com." + "a".repeat(5000)]); // we may send more than we accept
    let answer: unknown[] | "closed";
    try {
      answer = await c.next(3000);
    } catch (e) {
      if (!c.isClosed) {
        throw new Error(`no answer to a CALL of an unknown procedure within 3 s, connection still open: ${String(e)}`);
      }
      answer = "closed";
    }
    if (answer !== "closed") assert.deepEqual(answer.slice(0, 5), [8, 48, 1, {}, "wamp.error.no_such_procedure"]);
  });
}, T);

for (const kind of ["websocket/json", "rawsocket/cbor"] as const) {
  test(`${kind}: a client that never answers the shutdown GOODBYE is closed after the grace period`, async () => {
    const s = await startServer();
    let c: RawClient | undefined;
    try {
      c = await joined(s, kind);
      const stopping = s.stop(); // 200 ms grace
      const g = await c.next();
      assert.deepEqual([g[0], g[2]], [6, "wamp.close.system_shutdown"]);
      await withTimeout(c.closed, "the router to close a silent client after the grace period", 5000);
      await withTimeout(stopping, "stop() to finish", 5000);
    } finally {
      closeAll(c);
      await s.stop().catch(() => {});
    }
  }, T);
}
