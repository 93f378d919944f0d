/**
 * Resource limits that keep one client from hurting the others. Every refusal is a WAMP error
 * or ABORT with a URI from `junction.error.limit.*` and a message naming the limit.
 * @module
 */

export interface Limits {
  /** Established sessions per realm; a HELLO beyond it gets ABORT. */
  readonly sessionsPerRealm: number;
  /** Calls a session may have in flight as caller. */
  readonly pendingCallsPerSession: number;
  /** Subscriptions a session may hold. */
  readonly subscriptionsPerSession: number;
  /** Registrations a session may hold. */
  readonly registrationsPerSession: number;
  /** Sustained inbound messages per second per session (token bucket refill rate). */
  readonly messagesPerSecond: number;
  /** Inbound messages a session may send in a burst above the sustained rate. */
  readonly messageBurst: number;
  /**
   * Bytes a session's transport may queue, once it reported backpressure, before the session
   * is closed as a slow consumer. While backpressured, events to it are dropped (and counted);
   * calls, results and errors are still sent until this limit.
   */
  readonly slowConsumerBytes: number;
  /**
   * How long a transport may stay backpressured (never draining) before the session is closed
   * as a slow consumer: a subscriber that stops reading gets only droppable events, so the
   * byte limit alone would never trip for it.
   */
  readonly slowConsumerMs: number;
  /** A transport silent for this long is pinged (RawSocket PING, WebSocket ping); 0 turns it off. */
  readonly idlePingMs: number;
  /** A pinged transport that stays silent for this long after the ping is closed. */
  readonly idleCloseMs: number;
}

export const DEFAULT_LIMITS: Limits = {
  sessionsPerRealm: 100_000,
  pendingCallsPerSession: 10_000,
  subscriptionsPerSession: 10_000,
  registrationsPerSession: 10_000,
  // High enough that one busy client on a fast machine is not refused; low enough that a
  // runaway loop cannot monopolise a router core.
  messagesPerSecond: 100_000,
  messageBurst: 200_000,
  slowConsumerBytes: 16 * 1024 * 1024,
  slowConsumerMs: 60_000,
  // Generous: a client that keeps a quiet session for minutes must not pay for a lost pong.
  idlePingMs: 60_000,
  idleCloseMs: 30_000,
};

export const E_LIMIT_SESSIONS = "junction.error.limit.sessions";
export const E_LIMIT_PENDING_CALLS = "junction.error.limit.pending_calls";
export const E_LIMIT_SUBSCRIPTIONS = "junction.error.limit.subscriptions";
export const E_LIMIT_REGISTRATIONS = "junction.error.limit.registrations";
export const E_LIMIT_RATE = "junction.error.limit.rate";
/** ABORT reason when the router itself failed on a session's message (a bug, logged). */
export const E_INTERNAL = "junction.error.internal";
/** ABORT reason for a session closed because it did not read what it was sent. */
export const E_SLOW_CONSUMER = "junction.error.limit.slow_consumer";

export function resolveLimits(partial: Partial<Limits> | undefined): Limits {
  return { ...DEFAULT_LIMITS, ...partial };
}
