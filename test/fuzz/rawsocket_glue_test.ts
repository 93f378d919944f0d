/**
 * Fuzzing the RawSocket session glue (src/session/rawsocket_peer.ts through
 * Router.acceptBytes): byte streams of handshakes, frames of fuzzed WAMP messages, PINGs,
 * PONGs, broken headers and noise, cut anywhere. The router must never throw, must write only
 * valid RawSocket within the limit we announced, nothing after ABORT or after closing, and end
 * with the connection closed or still usable (a PING then gets exactly one PONG).
 */
import fc from "fast-check";
import {
  clientHandshake,
  encodeFrame,
  RAWSOCKET_FRAME_MESSAGE,
  RAWSOCKET_FRAME_PING,
  RAWSOCKET_FRAME_PONG,
} from "../../src/framing/rawsocket.ts";
import { Router } from "../../src/router/router.ts";
import { serializerForRawSocketId } from "../../src/serializer/registry.ts";
import { FakeClock } from "../_support/fake_clock.ts";
import { SeededRandom } from "../_support/seeded_random.ts";
import { test } from "../_support/harness.ts";
import { FakeByteConn } from "./_byte_conn.ts";
import { concat } from "../_support/bytes.ts";
import { chunk, cuts } from "./_chunks.ts";
import { flushMicrotasks, trapEscapes } from "./_escapes.ts";
import { encodeWithExotics } from "./_exotics.ts";
import { checkAsync } from "./_fc.ts";
import { benign, hostile } from "./_messages.ts";
import { mutateBytes, mutations } from "./_mutate.ts";
import { resolveRefs, emptyPools } from "./_refs.ts";
import { ConnModel } from "./_session_model.ts";

const utf8 = new TextEncoder();
const ROLES = { publisher: {}, subscriber: {}, caller: {}, callee: {} };

type Unit =
  | { kind: "hello" }
  | { kind: "message"; message: unknown; mutate: Parameters<typeof mutateBytes>[1] | undefined }
  | { kind: "ping"; payload: Uint8Array }
  | { kind: "pong"; payload: Uint8Array }
  | { kind: "badHeader"; header: Uint8Array }
  | { kind: "noise"; bytes: Uint8Array };

const unit: fc.Arbitrary<Unit> = fc.oneof(
  { arbitrary: fc.constant({ kind: "hello" as const }), weight: 3 },
  {
    arbitrary: fc.record({
      kind: fc.constant("message" as const),
      message: fc.oneof(benign.request, benign.fuzzMessage, hostile.fuzzMessage),
      mutate: fc.option(mutations, { nil: undefined, freq: 4 }),
    }),
    weight: 10,
  },
  { arbitrary: fc.record({ kind: fc.constant("ping" as const), payload: fc.uint8Array({ maxLength: 700, size: "small" }) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("pong" as const), payload: fc.uint8Array({ maxLength: 16 }) }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant("badHeader" as const),
      header: fc.oneof(
        fc.tuple(fc.integer({ min: 0x10, max: 0xff }), fc.nat(255)).map(([b0, b3]) => Uint8Array.of(b0, 0, 0, b3)),
        fc.integer({ min: 3, max: 7 }).map((t) => Uint8Array.of(t, 0, 0, 1, 0)),
        fc.constant(Uint8Array.of(0x08, 0, 0, 1)),
        fc.constant(Uint8Array.of(0x00, 0xff, 0xff, 0xff)),
      ),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ kind: fc.constant("noise" as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }), weight: 1 },
);

const handshake = fc.oneof(
  { arbitrary: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.nat(15)).map(([s, e]) => clientHandshake(s, e)), weight: 8 },
  { arbitrary: fc.uint8Array({ minLength: 4, maxLength: 4 }), weight: 1 },
  { arbitrary: fc.tuple(fc.nat(15), fc.nat(15)).map(([s, e]) => clientHandshake(s, e)), weight: 1 },
);

function frameOf(u: Unit, serializerId: number, model: ConnModel): Uint8Array {
  switch (u.kind) {
    case "hello":
    case "message": {
      const ser = serializerForRawSocketId(serializerId) ?? serializerForRawSocketId(1)!;
      const message = u.kind === "hello" ? [1, "realm1", { roles: ROLES }] : resolveRefs(u.message, model, emptyPools());
      let encoded: Uint8Array | string;
      try {
        encoded = encodeWithExotics(ser, message);
      } catch {
        return new Uint8Array(0);
      }
      let payload = typeof encoded === "string" ? utf8.encode(encoded) : encoded;
      if (u.kind === "message" && u.mutate) payload = mutateBytes(payload, u.mutate);
      return encodeFrame(RAWSOCKET_FRAME_MESSAGE, payload);
    }
    case "ping":
      return encodeFrame(RAWSOCKET_FRAME_PING, u.payload);
    case "pong":
      return encodeFrame(RAWSOCKET_FRAME_PONG, u.payload);
    case "badHeader":
      return u.header;
    case "noise":
      return u.bytes;
  }
}

