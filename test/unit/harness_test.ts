import assert from "node:assert/strict";
import { test, runtime } from "../_support/harness.ts";
import { FakeClock } from "../_support/fake_clock.ts";

test("harness runs on " + runtime + " and FakeClock fires timers in order", () => {
  const clock = new FakeClock(0);
  const fired: number[] = [];
  clock.setTimer(20, () => fired.push(20));
  const h = clock.setTimer(10, () => fired.push(10));
  clock.setTimer(5, () => fired.push(5));
  clock.clearTimer(h);
  clock.advance(30);
  assert.deepEqual(fired, [5, 20]);
  assert.equal(clock.now(), 30);
});
