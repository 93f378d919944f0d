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
    return { id: setTimeout(fn, ms) };
  },
  clearTimer(handle) {
    clearTimeout(handle.id as ReturnType<typeof setTimeout>);
  },
};
