import assert from "node:assert/strict";
import fc from "fast-check";
import { test } from "../_support/harness.ts";
import { SeededRandom } from "../_support/seeded_random.ts";
import { concat } from "../_support/bytes.ts";
import {
  clientHandshake,
  encodeFrame,
  handshakeErrorReply,
  lengthExponentFor,
  maxLengthForExponent,
  parseServerHandshake,
  RAWSOCKET_ERROR_MAX_CONNECTIONS,
  RAWSOCKET_ERROR_MAX_LENGTH_UNACCEPTABLE,
  RAWSOCKET_ERROR_RESERVED_BITS,
  RAWSOCKET_ERROR_SERIALIZER_UNSUPPORTED,
  RAWSOCKET_FRAME_MESSAGE,
  RAWSOCKET_FRAME_PING,
  RAWSOCKET_FRAME_PONG,
  RAWSOCKET_MAX_LENGTH,
  RawSocketClientProtocol,
  type RawSocketEvent,
  type RawSocketServerOptions,
  RawSocketServerProtocol,
} from "../../src/framing/rawsocket.ts";

const fcOptions = { seed: 0x5eed, numRuns: 300 };
const supported = (id: number): boolean => id >= 1 && id <= 3;

function server(options: Partial<RawSocketServerOptions> = {}): RawSocketServerProtocol {
  return new RawSocketServerProtocol({ maxLength: 4096, serializerSupported: supported, ...options });
}

/** A server past the handshake (client: MsgPack, 16 MiB). */
function openServer(options: Partial<RawSocketServerOptions> = {}): RawSocketServerProtocol {
  const s = server(options);
  const events = s.receive(clientHandshake(2, 15));
  assert.equal(events[0]?.type, "handshake");
  return s;
}

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Events without the large byte arrays, for readable comparisons. */
function summary(events: readonly RawSocketEvent[]): unknown[] {
  return events.map((e) => {
    switch (e.type) {
      case "message":
      case "pong":
        return [e.type, Array.from(e.payload)];
      case "ping":
        return [e.type, Array.from(e.payload), Array.from(e.pong)];
      case "handshake":
        return [e.type, e.serializerId, e.peerMaxLength, Array.from(e.reply)];
      case "handshake_error":
        return [e.type, e.errorCode, Array.from(e.reply)];
      case "fail":
        return [e.type];
    }
  });
}

test("rawsocket: lengths and exponents", () => {
  assert.equal(maxLengthForExponent(0), 512);
  assert.equal(maxLengthForExponent(15), 16 * 1024 * 1024);
  assert.equal(lengthExponentFor(512), 0);
  assert.equal(lengthExponentFor(100), 0);
  assert.equal(lengthExponentFor(1023), 0);
  assert.equal(lengthExponentFor(1024), 1);
  assert.equal(lengthExponentFor(1_000_000), 10); // rounded down to 2^19
  assert.equal(lengthExponentFor(2 ** 24), 15);
  assert.equal(lengthExponentFor(2 ** 30), 15);
  assert.throws(() => maxLengthForExponent(16), RangeError);
  assert.throws(() => lengthExponentFor(Number.NaN), RangeError);
  const s = server({ maxLength: 1_000_000 });
  assert.equal(s.maxLength, 2 ** 19);
  assert.equal(s.lengthExponent, 10);
});

test("rawsocket: client handshake bytes match the spec's examples", () => {
  assert.deepStrictEqual(clientHandshake(1, 0), bytes(0x7f, 0x01, 0, 0));
  assert.deepStrictEqual(clientHandshake(1, 1), bytes(0x7f, 0x11, 0, 0));
  assert.deepStrictEqual(clientHandshake(2, 15), bytes(0x7f, 0xf2, 0, 0));
  assert.deepStrictEqual(clientHandshake(3, 15), bytes(0x7f, 0xf3, 0, 0));
  assert.deepStrictEqual(
    handshakeErrorReply(RAWSOCKET_ERROR_SERIALIZER_UNSUPPORTED),
    bytes(0x7f, 0x10, 0, 0),
  );
  assert.deepStrictEqual(
    handshakeErrorReply(RAWSOCKET_ERROR_MAX_LENGTH_UNACCEPTABLE),
    bytes(0x7f, 0x20, 0, 0),
  );
  assert.deepStrictEqual(handshakeErrorReply(RAWSOCKET_ERROR_RESERVED_BITS), bytes(0x7f, 0x30, 0, 0));
  assert.deepStrictEqual(handshakeErrorReply(RAWSOCKET_ERROR_MAX_CONNECTIONS), bytes(0x7f, 0x40, 0, 0));
  assert.throws(() => clientHandshake(16, 0), RangeError);
});

