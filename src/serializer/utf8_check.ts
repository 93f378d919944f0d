/**
 * Whether a byte range is well-formed UTF-8. The MessagePack and CBOR decoders accept broken
 * UTF-8 in strings (they substitute U+FFFD), and a re-encoded payload reached peers repaired;
 * a payload forwarded as received (types.ts `RawTail`) must not carry broken text to a strict
 * peer instead, so its strings are checked here.
 * @module
 */

const strict = new TextDecoder("utf-8", { fatal: true });

export function isWellFormedUtf8(b: Uint8Array, start: number, end: number): boolean {
  // ASCII, the common case, needs no decoder.
  let i = start;
  while (i < end && b[i]! < 0x80) i++;
  if (i === end) return true;
  try {
    strict.decode(b.subarray(i, end));
    return true;
  } catch {
    return false;
  }
}
