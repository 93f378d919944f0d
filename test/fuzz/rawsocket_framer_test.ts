/**
 * Fuzzing the RawSocket framer (src/framing/rawsocket.ts, RawSocketServerProtocol): any
 * chunking of a stream yields exactly the events of the whole stream; arbitrary bytes never
 * make it throw; after "fail" (or a refused handshake) it emits nothing more; payloads respect
 * the announced limit and every PING gets its PONG.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  clientHandshake,
  encodeFrame,
  RAWSOCKET_FRAME_MESSAGE,
  RAWSOCKET_FRAME_PING,
  RAWSOCKET_FRAME_PONG,
  RAWSOCKET_MAGIC,
  type RawSocketEvent,
  RawSocketServerProtocol,
} from "../../src/framing/rawsocket.ts";
import { test } from "../_support/harness.ts";
import { concat } from "../_support/bytes.ts";
import { chunk, cuts } from "./_chunks.ts";
import { check } from "./_fc.ts";

const LIMITS = [512, 1_024, 65_536, 16 * 1024 * 1024] as const;

function server(maxLength: number): RawSocketServerProtocol {
  return new RawSocketServerProtocol({ maxLength, serializerSupported: (id) => id >= 1 && id <= 3 });
}

/** Events as comparable data (payloads as arrays). */
function plain(events: readonly RawSocketEvent[]): unknown[] {
  return events.map((e) => {
    switch (e.type) {
      case "message":
      case "pong":
        return [e.type, Array.from(e.payload)];
      case "ping":
        return [e.type, Array.from(e.payload), Array.from(e.pong)];
      case "fail":
        return [e.type, e.reason];
      case "handshake":
        return [e.type, e.serializerId, e.peerMaxLength, Array.from(e.reply)];
      case "handshake_error":
        return [e.type, e.errorCode, Array.from(e.reply)];
    }
  });
}

/** Feeds the chunks; checks that nothing follows a terminal event and that it never throws. */
function feed(proto: RawSocketServerProtocol, chunks: readonly Uint8Array[]): RawSocketEvent[] {
  const all: RawSocketEvent[] = [];
  let over = false;
  for (const c of chunks) {
    const evs = proto.receive(c);
    if (over && evs.length > 0) throw new Error(`events after fail/handshake_error: ${JSON.stringify(plain(evs))}`);
    for (const e of evs) {
      if (over) throw new Error(`event after fail/handshake_error in the same chunk: ${e.type}`);
      all.push(e);
      if (e.type === "fail" || e.type === "handshake_error") over = true;
    }
  }
  if (over && !proto.isClosed) throw new Error("fail/handshake_error but the protocol is not closed");
  return all;
}

/** Contract of each event against the limits. */
function checkEvents(events: readonly RawSocketEvent[], maxLength: number): void {
  let peerLimit = 0;
  for (const e of events) {
    if (e.type === "handshake") peerLimit = e.peerMaxLength;
    if ((e.type === "message" || e.type === "ping" || e.type === "pong") && e.payload.length > maxLength) {
      throw new Error(`${e.type} of ${e.payload.length} bytes over our limit ${maxLength}`);
    }
    if (e.type === "ping") {
      assert.deepEqual(Array.from(e.pong), Array.from(encodeFrame(RAWSOCKET_FRAME_PONG, e.payload)));
      if (e.payload.length > peerLimit) throw new Error("a PONG over the peer's limit was offered");
    }
  }
}

const frame = fc.record({
  type: fc.constantFrom(RAWSOCKET_FRAME_MESSAGE, RAWSOCKET_FRAME_MESSAGE, RAWSOCKET_FRAME_PING, RAWSOCKET_FRAME_PONG),
  payload: fc.oneof(fc.uint8Array({ maxLength: 24 }), fc.uint8Array({ minLength: 400, maxLength: 1_400 })),
});

