/**
 * A fuzzing client wired straight to a Router's Acceptor, like test/_support/memory_client.ts
 * but built to watch the router rather than to drive a happy path: close notifications are
 * delivered synchronously (so an exception the router throws while a session leaves is caught
 * and attributed to the step that caused it), raw frames of any kind can be injected, and
 * every transport-level misstep of the router is recorded instead of thrown into it: a frame
 * that does not decode, a send after the router closed the transport, a second close.
 * @module
 */
import type { Router } from "../../src/router/router.ts";
import { splitBatch, wrapBatch } from "../../src/serializer/batched.ts";
import { serializerForSubprotocol } from "../../src/serializer/registry.ts";
import type { Serializer } from "../../src/serializer/types.ts";
import type { ConnectionSink, MessageConnection } from "../../src/platform/transport.ts";

export class FuzzConn {
  readonly id: number;
  readonly protocol: string;
  readonly ser: Serializer;
  readonly batched: boolean;
  /** Every message the router sent, decoded, in order. */
  readonly received: unknown[][] = [];
  /** Transport-level misbehaviour of the router, as readable lines. */
  readonly problems: string[] = [];
  /** The router called close(). */
  closedByRouter = false;
  /** The client dropped the transport. */
  dropped = false;
  #notified = false;
  readonly #sink: ConnectionSink;

  constructor(router: Router, protocol: string, id: number) {
    const ser = serializerForSubprotocol(protocol);
    if (!ser) throw new Error(`no serializer for ${protocol}`);
    this.id = id;
    this.protocol = protocol;
    this.ser = ser;
    this.batched = protocol.endsWith(".batched");
    const conn: MessageConnection = {
      info: { kind: "local" },
      protocol,
      send: (frame) => this.#fromRouter(frame),
      close: () => {
        if (this.closedByRouter || this.dropped) return;
        this.closedByRouter = true;
      },
    };
    this.#sink = router.acceptMessages(conn);
  }

  get open(): boolean {
    return !this.closedByRouter && !this.dropped;
  }

  #fromRouter(frame: Uint8Array | string): "ok" | "closed" {
    if (!this.open) {
      this.problems.push(`conn ${this.id}: the router sent a frame after the transport was closed`);
      return "closed";
    }
    if (this.ser.binary === (typeof frame === "string")) {
      this.problems.push(`conn ${this.id}: the router sent a ${typeof frame === "string" ? "text" : "binary"} frame on ${this.protocol}`);
    }
    const parts = this.batched ? splitBatch(this.ser.binary, frame) : [frame];
    if (typeof parts === "string") {
      this.problems.push(`conn ${this.id}: the router sent a bad batch: ${parts}`);
      return "ok";
    }
    for (const p of parts) {
      try {
        this.received.push(this.ser.decode(p) as unknown[]);
      } catch (e) {
        this.problems.push(`conn ${this.id}: the router sent an undecodable frame: ${String(e)}`);
      }
    }
    return "ok";
  }

  /** The frame this client's transport carries for one encoded message. */
  frame(encoded: Uint8Array | string): Uint8Array | string {
    return this.batched ? wrapBatch(encoded) : encoded;
  }

  /** Hands one transport message to the router; returns what it threw, if anything. */
  deliver(frame: Uint8Array | string): unknown {
    if (!this.open) return undefined; // a closed socket delivers nothing
    try {
      this.#sink.message(frame);
    } catch (e) {
      return e ?? new Error("undefined was thrown");
    }
    return undefined;
  }

  /** Reports a close (by either side) to the router once, as a real transport does. */
  settle(): unknown {
    if (this.open || this.#notified) return undefined;
    this.#notified = true;
    try {
      this.#sink.closed();
    } catch (e) {
      return e ?? new Error("undefined was thrown");
    }
    return undefined;
  }

  /** The client drops the transport. */
  drop(): unknown {
    if (!this.open) return this.settle();
    this.dropped = true;
    return this.settle();
  }
}