test("rawsocket: handshake accepted, serializer echoed with the router's own limit", () => {
  for (const id of [1, 2, 3]) {
    const s = server({ maxLength: 1_000_000 });
    const events = s.receive(clientHandshake(id, 3));
    assert.deepStrictEqual(summary(events), [["handshake", id, 4096, [0x7f, 0xa0 | id, 0, 0]]]);
    assert.equal(s.isOpen, true);
    assert.equal(s.serializerId, id);
    assert.equal(s.peerMaxLength, 4096);
  }
});

test("rawsocket: handshake refused with each error code, then input is ignored", () => {
  const cases: [string, Partial<RawSocketServerOptions>, Uint8Array, number][] = [
    ["unsupported serializer", {}, clientHandshake(4, 15), RAWSOCKET_ERROR_SERIALIZER_UNSUPPORTED],
    ["illegal serializer 0", {}, clientHandshake(0, 15), RAWSOCKET_ERROR_SERIALIZER_UNSUPPORTED],
    [
      "peer limit too small",
      { minPeerMaxLength: 1024 },
      clientHandshake(1, 0),
      RAWSOCKET_ERROR_MAX_LENGTH_UNACCEPTABLE,
    ],
    ["reserved byte 3", {}, bytes(0x7f, 0xf2, 1, 0), RAWSOCKET_ERROR_RESERVED_BITS],
    ["reserved byte 4", {}, bytes(0x7f, 0xf2, 0, 0x80), RAWSOCKET_ERROR_RESERVED_BITS],
    ["connection limit", { admit: () => false }, clientHandshake(2, 15), RAWSOCKET_ERROR_MAX_CONNECTIONS],
  ];
  for (const [name, options, hello, code] of cases) {
    const s = server(options);
    const events = s.receive(concat([hello, encodeFrame(RAWSOCKET_FRAME_MESSAGE, text("[1]"))]));
    assert.equal(events.length, 1, name);
    const event = events[0]!;
    assert.equal(event.type, "handshake_error", name);
    if (event.type !== "handshake_error") continue;
    assert.equal(event.errorCode, code, name);
    assert.deepStrictEqual(event.reply, bytes(0x7f, code << 4, 0, 0), name);
    assert.equal(typeof event.reason, "string");
    assert.equal(s.isClosed, true);
    assert.deepStrictEqual(s.receive(encodeFrame(RAWSOCKET_FRAME_MESSAGE, text("[1]"))), [], name);
  }
  // The minimum is met exactly; admit is asked only for otherwise acceptable handshakes.
  let asked = 0;
  const s = server({ minPeerMaxLength: 1024, admit: () => (asked++, true) });
  assert.equal(s.receive(clientHandshake(1, 1))[0]?.type, "handshake");
  assert.equal(asked, 1);
  server({ admit: () => (asked++, true) }).receive(clientHandshake(9, 1));
  assert.equal(asked, 1);
});

test("rawsocket: bad magic fails at the first byte, without a reply", () => {
  for (const first of [0x00, 0x47, /* "G" of an HTTP GET */ 0x7e, 0xff]) {
    const s = server();
    const events = s.receive(bytes(first));
    assert.deepStrictEqual(summary(events), [["fail"]]);
    assert.equal(s.isClosed, true);
    assert.deepStrictEqual(s.receive(clientHandshake(1, 1)), []);
  }
  assert.deepStrictEqual(summary(server().receive(text("GET / HTTP/1.1\r\n"))), [["fail"]]);
});

