/**
 * Randomness for global ids (WAMP spec "IDs": global scope ids are drawn uniformly from
 * [1, 2^53]) and challenges. Tests inject a seeded source.
 * @module
 */

export interface RandomSource {
  /** Fills a new array of `n` random bytes. */
  bytes(n: number): Uint8Array;
}

/**
 * Web Crypto randomness, present in every runtime the core targets. Bytes are drawn 4 KiB at a
 * time and handed out in slices: one `getRandomValues` per id costs ~1.8 µs on Node, which a
 * publication id per PUBLISH made a hot spot.
 */
export const webRandom: RandomSource = (() => {
  const POOL = 4096;
  const pool = new Uint8Array(POOL);
  let at = POOL;
  return {
    bytes(n: number): Uint8Array {
      if (n > POOL) {
        const big = new Uint8Array(n);
        // getRandomValues fills at most 65536 bytes per call.
        for (let i = 0; i < n; i += 65536) crypto.getRandomValues(big.subarray(i, Math.min(n, i + 65536)));
        return big;
      }
      if (at + n > POOL) {
        crypto.getRandomValues(pool);
        at = 0;
      }
      const out = pool.slice(at, at + n);
      at += n;
      return out;
    },
  };
})();

const TWO_POW_53 = 2 ** 53;

/**
 * A uniform integer in [1, 2^53]. Uses 7 bytes masked to 53 bits (values 0..2^53-1) plus one,
 * which is exactly uniform over the range without rejection.
 */
export function randomId53(random: RandomSource): number {
  const b = random.bytes(7);
  // High 5 bits from b[0] (53 = 5 + 6*8), then six full bytes.
  let v = (b[0]! & 0x1f);
  for (let i = 1; i < 7; i++) v = v * 256 + b[i]!;
  const id = v + 1;
  return id > TWO_POW_53 ? TWO_POW_53 : id;
}
