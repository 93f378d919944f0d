/**
 * The benchmark's own instruments: the CPU meter's window arithmetic (bench/_cpu.ts) and the
 * minimal dealer that serves as the CPU-per-call floor (bench/_minimal_dealer.ts). A wrong
 * instrument would report figures about nothing.
 */
import assert from "node:assert/strict";
import { test } from "../_support/harness.ts";
import { type CpuReading, cpuSecondsBetween } from "../../bench/_cpu.ts";
import { MinimalDealer, type MinimalSock, minimalSerializer } from "../../bench/_minimal_dealer.ts";
import { jsonSerializer } from "../../src/serializer/json.ts";
import { msgpackSerializer } from "../../src/serializer/msgpack.ts";

const reading = (stat: number, threads?: Record<string, number>): CpuReading => ({
  statSeconds: stat,
  threads: threads ? new Map(Object.entries(threads)) : undefined,
});

test("cpu meter: live threads give the precise sum, threads started in the window count in full", () => {
  const used = cpuSecondsBetween(reading(1, { a: 0.5, b: 0.25 }), reading(1.01, { a: 0.75, b: 0.5, c: 0.125 }));
  assert.equal(used, 0.25 + 0.25 + 0.125);
});

test("cpu meter: a thread that ended in the window falls back to the stat figure, never goes negative", () => {
  // Summing the live threads would give 0.1 - 0.5 - 0.4 < 0: thread "b" took its time with it.
  const used = cpuSecondsBetween(reading(2, { a: 0.1, b: 0.4 }), reading(2.2, { a: 0.1 }));
  assert.ok(Math.abs(used - 0.2) < 1e-9);
  assert.ok(Math.abs(cpuSecondsBetween(reading(3), reading(3.5)) - 0.5) < 1e-9, "no schedstat: stat figure");
});

test("minimal dealer: a CALL reaches the callee as an INVOCATION and its YIELD the caller as a RESULT", () => {
  for (const ser of [jsonSerializer, msgpackSerializer]) {
    const dealer = new MinimalDealer();
    const toCallee: unknown[][] = [];
    const toCaller: unknown[][] = [];
    const sock = (out: unknown[][]): MinimalSock => ({
      send(data, binary) {
        assert.equal(binary, ser.binary);
        out.push(ser.decode(data) as unknown[]);
      },
    });
    const callee = sock(toCallee);
    const caller = sock(toCaller);
    dealer.calleeOpened(callee, ser);
    dealer.fromCaller(caller, ser, ser.encode([48, 7, {}, "com.example.add", [1, 2], { k: "v" }]));
    assert.equal(toCallee.length, 1);
    const [code, invocationId, , details, args, kwargs] = toCallee[0]!;
    assert.deepStrictEqual([code, details, args, kwargs], [68, {}, [1, 2], { k: "v" }]);
    dealer.fromCallee(ser, ser.encode([70, invocationId, {}, [3]]));
    assert.deepStrictEqual(toCaller, [[50, 7, {}, [3]]]);
    // A YIELD for no call in flight, and anything that is not a CALL, are dropped.
    dealer.fromCallee(ser, ser.encode([70, invocationId, {}, [3]]));
    dealer.fromCaller(caller, ser, ser.encode([16, 1, {}, "t"]));
    assert.equal(toCaller.length, 1);
    assert.equal(toCallee.length, 1);
  }
});

test("minimal dealer: the serializer comes from ?ser= in the URL, JSON by default", () => {
  assert.equal(minimalSerializer("/min-caller?ser=msgpack").name, "msgpack");
  assert.equal(minimalSerializer("/min-callee?ser=cbor").name, "cbor");
  assert.equal(minimalSerializer("/min-caller").name, "json");
  assert.equal(minimalSerializer("/min-caller?ser=nope").name, "json");
});