test("rawsocket: handshake split byte by byte", () => {
  const s = server();
  const hello = clientHandshake(3, 2);
  for (let i = 0; i < 3; i++) assert.deepStrictEqual(s.receive(hello.subarray(i, i + 1)), []);
  assert.deepStrictEqual(summary(s.receive(hello.subarray(3))), [["handshake", 3, 2048, [0x7f, 0x33, 0, 0]]]);
  assert.deepStrictEqual(s.receive(new Uint8Array(0)), []);
});

function sampleStream(): { stream: Uint8Array; expected: unknown[] } {
  const m1 = text('[1,"realm1",{}]');
  const ping = bytes(1, 2, 3);
  const pong = bytes(9);
  const m2 = new SeededRandom(7).bytes(700);
  const stream = concat([
    clientHandshake(2, 15),
    encodeFrame(RAWSOCKET_FRAME_MESSAGE, m1),
    encodeFrame(RAWSOCKET_FRAME_PING, ping),
    encodeFrame(RAWSOCKET_FRAME_MESSAGE, new Uint8Array(0)),
    encodeFrame(RAWSOCKET_FRAME_PONG, pong),
    encodeFrame(RAWSOCKET_FRAME_PING, new Uint8Array(0)),
    encodeFrame(RAWSOCKET_FRAME_MESSAGE, m2),
  ]);
  const expected = [
    ["handshake", 2, 2 ** 24, [0x7f, 0x32, 0, 0]],
    ["message", Array.from(m1)],
    ["ping", [1, 2, 3], [2, 0, 0, 3, 1, 2, 3]],
    ["message", []],
    ["pong", [9]],
    ["ping", [], [2, 0, 0, 0]],
    ["message", Array.from(m2)],
  ];
  return { stream, expected };
}

test("rawsocket: handshake and several frames in one chunk", () => {
  const { stream, expected } = sampleStream();
  assert.deepStrictEqual(summary(server().receive(stream)), expected);
});

test("rawsocket: the stream split at every byte boundary, and fed byte by byte", () => {
  const { stream, expected } = sampleStream();
  for (let cut = 0; cut <= stream.length; cut++) {
    const s = server();
    const events = [...s.receive(stream.subarray(0, cut)), ...s.receive(stream.subarray(cut))];
    assert.deepStrictEqual(summary(events), expected, `cut at ${cut}`);
  }
  const s = server();
  const events: RawSocketEvent[] = [];
  for (let i = 0; i < stream.length; i++) events.push(...s.receive(stream.subarray(i, i + 1)));
  assert.deepStrictEqual(summary(events), expected);
});

test("rawsocket: payloads are copies, so the caller may reuse its read buffer", () => {
  const s = openServer();
  const chunk = encodeFrame(RAWSOCKET_FRAME_MESSAGE, bytes(1, 2, 3));
  const [event] = s.receive(chunk);
  chunk.fill(0xee);
  assert.deepStrictEqual(summary(event ? [event] : []), [["message", [1, 2, 3]]]);
});

test("rawsocket: PING gets exactly one PONG with the same payload; PONG is reported", () => {
  const s = openServer();
  const payload = text("are you there?");
  const events = s.receive(encodeFrame(RAWSOCKET_FRAME_PING, payload));
  assert.equal(events.length, 1);
  const ping = events[0]!;
  assert.equal(ping.type, "ping");
  if (ping.type !== "ping") return;
  assert.deepStrictEqual(ping.payload, payload);
  assert.deepStrictEqual(ping.pong, encodeFrame(RAWSOCKET_FRAME_PONG, payload));
  assert.equal(ping.pong[0], 0x02);
  assert.deepStrictEqual(summary(s.receive(encodeFrame(RAWSOCKET_FRAME_PONG, bytes(5)))), [["pong", [5]]]);
});

