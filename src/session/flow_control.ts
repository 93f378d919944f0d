/**
 * Per-session flow control: the inbound rate limit (a token bucket) and the outbound
 * slow-consumer state. Pure bookkeeping; the session decides what to tell the peer.
 * @module
 */
import type { Limits } from "../router/limits.ts";

export class FlowControl {
  readonly #limits: Limits;
  #tokens: number;
  #refilledAt: number;
  /** Set when the transport reported backpressure; cleared on drain. */
  #congested = false;
  /** The peer's bytesSent when backpressure began. */
  #congestedAt = 0;
  /** Clock time when backpressure began. */
  #congestedSince = 0;
  /** EVENTs not sent because the transport was backpressured. */
  droppedEvents = 0;
  /** Requests refused by the rate limit. */
  rateLimited = 0;

  constructor(limits: Limits, now: number) {
    this.#limits = limits;
    this.#tokens = limits.messageBurst;
    this.#refilledAt = now;
  }

  /** Takes one token from the bucket (refilled at limits.messagesPerSecond); false when empty. */
  admit(now: number): boolean {
    const { messagesPerSecond, messageBurst } = this.#limits;
    if (now > this.#refilledAt) {
      this.#tokens = Math.min(messageBurst, this.#tokens + ((now - this.#refilledAt) * messagesPerSecond) / 1000);
      this.#refilledAt = now;
    }
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    this.rateLimited++;
    return false;
  }

  get congested(): boolean {
    return this.#congested;
  }

  /** Bytes queued since backpressure began passed limits.slowConsumerBytes. */
  overLimit(bytesSent: number): boolean {
    return this.#congested && bytesSent - this.#congestedAt > this.#limits.slowConsumerBytes;
  }

  /** The transport reported backpressure after a send (rare: reading the clock here is fine). */
  backpressure(bytesSent: number, now: number): void {
    if (this.#congested) return;
    this.#congested = true;
    this.#congestedAt = bytesSent;
    this.#congestedSince = now;
  }

  /** Backpressured without a drain for longer than limits.slowConsumerMs. */
  stalled(now: number): boolean {
    return this.#congested && now - this.#congestedSince > this.#limits.slowConsumerMs;
  }

  drained(): void {
    this.#congested = false;
  }
}
