/**
 * One backpressure policy for every adapter: report `backpressure` once a connection buffers more
 * than {@link HIGH_WATER_MARK} bytes, and tell the sink `drain` once after each such episode.
 * @module
 */
import type { SendResult } from "../../src/platform/transport.ts";

export const HIGH_WATER_MARK = 1024 * 1024;

export class DrainSignal {
  #pending = false;

  /** The result of a send that left `buffered` bytes waiting in the runtime or adapter. */
  afterSend(buffered: number): SendResult {
    if (buffered > HIGH_WATER_MARK) {
      this.#pending = true;
      return "backpressure";
    }
    return "ok";
  }

  /** True once when a reported backpressure has eased; the caller then calls `sink.drain`. */
  eased(buffered: number): boolean {
    if (!this.#pending || buffered > HIGH_WATER_MARK) return false;
    this.#pending = false;
    return true;
  }

  get pending(): boolean {
    return this.#pending;
  }
}
