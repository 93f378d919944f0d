/**
 * Standard base64 (RFC 4648 §4, with padding) for the JSON serializer's binary convention.
 * Uses the runtime's native `Uint8Array.prototype.toBase64` / `Uint8Array.fromBase64` where they
 * exist and a table-driven fallback elsewhere (Node 24 has neither, and Node's own byte helpers
 * are off limits in the core). The fallback decoder accepts exactly what the native one accepts in its
 * default ("loose") mode, so every runtime agrees on which strings are valid.
 * @module
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Sextet value per char code; -1 invalid, -2 ASCII whitespace (skipped, as the native decoder does). */
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;
for (const c of [0x09, 0x0a, 0x0c, 0x0d, 0x20]) DECODE[c] = -2;

/** Two output chars per 12 input bits: halves the table look-ups of the fallback encoder. */
let pairs: string[] | undefined;
function pairTable(): string[] {
  if (pairs) return pairs;
  pairs = new Array<string>(4096);
  for (let i = 0; i < 4096; i++) pairs[i] = ALPHABET[i >> 6]! + ALPHABET[i & 63]!;
  return pairs;
}

export function encodeBase64Fallback(bytes: Uint8Array): string {
  const table = pairTable();
  const n = bytes.length;
  const whole = n - (n % 3);
  // Joining chunks keeps very large binaries from building one huge rope of tiny strings.
  const parts: string[] = [];
  let out = "";
  for (let i = 0; i < whole; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += table[v >> 12]! + table[v & 0xfff]!;
    if (out.length >= 8192) {
      parts.push(out);
      out = "";
    }
  }
  if (n - whole === 1) {
    const v = bytes[whole]! << 16;
    out += table[v >> 12]! + "==";
  } else if (n - whole === 2) {
    const v = (bytes[whole]! << 16) | (bytes[whole + 1]! << 8);
    out += table[v >> 12]! + ALPHABET[(v >> 6) & 63]! + "=";
  }
  parts.push(out);
  return parts.length === 1 ? out : parts.join("");
}

export function decodeBase64Fallback(text: string): Uint8Array {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let o = 0;
  let acc = 0;
  let count = 0; // sextets in the current quantum
  let i = 0;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? DECODE[c]! : -1;
    if (v === -2) continue;
    if (v === -1) {
      if (c === 0x3d /* '=' */) break;
      throw new Error("invalid base64: unexpected character at " + i);
    }
    acc = (acc << 6) | v;
    if (++count === 4) {
      out[o++] = acc >> 16;
      out[o++] = (acc >> 8) & 0xff;
      out[o++] = acc & 0xff;
      acc = 0;
      count = 0;
    }
  }
  if (i < text.length) {
    // Padding: it must complete the final quantum exactly, and only whitespace may follow.
    let pads = 0;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x3d) pads++;
      else if (!(c < 128 && DECODE[c] === -2)) throw new Error("invalid base64: data after padding");
    }
    if (count < 2 || count + pads !== 4) throw new Error("invalid base64: bad padding");
  } else if (count === 1) {
    throw new Error("invalid base64: truncated");
  }
  // A final partial quantum (padded or not) carries 1 or 2 bytes; stray low bits are ignored
  // as in the native "loose" mode.
  if (count === 2) {
    out[o++] = acc >> 4;
  } else if (count === 3) {
    out[o++] = acc >> 10;
    out[o++] = (acc >> 2) & 0xff;
  }
  return o === out.length ? out : out.slice(0, o);
}

// The ES2026 base64 methods are not in the ES2023 lib the core type-checks against.
interface NativeBase64 {
  toBase64?: (this: Uint8Array) => string;
}
interface NativeBase64Ctor {
  fromBase64?: (text: string) => Uint8Array;
}
const nativeEncode = (Uint8Array.prototype as NativeBase64).toBase64;
const nativeDecode = (Uint8Array as unknown as NativeBase64Ctor).fromBase64;

export function encodeBase64(bytes: Uint8Array): string {
  return nativeEncode ? nativeEncode.call(bytes) : encodeBase64Fallback(bytes);
}

/** Throws an `Error` on text that is not base64. */
export function decodeBase64(text: string): Uint8Array {
  if (!nativeDecode) return decodeBase64Fallback(text);
  try {
    return nativeDecode(text);
  } catch (e) {
    throw new Error("invalid base64", { cause: e });
  }
}
