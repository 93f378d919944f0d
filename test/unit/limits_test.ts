import assert from "node:assert/strict";
import { test } from "../_support/harness.ts";
import { FakeClock } from "../_support/fake_clock.ts";
import { SeededRandom } from "../_support/seeded_random.ts";
import { ALL_ROLES, MemoryClient } from "../_support/memory_client.ts";
import { Router } from "../../src/router/router.ts";
import type { Limits } from "../../src/router/limits.ts";

function setup(limits: Partial<Limits>) {
  const clock = new FakeClock();
  const router = new Router({ realms: [{ name: "realm1" }], clock, random: new SeededRandom(9), limits });
  const join = (options: { ping?: boolean } = {}) => {
    const c = new MemoryClient(router, "wamp.2.json", options);
    assert.equal(c.hello("realm1", { roles: ALL_ROLES })[0], 2);
    return c;
  };
  return { clock, router, join };
}

test("limits: sessions per realm", () => {
  const { join, router } = setup({ sessionsPerRealm: 2 });
  join();
  join();
  const c = new MemoryClient(router);
  c.send([1, "realm1", { roles: ALL_ROLES }]);
  const m = c.take();
  assert.equal(m[0], 3);
  assert.equal(m[2], "junction.error.limit.sessions");
  assert.match(String((m[1] as { message: string }).message), /limit of 2 sessions/);
});

test("limits: pending calls per session and registrations per session", () => {
  const { join } = setup({ pendingCallsPerSession: 2, registrationsPerSession: 2 });
  const callee = join();
  const caller = join();
  callee.request(64, {}, "p.a");
  callee.request(64, {}, "p.b");
  assert.deepEqual(callee.inbox.splice(0).map((m) => m[0]), [65, 65]);
  const r = callee.request(64, {}, "p.c");
  assert.deepEqual(callee.take().slice(0, 5), [8, 64, r, {}, "junction.error.limit.registrations"]);
  caller.request(48, {}, "p.a");
  caller.request(48, {}, "p.a");
  const r3 = caller.request(48, {}, "p.a");
  assert.deepEqual(caller.take().slice(0, 5), [8, 48, r3, {}, "junction.error.limit.pending_calls"]);
  const inv = callee.take();
  callee.send([70, inv[1], {}]);
  assert.equal(caller.take()[0], 50);
  caller.request(48, {}, "p.a");
  assert.equal(callee.inbox.length, 2, "a slot freed by a result is usable again");
});

test("limits: message rate with a token bucket; unacknowledged publishes are dropped silently", () => {
  const { join, clock } = setup({ messagesPerSecond: 10, messageBurst: 5 });
  const c = join();
  for (let i = 0; i < 5; i++) c.request(16, { acknowledge: true }, "t.x");
  assert.equal(c.inbox.splice(0).filter((m) => m[0] === 17).length, 5);
  const r = c.request(16, { acknowledge: true }, "t.x");
  assert.deepEqual(c.take().slice(0, 5), [8, 16, r, {}, "junction.error.limit.rate"]);
  c.request(16, {}, "t.x");
  assert.equal(c.inbox.length, 0);
  clock.advance(100); // one token back at 10/s
  c.request(16, { acknowledge: true }, "t.x");
  assert.equal(c.take()[0], 17);
  assert.equal(c.closed, false, "rate limiting never kills the session");
});

test("limits: a slow consumer loses events, not results, and is closed past the byte limit", () => {
  const { join } = setup({ slowConsumerBytes: 2000 });
  const slow = join();
  const pub = join();
  const callee = join();
  slow.request(32, {}, "t.news");
  slow.take();
  callee.request(64, {}, "p.echo");
  callee.take();
  slow.backpressure = true;
  pub.request(16, {}, "t.news", ["first"]); // sent, and reveals the backpressure
  pub.request(16, {}, "t.news", ["dropped"]);
  assert.deepEqual(slow.inbox.splice(0).map((m) => m[4]), [["first"]]);
  slow.request(48, {}, "p.echo");
  const inv = callee.take();
  callee.send([70, inv[1], {}, ["result"]]);
  assert.deepEqual(slow.take()[3], ["result"], "results are not dropped");
  slow.drain();
  pub.request(16, {}, "t.news", ["after drain"]);
  assert.deepEqual(slow.take()[4], ["after drain"]);
  // Backpressure again, and results keep piling up past the limit: the session is closed.
  slow.backpressure = true;
  pub.request(16, {}, "t.news", ["x"]);
  const big = "y".repeat(500);
  for (let i = 0; i < 10 && !slow.closed; i++) {
    slow.request(48, {}, "p.echo");
    callee.send([70, callee.take()[1], {}, [big]]);
  }
  assert.equal(slow.closed, true);
  const abort = slow.inbox.at(-1)!;
  assert.deepEqual([abort[0], abort[2]], [3, "junction.error.limit.slow_consumer"]);
  pub.request(48, {}, "p.echo");
  assert.equal(callee.take()[0], 68, "everyone else goes on");
});

test("limits: an idle transport is pinged and closed when the ping stays unanswered", () => {
  const { join, clock } = setup({ idlePingMs: 1000, idleCloseMs: 500 });
  const alive = join({ ping: true });
  const dead = join({ ping: true });
  const noping = join();
  // Activity is sampled by the idle sweep (every 250 ms here), so silence counts from the
  // first sweep that saw the HELLO.
  clock.advance(1250);
  assert.equal(alive.pings, 1);
  assert.equal(dead.pings, 1);
  alive.pong();
  clock.advance(600);
  assert.equal(dead.closed, true, "no answer within idleCloseMs");
  assert.equal(alive.closed, false);
  assert.equal(noping.closed, false, "transports without ping are left to their runtime");
  clock.advance(5000);
  assert.equal(alive.closed, true, "it stopped answering too");
});

test("limits: subscriptions per session", () => {
  const { join } = setup({ subscriptionsPerSession: 2 });
  const c = join();
  c.request(32, {}, "t.a");
  c.request(32, {}, "t.b");
  assert.deepEqual(c.inbox.splice(0).map((m) => m[0]), [33, 33]);
  const r = c.request(32, {}, "t.c");
  assert.deepEqual(c.take().slice(0, 5), [8, 32, r, {}, "junction.error.limit.subscriptions"]);
  c.request(32, {}, "t.a");
  assert.equal(c.take()[0], 33, "subscribing again to a held subscription is not a new one");
});

test("limits: a subscriber that stays backpressured past slowConsumerMs is closed", () => {
  const { join, clock } = setup({ slowConsumerMs: 5000, idlePingMs: 1000, idleCloseMs: 1000 });
  const slow = join();
  const pub = join();
  slow.request(32, {}, "t.news");
  slow.take();
  slow.backpressure = true;
  pub.request(16, {}, "t.news", ["first"]);
  for (let i = 0; i < 30; i++) {
    pub.request(16, {}, "t.news", [i]);
    clock.advance(250);
  }
  assert.equal(slow.closed, true, "closed although only droppable events were due");
  assert.equal(slow.inbox.at(-1)![2], "junction.error.limit.slow_consumer");
  assert.equal(pub.closed, false);
});