test("rawsocket: frames up to the announced limit pass, a longer one fails the connection", () => {
  const s = openServer({ maxLength: 512 });
  assert.equal(s.receive(encodeFrame(RAWSOCKET_FRAME_MESSAGE, new Uint8Array(512)))[0]?.type, "message");
  // Only the header is needed to fail: the 513 payload bytes never have to arrive.
  const header = encodeFrame(RAWSOCKET_FRAME_MESSAGE, new Uint8Array(513)).subarray(0, 4);
  assert.deepStrictEqual(summary(s.receive(header)), [["fail"]]);
  assert.equal(s.isClosed, true);
  assert.deepStrictEqual(s.receive(encodeFrame(RAWSOCKET_FRAME_MESSAGE, bytes(1))), []);
  // PING is bounded by the same limit.
  assert.deepStrictEqual(
    summary(openServer({ maxLength: 512 }).receive(encodeFrame(RAWSOCKET_FRAME_PING, new Uint8Array(600)))),
    [["fail"]],
  );
});

test("rawsocket: reserved frame types and reserved header bits fail the connection", () => {
  for (const b0 of [3, 4, 5, 6, 7, 0x10, 0x80, 0xf0]) {
    const s = openServer();
    const events = s.receive(
      concat([bytes(b0, 0, 0, 1, 0x41), encodeFrame(RAWSOCKET_FRAME_MESSAGE, bytes(1))]),
    );
    assert.deepStrictEqual(summary(events), [["fail"]], `first header byte ${b0}`);
    assert.deepStrictEqual(s.receive(encodeFrame(RAWSOCKET_FRAME_MESSAGE, bytes(1))), []);
  }
  // X (the 25th length bit) is only valid with a 24-bit length of 0, meaning exactly 2^24.
  assert.deepStrictEqual(summary(openServer({ maxLength: 2 ** 24 }).receive(bytes(0x08, 0, 0, 1, 0))), [[
    "fail",
  ]]);
  assert.deepStrictEqual(summary(openServer({ maxLength: 2 ** 23 }).receive(bytes(0x08, 0, 0, 0))), [[
    "fail",
  ]]);
});

test("rawsocket: a frame of exactly 16 MiB uses the X bit, in both directions", () => {
  const big = new Uint8Array(RAWSOCKET_MAX_LENGTH);
  big[0] = 0xa5;
  big[big.length - 1] = 0x5a;
  const frame = encodeFrame(RAWSOCKET_FRAME_MESSAGE, big);
  assert.deepStrictEqual(frame.subarray(0, 4), bytes(0x08, 0, 0, 0));
  assert.equal(frame.length, 4 + RAWSOCKET_MAX_LENGTH);
  assert.throws(
    () => encodeFrame(RAWSOCKET_FRAME_MESSAGE, new Uint8Array(RAWSOCKET_MAX_LENGTH + 1)),
    RangeError,
  );
  // One chunk
  let events = openServer({ maxLength: 2 ** 24 }).receive(frame);
  assert.equal(events.length, 1);
  assert.equal(events[0]?.type, "message");
  if (events[0]?.type === "message") assert.deepStrictEqual(events[0].payload, big);
  // 4 KiB chunks (4097 calls): linear work, the payload is filled in place.
  const s = openServer({ maxLength: 2 ** 24 });
  events = [];
  for (let i = 0; i < frame.length; i += 4096) events.push(...s.receive(frame.subarray(i, i + 4096)));
  assert.equal(events.length, 1);
  if (events[0]?.type === "message") {
    assert.equal(events[0].payload.length, RAWSOCKET_MAX_LENGTH);
    assert.equal(events[0].payload[0], big[0]);
    assert.equal(events[0].payload[RAWSOCKET_MAX_LENGTH - 1], 0x5a);
  } else assert.fail("expected a message");
  // Sending to a peer that announced 16 MiB
  assert.deepStrictEqual(s.frameMessage(big).subarray(0, 4), bytes(0x08, 0, 0, 0));
});