test("fuzz rawsocket framer: any chunking of a valid stream decodes to the events of the whole stream", () => {
  check(fc.property(
    fc.constantFrom(...LIMITS),
    fc.integer({ min: 1, max: 3 }),
    fc.nat(15),
    fc.array(frame, { maxLength: 10 }),
    cuts,
    (maxLength, serializer, exponent, frames, at) => {
      const stream = concat([
        clientHandshake(serializer, exponent),
        ...frames.map((f) => encodeFrame(f.type, f.payload)),
      ]);
      const whole = feed(server(maxLength), [stream]);
      const cut = feed(server(maxLength), chunk(stream, at));
      assert.deepEqual(plain(cut), plain(whole));
      checkEvents(whole, maxLength);
      // What a valid stream must produce: the handshake, then each frame in order, up to the
      // first one over a limit, which fails the connection.
      const peerLimit = 2 ** (9 + exponent);
      const ourLimit = server(maxLength).maxLength;
      const expected: unknown[] = [["handshake", serializer, peerLimit, Array.from(clientHandshake(serializer, server(maxLength).lengthExponent))]];
      for (const f of frames) {
        if (f.payload.length > ourLimit) break;
        if (f.type === RAWSOCKET_FRAME_PING && f.payload.length > peerLimit) break;
        const p = Array.from(f.payload);
        expected.push(
          f.type === RAWSOCKET_FRAME_MESSAGE ? ["message", p]
          : f.type === RAWSOCKET_FRAME_PING ? ["ping", p, Array.from(encodeFrame(RAWSOCKET_FRAME_PONG, f.payload))]
          : ["pong", p],
        );
      }
      const got = plain(whole);
      assert.deepEqual(got.filter((e) => (e as unknown[])[0] !== "fail"), expected);
    },
  ), { numRuns: 600, seed: 31 });
});

/** Bytes that start like a RawSocket stream about as often as not. */
const noisyStream = fc.oneof(
  fc.uint8Array({ maxLength: 80 }),
  fc.tuple(fc.nat(255), fc.uint8Array({ minLength: 2, maxLength: 2 }), fc.uint8Array({ maxLength: 80 })).map(
    ([second, reserved, rest]) => concat([Uint8Array.of(RAWSOCKET_MAGIC, second), reserved, rest]),
  ),
  fc.tuple(fc.integer({ min: 1, max: 3 }), fc.nat(15), fc.uint8Array({ maxLength: 120 })).map(
    ([s, e, rest]) => concat([clientHandshake(s, e), rest]),
  ),
  fc.tuple(fc.integer({ min: 1, max: 3 }), fc.nat(15), fc.array(frame, { maxLength: 4 }), fc.uint8Array({ maxLength: 16 }), fc.nat(200)).map(
    ([s, e, frames, noise, at]) => {
      const valid = concat([clientHandshake(s, e), ...frames.map((f) => encodeFrame(f.type, f.payload))]);
      const cut = 4 + (at % Math.max(1, valid.length - 3));
      return concat([valid.subarray(0, cut), noise, valid.subarray(cut)]);
    },
  ),
);

test("fuzz rawsocket framer: arbitrary bytes never throw, chunking changes nothing, nothing follows fail", () => {
  check(fc.property(fc.constantFrom(...LIMITS), noisyStream, cuts, (maxLength, stream, at) => {
    const whole = feed(server(maxLength), [stream]);
    const cut = feed(server(maxLength), chunk(stream, at));
    assert.deepEqual(plain(cut), plain(whole));
    checkEvents(whole, maxLength);
    // Input after the end is ignored.
    const proto = server(maxLength);
    const events = feed(proto, [stream]);
    if (events.some((e) => e.type === "fail" || e.type === "handshake_error")) {
      assert.deepEqual(proto.receive(Uint8Array.of(0, 0, 0, 0, 0x7f, 1, 2, 3)), []);
    }
  }), { numRuns: 2_000, seed: 32 });
});
