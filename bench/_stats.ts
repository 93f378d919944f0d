/**
 * Latency samples and small number helpers shared by the benchmarks.
 * @module
 */

/** A bounded store of latency samples in milliseconds; extra samples past `capacity` are dropped. */
export class Samples {
  readonly #values: Float64Array;
  #count = 0;

  constructor(capacity = 2_000_000) {
    this.#values = new Float64Array(capacity);
  }

  add(ms: number): void {
    if (this.#count < this.#values.length) this.#values[this.#count++] = ms;
  }

  get count(): number {
    return this.#count;
  }

  /** The q-quantile (0..1), nearest rank; NaN when empty. */
  quantile(q: number): number {
    if (this.#count === 0) return Number.NaN;
    const sorted = this.#values.subarray(0, this.#count).sort();
    const rank = Math.min(this.#count - 1, Math.max(0, Math.ceil(q * this.#count) - 1));
    return sorted[rank]!;
  }
}

/** Rounds to `digits` significant digits (keeps JSON lines short); NaN and Infinity become null. */
export function sig(n: number, digits = 3): number | null {
  if (!Number.isFinite(n)) return null;
  if (n === 0) return 0;
  return Number(n.toPrecision(digits));
}

export function round(n: number): number | null {
  return Number.isFinite(n) ? Math.round(n) : null;
}

/** The median of a non-empty list (NaN for an empty one). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
