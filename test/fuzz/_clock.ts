/**
 * A FakeClock that also holds the core to what real timers can do: `setTimeout` (every
 * runtime's, and what systemClock uses) takes a delay up to 2^31-1 ms; a larger one (or a
 * non-finite one) fires after 1 ms instead. A timer asked for outside that range is a finding.
 * @module
 */
import type { TimerHandle } from "../../src/platform/clock.ts";
import { FakeClock } from "../_support/fake_clock.ts";

export const MAX_TIMER_MS = 2 ** 31 - 1;

export class FuzzClock extends FakeClock {
  readonly problems: string[] = [];

  override setTimer(ms: number, fn: () => void): TimerHandle {
    if (!(ms >= 0 && ms <= MAX_TIMER_MS)) {
      this.problems.push(`the router asked for a ${ms} ms timer; setTimeout fires that after 1 ms (its limit is 2^31-1)`);
    }
    return super.setTimer(ms, fn);
  }
}
