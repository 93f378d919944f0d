/**
 * The fuzzers' findings, each as the shrunk counterexample in a plain test. Each test states
 * what the router should do; while the bug is there the test fails (and so may the property
 * that found it). Found with session_test.ts (default seeds, and FUZZ_SEED 1..3, 100..115;
 * 200..215 and 500..515 with the earlier findings masked out of the generators while
 * exploring), rawsocket_glue_test.ts (default seed) and bench/fuzz.ts (which also crashed the
 * Node router with the option findings: one frame ends the process).
 */
import assert from "node:assert/strict";
import { encodeFrame, RAWSOCKET_FRAME_MESSAGE, RAWSOCKET_FRAME_PING, clientHandshake } from "../../src/framing/rawsocket.ts";
import { Router } from "../../src/router/router.ts";
import { cborSerializer } from "../../src/serializer/cbor.ts";
import { FakeClock } from "../_support/fake_clock.ts";
import { test } from "../_support/harness.ts";
import { FakeByteConn } from "./_byte_conn.ts";
import { concat } from "../_support/bytes.ts";
import { FuzzConn } from "./_fuzz_conn.ts";

const ROLES = { publisher: {}, subscriber: {}, caller: {}, callee: {} };
const DEEP = "[".repeat(100_000) + "]".repeat(100_000);

function joined(protocol: string, roles: Record<string, unknown> = ROLES): { router: Router; c: FuzzConn } {
  const router = new Router({ realms: [{ name: "realm1" }], clock: new FakeClock() });
  const c = new FuzzConn(router, protocol, 0);
  assert.equal(c.deliver(c.frame(c.ser.encode([1, "realm1", { roles }]))), undefined);
  assert.equal(c.received.shift()?.[0], 2, "WELCOME");
  return { router, c };
}

/** A CBOR message whose `"BIGNUM"` string leaves are replaced by the bignum 5 (tag 2), which decodes to 5n. */
function cborWithBignum(message: unknown[]): Uint8Array {
  const bytes = cborSerializer.encode(message) as Uint8Array;
  const marker = [0x66, ...Array.from("BIGNUM", (ch) => ch.charCodeAt(0))];
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    if (marker.every((b, j) => bytes[i + j] === b)) {
      out.push(0xc2, 0x41, 0x05);
      i += marker.length - 1;
    } else out.push(bytes[i]!);
  }
  return Uint8Array.from(out);
}

/** Delivers one frame; the router must not throw and must answer with exactly `expected` (type codes). */
function expectAnswer(c: FuzzConn, frame: Uint8Array | string, expected: (m: unknown[]) => boolean, what: string): void {
  const thrown = c.deliver(frame);
  assert.equal(thrown, undefined, `an exception escaped the router: ${String(thrown)}`);
  assert.equal(c.received.length, 1, `one answer expected, got ${JSON.stringify(c.received)}`);
  assert.ok(expected(c.received[0]!), `${what}, got ${JSON.stringify(c.received[0])}`);
  assert.equal(c.open, true, "the session stays open");
}

const invalidArgument = (type: number, id: number) => (m: unknown[]) =>
  m[0] === 8 && m[1] === type && m[2] === id && m[4] === "wamp.error.invalid_argument";

test("regression: CANCEL with Options.mode nested 100 000 deep (JSON) throws RangeError out of the router", () => {
  // Shrunk: [49, 1, {"mode": <exotic 23>}] after HELLO. dealer.cancel builds its error text with JSON.stringify(mode).
  const { c } = joined("wamp.2.json");
  expectAnswer(c, `[49,1,{"mode":${DEEP}}]`, invalidArgument(49, 1), "ERROR invalid_argument for the CANCEL");
});

test("regression: CANCEL with Options.mode a CBOR bignum throws TypeError (BigInt) out of the router", () => {
  const { c } = joined("wamp.2.cbor");
  expectAnswer(c, cborWithBignum([49, 1, { mode: "BIGNUM" }]), invalidArgument(49, 1), "ERROR invalid_argument for the CANCEL");
});

test("regression: CALL with Options.runmode a CBOR bignum or nested 100 000 deep throws out of the router", () => {
  // call_options.ts: `found ${JSON.stringify(runmode)}`.
  const cbor = joined("wamp.2.cbor").c;
  expectAnswer(cbor, cborWithBignum([48, 1, { runmode: "BIGNUM" }, "fz.p1"]), invalidArgument(48, 1), "ERROR invalid_argument for the CALL");
  const json = joined("wamp.2.json").c;
  expectAnswer(json, `[48,1,{"runmode":${DEEP}},"fz.p1"]`, invalidArgument(48, 1), "ERROR invalid_argument for the CALL");
});

test("regression: SUBSCRIBE/PUBLISH options nested 100 000 deep throw RangeError out of value_text.describe", () => {
  // Shrunk: [16, 1, {"eligible_authrole": <exotic 23>}, "fz.t1"]. describe() falls back to
  // String(v), which recurses as deep as JSON.stringify did.
  const sub = joined("wamp.2.json").c;
  expectAnswer(sub, `[32,1,{"match":${DEEP}},"fz.t1"]`, invalidArgument(32, 1), "ERROR invalid_argument for the SUBSCRIBE");
  const pub = joined("wamp.2.json").c;
  expectAnswer(
    pub,
    `[16,1,{"acknowledge":true,"eligible_authrole":${DEEP}},"fz.t1"]`,
    invalidArgument(16, 1),
    "ERROR invalid_argument for the PUBLISH",
  );
});

