/**
 * Per-session limits for routers under benchmark. The defaults (src/router/limits.ts: 10,000
 * messages/s per session, bursts of 20,000, 10,000 calls in flight) protect a production router
 * from one greedy client; a benchmark's single callee or publisher is exactly such a client, so
 * they are raised past reach. The limiter's bookkeeping still runs on every message.
 * @module
 */
import type { Limits } from "../src/router/limits.ts";

const UNREACHABLE = 1e12;

export const BENCH_LIMITS: Partial<Limits> = {
  messagesPerSecond: UNREACHABLE,
  messageBurst: UNREACHABLE,
  pendingCallsPerSession: UNREACHABLE,
};
