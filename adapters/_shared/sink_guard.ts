/**
 * Wraps the core's sink so the adapter's promise holds however the runtime orders its events:
 * `closed()` at most once, and nothing delivered after it (some runtimes fire `error` and then
 * `close`, or deliver a last message after an abort).
 * @module
 */
import type { ConnectionSink } from "../../src/platform/transport.ts";

export class GuardedSink {
  readonly #sink: ConnectionSink;
  #closed = false;

  constructor(sink: ConnectionSink) {
    this.#sink = sink;
  }

  message(data: Uint8Array | string): void {
    if (!this.#closed) this.#sink.message(data);
  }

  drain(): void {
    if (!this.#closed) this.#sink.drain?.();
  }

  pong(): void {
    if (!this.#closed) this.#sink.pong?.();
  }

  closed(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sink.closed();
  }
}
