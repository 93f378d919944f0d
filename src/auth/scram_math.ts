/**
 * WAMP-SCRAM message algebra (spec "WAMP-SCRAM", "SCRAM Algorithms", after RFC 5802 §3 and
 * RFC 7677), kept free of the handshake so the spec's and RFC 7677's example values can be
 * checked directly.
 * @module
 */
import { constantTimeEqual, encodeBase64, hmacSha256, sha256, utf8, xor } from "./crypto.ts";

/** RFC 5802 §5.1 / spec "Escape": `,` → `=2C`, `=` → `=3D` (so `=` first). */
export function scramEscape(name: string): string {
  return name.replace(/=/g, "=3D").replace(/,/g, "=2C");
}

export interface AuthMessageParts {
  readonly authid: string;
  readonly clientNonce: string;
  /** client nonce + server nonce, as CHALLENGE.extra.nonce. */
  readonly combinedNonce: string;
  /** Base64 salt as sent in CHALLENGE. */
  readonly salt: string;
  readonly iterations: number;
  /** Channel binding type, or null without binding. */
  readonly cbindName: string | null;
  /** Channel binding data, or null. */
  readonly cbindData: Uint8Array | null;
}

/**
 * The spec's AuthMessage:
 * ClientFirstBare "n=" Escape(authid) ",r=" client nonce; ServerFirst "r=" nonce ",s=" salt
 * ",i=" iterations; ClientFinalNoProof "c=" Base64(CBindFlag ",," CBindData) ",r=" nonce, where
 * CBindFlag is "n" without binding and "p=" + type with it (so "c=biws" without binding).
 */
export function specAuthMessage(p: AuthMessageParts): string {
  const flag = p.cbindName === null ? "n" : `p=${p.cbindName}`;
  const head = utf8(`${flag},,`);
  const data = p.cbindData ?? new Uint8Array(0);
  const cbindInput = new Uint8Array(head.length + data.length);
  cbindInput.set(head);
  cbindInput.set(data, head.length);
  return `n=${scramEscape(p.authid)},r=${p.clientNonce},` +
    `r=${p.combinedNonce},s=${p.salt},i=${p.iterations},` +
    `c=${encodeBase64(cbindInput)},r=${p.combinedNonce}`;
}

/**
 * The AuthMessage of Crossbar and autobahn-python's `AuthScram` (authmethod "scram"): no
 * escaping, and "c=" followed by the channel binding name (empty without binding) instead of
 * the base64 GS2 header. The checklist (§4.3) records the difference.
 */
export function crossbarAuthMessage(p: AuthMessageParts): string {
  return `n=${p.authid},r=${p.clientNonce},` +
    `r=${p.combinedNonce},s=${p.salt},i=${p.iterations},` +
    `c=${p.cbindName ?? ""},r=${p.combinedNonce}`;
}

/**
 * Server-side check (spec "ClientProof"): ClientSignature = HMAC(StoredKey, AuthMessage),
 * RecoveredStoredKey = SHA256(ClientSignature XOR ClientProof) must equal StoredKey.
 */
export async function verifyClientProof(storedKey: Uint8Array, authMessage: string, clientProof: Uint8Array): Promise<boolean> {
  if (clientProof.length !== storedKey.length) return false;
  const clientSignature = await hmacSha256(storedKey, utf8(authMessage));
  return constantTimeEqual(await sha256(xor(clientSignature, clientProof)), storedKey);
}

/** ServerSignature = HMAC(ServerKey, AuthMessage) (spec "ServerSignature"). */
export function serverSignature(serverKey: Uint8Array, authMessage: string): Promise<Uint8Array> {
  return hmacSha256(serverKey, utf8(authMessage));
}

/** Client side, for clients and tests: ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage). */
export async function clientProof(clientKey: Uint8Array, storedKey: Uint8Array, authMessage: string): Promise<Uint8Array> {
  return xor(clientKey, await hmacSha256(storedKey, utf8(authMessage)));
}
