/**
 * Which serializer a transport uses: WebSocket subprotocol names (WAMP §"WebSocket Transport")
 * and RawSocket handshake ids (WAMP §"RawSocket Transport"). Each subprotocol entry names its
 * framing as well as its serializer, so the batched variants (`wamp.2.json.batched`, ...: many
 * messages per WebSocket message) can be added here as entries with `framing: "batched"` without
 * changing callers that only look up serializers.
 * @module
 */

import { cborSerializer } from "./cbor.ts";
import { jsonSerializer } from "./json.ts";
import { msgpackSerializer } from "./msgpack.ts";
import type { Serializer } from "./types.ts";

/** `single`: one WAMP message per WebSocket message; `batched`: one or more (batched.ts). */
export type Framing = "single" | "batched";

export interface Subprotocol {
  readonly name: string;
  readonly serializer: Serializer;
  readonly framing: Framing;
}

/** Our order of preference (used when we list them); negotiation follows the client's order. */
const SUBPROTOCOLS: readonly Subprotocol[] = [
  { name: "wamp.2.json", serializer: jsonSerializer, framing: "single" },
  { name: "wamp.2.msgpack", serializer: msgpackSerializer, framing: "single" },
  { name: "wamp.2.cbor", serializer: cborSerializer, framing: "single" },
  { name: "wamp.2.json.batched", serializer: jsonSerializer, framing: "batched" },
  { name: "wamp.2.msgpack.batched", serializer: msgpackSerializer, framing: "batched" },
  { name: "wamp.2.cbor.batched", serializer: cborSerializer, framing: "batched" },
];

const BY_NAME: ReadonlyMap<string, Subprotocol> = new Map(SUBPROTOCOLS.map((p) => [p.name, p]));

export const SUPPORTED_SUBPROTOCOLS: readonly string[] = SUBPROTOCOLS.map((p) => p.name);

export function subprotocol(name: string): Subprotocol | undefined {
  return BY_NAME.get(name);
}

export function serializerForSubprotocol(name: string): Serializer | undefined {
  return BY_NAME.get(name)?.serializer;
}

/**
 * The first subprotocol the client offered that we support (the client lists its preference
 * first, as Crossbar also assumes), or undefined: the caller then refuses the upgrade.
 * Subprotocol tokens are case-sensitive (RFC 6455 §4.1).
 */
export function chooseSubprotocol(offered: readonly string[]): string | undefined {
  for (const raw of offered) {
    const name = raw.trim(); // tolerate "a, b" split on "," by the adapter
    if (BY_NAME.has(name)) return name;
  }
  return undefined;
}

const BY_RAWSOCKET_ID: ReadonlyMap<number, Serializer> = new Map(
  [jsonSerializer, msgpackSerializer, cborSerializer].map((s) => [s.rawSocketId, s]),
);

/** RawSocket handshake serializer ids: 1 JSON, 2 MessagePack, 3 CBOR (4 UBJSON, 5 FlatBuffers unsupported). */
export function serializerForRawSocketId(id: number): Serializer | undefined {
  return BY_RAWSOCKET_ID.get(id);
}

export function rawSocketSerializerSupported(id: number): boolean {
  return BY_RAWSOCKET_ID.has(id);
}