interface Outcome {
  readonly conn: FakeByteConn;
  readonly router: Router;
}

async function play(hs: Uint8Array, units: readonly Unit[], at: readonly number[], seed: number): Promise<Outcome> {
  const clock = new FakeClock();
  const router = new Router({ realms: [{ name: "realm1" }], clock, random: new SeededRandom(seed), rawSocketMaxLength: 4_096 });
  const conn = new FakeByteConn(router);
  const trap = trapEscapes();
  try {
    const model = new ConnModel();
    const stream = concat([hs, ...units.map((u) => frameOf(u, hs[1]! & 0x0f, model))]);
    conn.handshakeSent(hs);
    for (const c of chunk(stream, at)) {
      const thrown = conn.deliver(c);
      if (thrown !== undefined) throw new Error(`the router threw on a chunk: ${thrown instanceof Error ? thrown.stack : String(thrown)}`);
      await flushMicrotasks();
      if (conn.closed) break;
    }
    const escaped = trap.drain();
    if (escaped.length > 0) throw new Error(`escaped asynchronously: ${String(escaped[0])}`);
    if (conn.problems.length > 0) throw new Error(conn.problems[0]);
    const aborts = conn.messages.filter((m) => m[0] === 3);
    if (aborts.length > 1) throw new Error(`${aborts.length} ABORTs`);
    if (aborts.length === 1) {
      if (conn.messages[conn.messages.length - 1]![0] !== 3) throw new Error("messages after ABORT");
      if (!conn.closed) throw new Error("ABORT without closing the connection");
    }
    return { conn, router };
  } finally {
    trap.dispose();
  }
}

/** Frame-aligned streams: whole units only, so a connection left open must still answer a PING. */
const aligned = (u: Unit) => u.kind !== "noise" && u.kind !== "badHeader";

test("fuzz rawsocket glue: byte streams through Router.acceptBytes never throw and end closed or usable", async () => {
  await checkAsync(fc.asyncProperty(handshake, fc.array(unit, { maxLength: 10 }), cuts, fc.nat(), async (hs, units, at, seed) => {
    const { conn, router } = await play(hs, units, at, seed);
    if (!conn.closed && units.every(aligned) && (hs[1]! & 0x0f) >= 1 && (hs[1]! & 0x0f) <= 3 && hs[2] === 0 && hs[3] === 0) {
      const before = conn.pongs.length;
      const payload = Uint8Array.of(7, 8, 9);
      const thrown = conn.deliver(encodeFrame(RAWSOCKET_FRAME_PING, payload));
      if (thrown !== undefined) throw new Error(`the router threw on a PING: ${String(thrown)}`);
      if (conn.pongs.length !== before + 1 || conn.pongs[before]!.join() !== payload.join()) {
        throw new Error(`an open, frame-aligned connection did not answer a PING (closed=${conn.closed})`);
      }
    }
    const thrown = conn.settle();
    if (thrown !== undefined) throw new Error(`the router threw when the connection closed: ${String(thrown)}`);
    await flushMicrotasks();
    if (router.sessionCount !== 0) throw new Error(`${router.sessionCount} sessions left after the connection closed`);
    if (router.realm("realm1")!.sessionCount !== 0) throw new Error("the realm still lists a session");
  }), { numRuns: 400, seed: 41 });
});

test("fuzz rawsocket glue: arbitrary bytes, with or without a valid handshake, never throw", async () => {
  await checkAsync(fc.asyncProperty(
    fc.oneof(handshake, fc.constant(new Uint8Array(0))),
    fc.uint8Array({ maxLength: 200 }),
    cuts,
    async (hs, noise, at) => {
      const { conn, router } = await play(hs, [{ kind: "noise", bytes: noise }], at, 1);
      conn.settle();
      await flushMicrotasks();
      if (router.sessionCount !== 0) throw new Error(`${router.sessionCount} sessions left after the connection closed`);
    },
  ), { numRuns: 1_000, seed: 42 });
});
