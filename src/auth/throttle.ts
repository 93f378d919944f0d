/**
 * Slows down password guessing. Failed attempts are counted per authid and per remote
 * address within a window (fixed, from the first failure). From `maxFailures` failures on,
 * every further attempt of that authid or from that address gets its answer (WELCOME or
 * ABORT) only after a delay that doubles with each failure, up to `maxDelayMs`; from
 * `refuseAfter` failures on, attempts are refused at HELLO until the window has passed.
 * A success clears the authid's count (not the address's: one good password does not excuse
 * an address that is trying many accounts).
 *
 * Counting per authid lets anybody slow down or lock out a known authid (the usual trade-off
 * of lockouts); `refuseAfter` can be raised to Infinity to only ever delay.
 *
 * Memory is bounded: at most `maxKeys` counters; the least recently touched goes first.
 * Time comes from the injected Clock, so tests move it by hand.
 * @module
 */
import type { Clock } from "../platform/clock.ts";

export interface ThrottleOptions {
  /** Failures within the window after which answers are delayed (default 5). */
  maxFailures?: number;
  /** Failures within the window after which attempts are refused outright (default 10). */
  refuseAfter?: number;
  /** The window, from the first counted failure (default 15 minutes). */
  windowMs?: number;
  /** Delay at `maxFailures` failures; doubles with each further failure (default 1 s). */
  baseDelayMs?: number;
  /** Cap of the delay (default 30 s). */
  maxDelayMs?: number;
  /** Most counters kept (default 10 000). */
  maxKeys?: number;
}

/** What a new attempt may do: proceed (maybe with a delayed answer) or be refused. */
export interface ThrottleGate {
  readonly refuse: boolean;
  /** Milliseconds to hold the attempt's final answer back. */
  readonly delayMs: number;
}

interface Counter {
  count: number;
  since: number;
}

export class FailureThrottle {
  readonly #clock: Clock;
  readonly #maxFailures: number;
  readonly #refuseAfter: number;
  readonly #windowMs: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #maxKeys: number;
  /** Insertion order is recency: touched entries are re-inserted at the end. */
  readonly #counters = new Map<string, Counter>();

  constructor(clock: Clock, options: ThrottleOptions = {}) {
    this.#clock = clock;
    this.#maxFailures = options.maxFailures ?? 5;
    this.#refuseAfter = options.refuseAfter ?? 10;
    this.#windowMs = options.windowMs ?? 15 * 60_000;
    this.#baseDelayMs = options.baseDelayMs ?? 1000;
    this.#maxDelayMs = options.maxDelayMs ?? 30_000;
    this.#maxKeys = Math.max(1, options.maxKeys ?? 10_000);
  }

  /** Counters currently kept (for tests and metrics). */
  get size(): number {
    return this.#counters.size;
  }

  /** Decides about a new attempt for this authid from this address. */
  gate(authid: string | undefined, address: string | undefined): ThrottleGate {
    const count = Math.max(this.#count(idKey(authid)), this.#count(addrKey(address)));
    if (count >= this.#refuseAfter) return { refuse: true, delayMs: 0 };
    if (count < this.#maxFailures) return { refuse: false, delayMs: 0 };
    const delay = this.#baseDelayMs * 2 ** Math.min(count - this.#maxFailures, 30);
    return { refuse: false, delayMs: Math.min(delay, this.#maxDelayMs) };
  }

  failure(authid: string | undefined, address: string | undefined): void {
    this.#bump(idKey(authid));
    this.#bump(addrKey(address));
  }

  success(authid: string | undefined): void {
    const key = idKey(authid);
    if (key !== undefined) this.#counters.delete(key);
  }

  /** Resolves after `ms` on the throttle's clock. */
  wait(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => this.#clock.setTimer(ms, resolve));
  }

  #live(key: string): Counter | undefined {
    const c = this.#counters.get(key);
    if (c && this.#clock.now() - c.since >= this.#windowMs) {
      this.#counters.delete(key);
      return undefined;
    }
    return c;
  }

  #count(key: string | undefined): number {
    return key === undefined ? 0 : this.#live(key)?.count ?? 0;
  }

  #bump(key: string | undefined): void {
    if (key === undefined) return;
    const c = this.#live(key) ?? { count: 0, since: this.#clock.now() };
    c.count++;
    this.#counters.delete(key);
    while (this.#counters.size >= this.#maxKeys) {
      const oldest = this.#counters.keys().next().value;
      if (oldest === undefined) break;
      this.#counters.delete(oldest);
    }
    this.#counters.set(key, c);
  }
}

/** Keys stay short whatever a client sends (a long authid shares a counter with its prefix). */
const MAX_KEY = 256;

function idKey(authid: string | undefined): string | undefined {
  if (authid === undefined || authid === "") return undefined;
  return authid.length <= MAX_KEY ? `id:${authid}` : `id:${authid.slice(0, MAX_KEY)}#${authid.length}`;
}

function addrKey(address: string | undefined): string | undefined {
  return address === undefined || address === "" ? undefined : `ip:${address.slice(0, MAX_KEY)}`;
}
