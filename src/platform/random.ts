/**
 * Randomness for global ids (WAMP spec "IDs": global scope ids are drawn uniformly from
 * [1, 2^53]) and challenges. Tests inject a seeded source.
 * @module
 */

export interface RandomSource {
  /** Fills a new array of `n` random bytes. */
  bytes(n: number): Uint8Array;
}

/** Web Crypto randomness, present in every runtime the core targets. */
export const webRandom: RandomSource = {
  bytes(n) {
    const out = new Uint8Array(n);
    crypto.getRandomValues(out);
    return out;
  },
};

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
