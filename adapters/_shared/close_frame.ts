/**
 * Makes any `close(code, reason)` the core asks for safe to put on the wire: every runtime's
 * WebSocket throws on reserved codes (1005, 1006, 1015, ...) or on reasons over 123 bytes, and
 * `MessageConnection.close` must never throw.
 * @module
 */
import { utf8ByteLength } from "./bytes.ts";

/** Codes an endpoint may send in a close frame (RFC 6455 §7.4, registered and private ranges). */
export function isSendableCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false;
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006;
}

/** A close code the runtime will accept: invalid ones become 1000 rather than a throw. */
export function sendableCloseCode(code: number | undefined): number {
  return code !== undefined && isSendableCloseCode(code) ? code : 1000;
}

/** Truncates a close reason to the 123 UTF-8 bytes a close frame can carry, on a code point. */
export function sendableCloseReason(reason: string | undefined): string {
  if (!reason) return "";
  if (reason.length <= 41) return reason; // 41 UTF-16 units never exceed 123 UTF-8 bytes
  let out = "";
  let bytes = 0;
  for (const ch of reason) {
    const n = utf8ByteLength(ch);
    if (bytes + n > 123) break;
    out += ch;
    bytes += n;
  }
  return out;
}
