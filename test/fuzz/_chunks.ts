/**
 * Cutting a byte stream into chunks at fuzzed points, as a TCP socket may deliver it.
 * @module
 */
import fc from "fast-check";

/** Cut points as fractions (per mille) of the stream; duplicates and order do not matter. */
export const cuts: fc.Arbitrary<number[]> = fc.oneof(
  fc.array(fc.nat(1_000), { maxLength: 12 }),
  // Byte by byte, now and then: the harshest chunking.
  fc.constant<number[]>([-1]),
);

/** Byte-by-byte chunking applies to streams up to this size; longer ones are cut in 64 pieces. */
const BYTEWISE_MAX = 2_048;

export function chunk(stream: Uint8Array, at: readonly number[]): Uint8Array[] {
  if (at.length === 1 && at[0] === -1) {
    if (stream.length <= BYTEWISE_MAX) return Array.from(stream, (b) => Uint8Array.of(b));
    return chunk(stream, Array.from({ length: 63 }, (_, i) => ((i + 1) * 1_000) / 64));
  }
  const points = [...new Set(at.map((p) => Math.floor((p / 1_000) * stream.length)))]
    .filter((p) => p > 0 && p < stream.length)
    .sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, stream.length]) {
    out.push(stream.slice(from, p));
    from = p;
  }
  return out.length === 0 ? [new Uint8Array(0)] : out;
}

