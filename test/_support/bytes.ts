/**
 * Byte helpers shared by the tests.
 * @module
 */

/** The parts one after another in a new array (`total`: their summed length, when known). */
export function concat(parts: readonly Uint8Array[], total?: number): Uint8Array {
  const out = new Uint8Array(total ?? parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
