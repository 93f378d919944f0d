/**
 * An in-memory Peer: the router's own sessions (the meta API) are attached to it instead of a
 * transport, as Nexus links its meta session with `transport.LinkedPeers`. Messages are handed
 * over as the arrays the core builds, without encoding.
 * @module
 */
import type { SendResult, TransportInfo } from "../platform/transport.ts";
import { decodeElements } from "../serializer/encoded.ts";
import type { SerializerName } from "../serializer/types.ts";
import type { FrameCache, Peer } from "./peer.ts";

/** Receives each outbound message. It must treat the array as read-only: fan-outs share it. */
export type LocalDelivery = (message: readonly unknown[]) => void;

export class LocalPeer implements Peer {
  readonly info: TransportInfo = { kind: "local" };
  /**
   * Nothing is encoded, but the values are exactly those JSON peers see after decoding (plain
   * arrays, dicts, strings, numbers, Uint8Array), so the peer reports "json" semantics.
   */
  readonly serializer: SerializerName = "json";
  readonly #deliver: LocalDelivery;
  readonly #onClose: (() => void) | undefined;
  #closed = false;

  constructor(deliver: LocalDelivery, onClose?: () => void) {
    this.#deliver = deliver;
    this.#onClose = onClose;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The frame cache is left alone: there is no frame, and other peers must not see our key. */
  send(message: readonly unknown[], _cache?: FrameCache): SendResult {
    if (this.#closed) return "closed";
    // Payloads still encoded are decoded here: the router's own sessions read values.
    this.#deliver(decodeElements(message));
    return "ok";
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose?.();
  }
}
