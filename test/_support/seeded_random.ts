import type { RandomSource } from "../../src/platform/random.ts";

/** Deterministic randomness (mulberry32) so unit tests replay exactly. */
export class SeededRandom implements RandomSource {
  #state: number;
  constructor(seed = 42) {
    this.#state = seed >>> 0;
  }
  #next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0);
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.#next() & 0xff;
    return out;
  }
}