test("regression: a protocol violation by a caller of its own call_canceling procedure sends INTERRUPT after ABORT", () => {
  // Shrunk (chaos, default seed): join with callee feature call_canceling, REGISTER fz.p1,
  // CALL fz.p1 (INVOCATION to itself), then any violation. abort() sends ABORT, then leaving
  // the realm cancels the call and the dealer interrupts the callee: the same, aborting session.
  const { c } = joined("wamp.2.json", { caller: {}, callee: { features: { call_canceling: true } } });
  c.deliver(c.frame(c.ser.encode([64, 1, {}, "fz.p1"])));
  c.deliver(c.frame(c.ser.encode([48, 2, {}, "fz.p1"])));
  assert.deepEqual(c.received.map((m) => m[0]), [65, 68]);
  c.received.length = 0;
  c.deliver(c.frame(c.ser.encode([])));
  assert.deepEqual(c.received.map((m) => m[0]), [3], `only ABORT, got ${JSON.stringify(c.received)}`);
  assert.equal(c.closedByRouter, true);
});

test("regression: GOODBYE from a caller of its own call_canceling procedure is followed by INTERRUPT", () => {
  // After the GOODBYE reply the session is closed (spec "Session Closing"); an INTERRUPT for
  // an invocation of the old session must not follow.
  const { c } = joined("wamp.2.json", { caller: {}, callee: { features: { call_canceling: true } } });
  c.deliver(c.frame(c.ser.encode([64, 1, {}, "fz.p1"])));
  c.deliver(c.frame(c.ser.encode([48, 2, {}, "fz.p1"])));
  c.received.length = 0;
  c.deliver(c.frame(c.ser.encode([6, {}, "wamp.close.close_realm"])));
  assert.deepEqual(c.received, [[6, {}, "wamp.close.goodbye_and_out"]]);
});

test("regression: a string starting with U+0000 from a binary-serializer client reaches JSON peers undecodable", () => {
  // Shrunk (FUZZ_SEED=201): a msgpack caller's CALL argument "\u0000!!" (a plain string) is
  // forwarded to a JSON callee as the text "\u0000!!", which WAMP's JSON binary convention
  // reads as base64: the callee cannot decode the INVOCATION ("\u0000AQID" would even turn
  // into binary). The router should treat such a string as not carried by JSON (as it does a
  // BigInt: an ERROR to the caller), not send a frame its peer must reject.
  const router = new Router({ realms: [{ name: "realm1" }], clock: new FakeClock() });
  const callee = new FuzzConn(router, "wamp.2.json", 0);
  const caller = new FuzzConn(router, "wamp.2.msgpack", 1);
  for (const c of [callee, caller]) c.deliver(c.frame(c.ser.encode([1, "realm1", { roles: ROLES }])));
  callee.deliver(callee.frame(callee.ser.encode([64, 1, {}, "fz.p1"])));
  caller.deliver(caller.frame(caller.ser.encode([48, 1, {}, "fz.p1", ["\u0000!!"]])));
  assert.deepEqual(callee.problems, [], "every frame the JSON callee got decodes");
});

test("regression: a CALL timeout of 2^31 ms or more times out at once on the real clock", async () => {
  // Shrunk (FUZZ_SEED=500, FuzzClock's range check): CALL with Options.timeout 2147483648 (or 2^53). The
  // dealer hands the delay to setTimeout, which every runtime fires after 1 ms when it is over
  // 2^31-1: the caller gets wamp.error.timeout at once instead of (practically) never.
  const router = new Router({ realms: [{ name: "realm1" }] }); // systemClock
  const callee = new FuzzConn(router, "wamp.2.json", 0);
  const caller = new FuzzConn(router, "wamp.2.json", 1);
  try {
    for (const c of [callee, caller]) c.deliver(c.frame(c.ser.encode([1, "realm1", { roles: ROLES }])));
    callee.deliver(callee.frame(callee.ser.encode([64, 1, {}, "fz.p1"])));
    caller.deliver(caller.frame(caller.ser.encode([48, 1, { timeout: 2 ** 31 }, "fz.p1"])));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(caller.received.slice(1), [], "no answer yet: the callee has not answered and the timeout is 24.8 days");
  } finally {
    callee.drop(); // ends the call and its timer
    caller.drop();
  }
});

test("regression: RawSocket PING behind a bad frame in the same chunk is answered after the router closed", () => {
  // Shrunk (rawsocket_glue_test.ts, default seed): handshake, a message frame that does not
  // decode (ABORT, close), then a PING in the same TCP chunk: the PONG is written to the
  // closed connection. The bundled adapters drop writes after close, but the ByteConnection
  // contract does not promise that, and nothing may be sent after ABORT.
  const router = new Router({ realms: [{ name: "realm1" }], clock: new FakeClock() });
  const conn = new FakeByteConn(router);
  const hs = clientHandshake(1, 15);
  conn.handshakeSent(hs);
  const hello = new TextEncoder().encode(JSON.stringify([1, "realm1", { roles: ROLES }]));
  conn.deliver(concat([hs, encodeFrame(RAWSOCKET_FRAME_MESSAGE, hello)]));
  assert.equal(conn.messages[0]?.[0], 2, "WELCOME");
  const thrown = conn.deliver(concat([
    encodeFrame(RAWSOCKET_FRAME_MESSAGE, Uint8Array.of(0x00, 0x5b)),
    encodeFrame(RAWSOCKET_FRAME_PING, new Uint8Array(0)),
  ]));
  assert.equal(thrown, undefined);
  assert.equal(conn.closed, true);
  assert.deepEqual(conn.problems, [], "nothing is written after close");
});
