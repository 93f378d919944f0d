/**
 * The few cryptographic primitives the authenticators need, on Web Crypto (present in Bun,
 * Deno, Node and Workers), plus byte helpers. Argon2id is the one primitive Web Crypto lacks
 * on some runtimes; it comes from `@noble/hashes` (pure JS) in `derive.ts`.
 * @module
 */
import { decodeBase64, encodeBase64 } from "../serializer/base64.ts";

export { decodeBase64, encodeBase64 };

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text);
}

/** A copy backed by a plain ArrayBuffer, the only kind Web Crypto accepts. */
function own(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", own(data)));
}

export async function hmacSha256(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  // Web Crypto refuses an empty HMAC key; RFC 2104 pads short keys with zeros, so one zero
  // byte is the same key.
  const k = key.length === 0 ? new Uint8Array(1) : own(key);
  const cryptoKey = await crypto.subtle.importKey("raw", k, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, own(data)));
}

/** PBKDF2 with HMAC-SHA256 (RFC 8018 §5.2), `keylen` bytes. */
export async function pbkdf2Sha256(
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  keylen: number,
): Promise<Uint8Array> {
  const base = await crypto.subtle.importKey("raw", own(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: own(salt), iterations },
    base,
    keylen * 8,
  );
  return new Uint8Array(bits);
}

/**
 * Ed25519 signature check (RFC 8032) with a raw 32-byte public key. False for malformed keys
 * or signatures instead of throwing.
 */
export async function ed25519Verify(publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): Promise<boolean> {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    const key = await crypto.subtle.importKey("raw", own(publicKey), { name: "Ed25519" }, false, ["verify"]);
    return await crypto.subtle.verify({ name: "Ed25519" }, key, own(signature), own(message));
  } catch {
    return false;
  }
}

/**
 * Compares in time that depends only on the lengths (which are not secret: they follow from
 * the algorithm), not on where the bytes differ.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Bytewise XOR of two arrays of the same length. */
export function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length !== b.length) throw new Error("xor: lengths differ");
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

const HEX = "0123456789abcdef";

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += HEX[b >> 4]! + HEX[b & 15]!;
  return out;
}

/** Decodes hex (either case); undefined for odd lengths or non-hex characters. */
export function fromHex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Base64 decoding that answers undefined instead of throwing. */
export function tryDecodeBase64(text: string): Uint8Array | undefined {
  try {
    return decodeBase64(text);
  } catch {
    return undefined;
  }
}
