/**
 * WebSocket subprotocol negotiation shared by all adapters: parse the offers, let the core pick,
 * and build the HTTP 400 refusal when nothing fits.
 * @module
 */
import type { Acceptor } from "../../src/platform/transport.ts";
import { textResponse } from "./http.ts";

/** Splits a `Sec-WebSocket-Protocol` header (possibly repeated and joined with commas). */
export function parseSubprotocolOffers(header: string | null | undefined): string[] {
  if (!header) return [];
  return header
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function refusalText(offered: readonly string[]): string {
  const list = offered.length === 0 ? "(none)" : offered.map((p) => JSON.stringify(p)).join(", ");
  return `Unsupported WebSocket subprotocol: none of the offered subprotocols is supported; offered: ${list}\n`;
}

export function refusalResponse(offered: readonly string[]): Response {
  return textResponse(400, refusalText(offered));
}

/** For a handshake the runtime itself rejects (e.g. no Sec-WebSocket-Key). */
export function upgradeFailedResponse(): Response {
  return textResponse(400, "WebSocket upgrade failed\n");
}

export type Negotiation =
  | { readonly ok: true; readonly protocol: string }
  | { readonly ok: false; readonly offered: readonly string[] };

export function negotiateSubprotocol(
  acceptor: Acceptor,
  header: string | null | undefined,
): Negotiation {
  const offered = parseSubprotocolOffers(header);
  const protocol = offered.length === 0 ? undefined : acceptor.chooseSubprotocol(offered);
  return protocol === undefined ? { ok: false, offered } : { ok: true, protocol };
}