test("rawsocket: never sends more than the peer accepts", () => {
  const s = server();
  assert.throws(() => s.frameMessage(bytes(1)), Error); // handshake not done
  assert.equal(s.canSend(1), false);
  s.receive(clientHandshake(1, 0)); // peer accepts 512 bytes
  assert.equal(s.peerMaxLength, 512);
  assert.equal(s.canSend(512), true);
  assert.equal(s.canSend(513), false);
  assert.deepStrictEqual(s.frameMessage(bytes(0x5b, 0x5d)), bytes(0, 0, 0, 2, 0x5b, 0x5d));
  assert.equal(s.frameMessage(new Uint8Array(512)).length, 516);
  assert.throws(() => s.frameMessage(new Uint8Array(513)), RangeError);
  assert.throws(() => s.framePing(new Uint8Array(513)), RangeError);
  assert.deepStrictEqual(s.framePing(bytes(7)), bytes(1, 0, 0, 1, 7));
  // A PING whose PONG the peer could not take fails instead of breaking the peer's limit.
  assert.deepStrictEqual(summary(s.receive(encodeFrame(RAWSOCKET_FRAME_PING, new Uint8Array(600)))), [[
    "fail",
  ]]);
});

test("rawsocket: parseServerHandshake", () => {
  assert.deepStrictEqual(parseServerHandshake(bytes(0x7f, 0xf2, 0, 0)), {
    ok: true,
    serializerId: 2,
    lengthExponent: 15,
    maxLength: 2 ** 24,
  });
  for (const code of [1, 2, 3, 4]) {
    const result = parseServerHandshake(handshakeErrorReply(code));
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.errorCode, code);
  }
  for (const malformed of [bytes(0x7e, 0xf2, 0, 0), bytes(0x7f, 0xf2, 0, 1), bytes(0x7f, 0xf2)]) {
    const result = parseServerHandshake(malformed);
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.errorCode, 0);
  }
});

test("rawsocket: client and server protocols talk to each other", () => {
  const s = server({ maxLength: 1024 });
  const c = new RawSocketClientProtocol({ serializerId: 1, maxLength: 600 });
  assert.deepStrictEqual(c.handshake, bytes(0x7f, 0x01, 0, 0));
  const [hs] = s.receive(c.handshake);
  assert.equal(hs?.type, "handshake");
  if (hs?.type !== "handshake") return;
  assert.equal(hs.peerMaxLength, 512);
  // The reply and a first frame arrive together.
  const hello = text("[2,1,{}]");
  const clientEvents = c.receive(concat([hs.reply, s.frameMessage(hello)]));
  assert.deepStrictEqual(clientEvents.map((e) => e.type), ["handshake", "message"]);
  assert.deepStrictEqual(clientEvents[0], { type: "handshake", serializerId: 1, peerMaxLength: 1024 });
  assert.equal(c.isOpen, true);
  assert.equal(c.canSend(1024), true);
  assert.equal(c.canSend(1025), false);
  const [msg] = s.receive(c.frameMessage(text("[1]")));
  assert.deepStrictEqual(msg, { type: "message", payload: text("[1]") });
  const [ping] = c.receive(s.framePing(bytes(4, 2)));
  assert.equal(ping?.type, "ping");
  if (ping?.type === "ping") {
    assert.deepStrictEqual(s.receive(ping.pong), [{ type: "pong", payload: bytes(4, 2) }]);
  }
});

test("rawsocket: client sees refusals and malformed replies", () => {
  const refused = new RawSocketClientProtocol({ serializerId: 4, maxLength: 2 ** 24 });
  const [reply] = server().receive(refused.handshake);
  assert.equal(reply?.type, "handshake_error");
  if (reply?.type !== "handshake_error") return;
  const events = refused.receive(reply.reply);
  assert.equal(events.length, 1);
  assert.equal(events[0]?.type, "handshake_error");
  if (events[0]?.type === "handshake_error") {
    assert.equal(events[0].errorCode, RAWSOCKET_ERROR_SERIALIZER_UNSUPPORTED);
  }
  assert.equal(refused.isClosed, true);
  const mismatch = new RawSocketClientProtocol({ serializerId: 1, maxLength: 512 });
  assert.deepStrictEqual(mismatch.receive(bytes(0x7f, 0xf2, 0, 0)).map((e) => e.type), ["fail"]);
  const badMagic = new RawSocketClientProtocol({ serializerId: 1, maxLength: 512 });
  assert.deepStrictEqual(badMagic.receive(bytes(0x48)).map((e) => e.type), ["fail"]);
});

