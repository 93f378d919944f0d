/**
 * What the micro-benchmarks work on: typical messages, and in-memory routers with clients
 * already joined (MemoryClient from the test support: no sockets, every step synchronous).
 * @module
 */
import { Router } from "../src/router/router.ts";
import { MemoryClient } from "../test/_support/memory_client.ts";
import { BENCH_LIMITS } from "./_limits.ts";

/** A typical CALL. */
export const CALL: readonly unknown[] = [48, 123, {}, "com.example.add", [1, 2, "three"], { k: "v" }];

/** An EVENT carrying 1 KiB of binary; the ids are past 2^32, as random WAMP ids mostly are. */
export const EVENT_1K: readonly unknown[] = [
  36,
  5_012_345_678_901,
  7_123_456_789_012,
  {},
  [Uint8Array.from({ length: 1024 }, (_, i) => (i * 31) & 0xff)],
];

function join(router: Router): MemoryClient {
  const c = new MemoryClient(router);
  const welcome = c.hello();
  if (welcome[0] !== 2) throw new Error(`no WELCOME: ${JSON.stringify(welcome)}`);
  return c;
}

function expect(c: MemoryClient, code: number): unknown[] {
  const m = c.take();
  if (m[0] !== code) throw new Error(`expected message ${code}, got ${JSON.stringify(m)}`);
  return m;
}

/** One caller, one callee with `com.example.add` registered; `roundTrip` is CALL..RESULT. */
export function rpcRig(): { roundTrip(): void } {
  const router = new Router({ realms: [{ name: "realm1" }], limits: BENCH_LIMITS });
  const callee = join(router);
  const caller = join(router);
  callee.request(64, {}, "com.example.add");
  expect(callee, 65);
  return {
    roundTrip() {
      caller.request(48, {}, "com.example.add", [1, 2, "three"], { k: "v" });
      const invocation = callee.take();
      callee.send([70, invocation[1], {}, [3]]);
      caller.take();
    },
  };
}

/** One publisher and `n` subscribers on one topic; `publish` is one PUBLISH and its n EVENTs. */
export function fanOutRig(n: number): { publish(): void } {
  const router = new Router({ realms: [{ name: "realm1" }], limits: BENCH_LIMITS });
  const publisher = join(router);
  const subscribers = Array.from({ length: n }, () => join(router));
  for (const s of subscribers) {
    s.request(32, {}, "com.example.tick");
    expect(s, 33);
  }
  return {
    publish() {
      publisher.request(16, {}, "com.example.tick", [1, "tick"]);
      for (const s of subscribers) s.take();
    },
  };
}

/** Checks once that the rigs do what the benchmark claims (a wrong rig would measure nothing). */
export function checkRigs(): void {
  const rpc = rpcRig();
  rpc.roundTrip();
  const fan = fanOutRig(8);
  fan.publish();
}
