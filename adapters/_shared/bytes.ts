/**
 * Byte normalisation: runtimes hand out `Buffer`, `ArrayBuffer` or `Uint8Array`; the core gets a
 * plain `Uint8Array` everywhere.
 * @module
 */

/** A plain `Uint8Array` view (no copy) over a Buffer, ArrayBuffer or other view. */
export function toUint8Array(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (data.constructor === Uint8Array) return data as Uint8Array;
  // Buffer is a Uint8Array subclass whose slice() shares memory; hand the core the base class.
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** UTF-8 length of a string without encoding it. */
export function utf8ByteLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}