// A frame as (type, payload), for the property tests.
const frameArb = fc.record({
  type: fc.constantFrom(RAWSOCKET_FRAME_MESSAGE, RAWSOCKET_FRAME_PING, RAWSOCKET_FRAME_PONG),
  payload: fc.oneof(fc.uint8Array({ maxLength: 16 }), fc.uint8Array({ maxLength: 3000, size: "max" })),
});

/** Mostly-plausible garbage: random bytes, valid frames, and headers with random fields. */
const noiseArb = fc
  .array(
    fc.oneof(
      fc.uint8Array({ maxLength: 300, size: "max" }),
      frameArb.map((f) => encodeFrame(f.type, f.payload)),
      fc.tuple(fc.nat(255), fc.nat(0x7ff)).map(([b0, len]) =>
        Uint8Array.of(b0 & 0x0f, 0, len >> 8, len & 0xff)
      ),
    ),
    { maxLength: 10 },
  )
  .map((parts) => concat(parts));

/** Cuts `stream` at the given (unsorted, possibly repeated) positions. */
function chunked(stream: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(stream.subarray(from, p));
    from = p;
  }
  chunks.push(stream.subarray(from));
  return chunks;
}

test("rawsocket property: valid frames cut at random boundaries decode to the same payloads in order", () => {
  fc.assert(
    fc.property(
      fc.array(frameArb, { maxLength: 12 }),
      fc.array(fc.nat(), { maxLength: 30 }),
      (frames, cuts) => {
        const stream = concat([clientHandshake(3, 15), ...frames.map((f) => encodeFrame(f.type, f.payload))]);
        const s = server({ maxLength: 4096 });
        const events = chunked(stream, cuts).flatMap((chunk) => s.receive(chunk));
        assert.equal(events[0]?.type, "handshake");
        const decoded = events.slice(1).map((e) => {
          if (e.type === "message") return { type: RAWSOCKET_FRAME_MESSAGE, payload: e.payload };
          if (e.type === "ping") {
            assert.deepStrictEqual(e.pong, encodeFrame(RAWSOCKET_FRAME_PONG, e.payload));
            return { type: RAWSOCKET_FRAME_PING, payload: e.payload };
          }
          if (e.type === "pong") return { type: RAWSOCKET_FRAME_PONG, payload: e.payload };
          return assert.fail(`unexpected ${e.type}`);
        });
        assert.deepStrictEqual(
          decoded,
          frames.map((f) => ({ type: f.type, payload: new Uint8Array(f.payload) })),
        );
      },
    ),
    fcOptions,
  );
});

test("rawsocket property: random bytes after a valid handshake only ever produce events", () => {
  fc.assert(
    fc.property(noiseArb, fc.array(fc.nat(), { maxLength: 20 }), (noise, cuts) => {
      const s = server({ maxLength: 1024 });
      const all = chunked(concat([clientHandshake(1, 0), noise]), cuts).flatMap((chunk) => s.receive(chunk));
      assert.equal(all[0]?.type, "handshake");
      const failAt = all.findIndex((e) => e.type === "fail");
      if (failAt >= 0) {
        assert.equal(failAt, all.length - 1, "nothing after a fail");
        assert.equal(s.isClosed, true);
      }
      for (const e of all.slice(1)) assert.ok(["message", "ping", "pong", "fail"].includes(e.type));
    }),
    { ...fcOptions, numRuns: 1000 },
  );
});

test("rawsocket property: random bytes before the handshake only ever produce events", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (noise) => {
      const events = server().receive(noise);
      assert.ok(events.length <= 1 || events[0]?.type === "handshake");
    }),
    { ...fcOptions, numRuns: 1000 },
  );
});
