/**
 * Time as the core sees it. Every timeout (HELLO timeout, call timeout, ...) goes through a
 * Clock so tests drive time by hand with a fake one.
 * @module
 */

export type TimerHandle = { readonly id: unknown };

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimer(ms: number, fn: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/** The real clock, built on the Web-standard timer globals. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    // setTimeout holds a signed 32-bit delay and fires at once for a larger one.
    return { id: setTimeout(fn, Math.min(Math.max(0, ms), 2 ** 31 - 1)) };
  },
  clearTimer(handle) {
    clearTimeout(handle.id as ReturnType<typeof setTimeout>);
  },
};
