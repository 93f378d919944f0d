/**
 * The filters of `wamp.subscription.get_events` (spec "Event History", "Receiving Event
 * History"): `reverse`, `limit`, `from_time` (>=), `after_time` (>), `before_time` (<),
 * `until_time` (<=), `topic`, and `from_publication` (inclusive), `after_publication`
 * (exclusive), `before_publication` (exclusive), `until_publication` (inclusive). Filters
 * combine with AND. The meta API parses the call's ArgumentsKw with parseHistoryQuery and
 * hands the result to Broker.eventHistory.
 * @module
 */
import { type Dict, isId } from "../wamp/validate.ts";
import { describe } from "./value_text.ts";

export interface HistoryQuery {
  /** Newest first (default: order of occurrence). */
  readonly reverse?: boolean;
  /** At most this many events (a positive integer), counted after `reverse`. */
  readonly limit?: number;
  /** Times in milliseconds since the epoch (on the wire: RFC 3339 strings). */
  readonly from_time?: number;
  readonly after_time?: number;
  readonly before_time?: number;
  readonly until_time?: number;
  /** For pattern-based subscriptions: only publications to this concrete topic. */
  readonly topic?: string;
  readonly from_publication?: number;
  readonly after_publication?: number;
  readonly before_publication?: number;
  readonly until_publication?: number;
}

const TIME_KEYS = ["from_time", "after_time", "before_time", "until_time"] as const;
const PUBLICATION_KEYS = ["from_publication", "after_publication", "before_publication", "until_publication"] as const;
/** RFC 3339 date-time (section 5.6), which Date.parse reads exactly; Date.parse alone is too lenient. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Reads the ArgumentsKw of `wamp.subscription.get_events`; unknown keys are ignored. */
export function parseHistoryQuery(kwargs: Dict): { query: HistoryQuery } | { error: string } {
  const q: { -readonly [K in keyof HistoryQuery]: HistoryQuery[K] } = {};
  const reverse = kwargs["reverse"];
  if (reverse !== undefined) {
    if (typeof reverse !== "boolean") return { error: `reverse must be a boolean, found ${describe(reverse)}` };
    q.reverse = reverse;
  }
  const limit = kwargs["limit"];
  if (limit !== undefined) {
    if (!Number.isSafeInteger(limit) || (limit as number) < 1) {
      return { error: `limit must be a positive integer, found ${describe(limit)}` };
    }
    q.limit = limit as number;
  }
  for (const key of TIME_KEYS) {
    const v = kwargs[key];
    if (v === undefined) continue;
    const ms = typeof v === "string" && RFC3339.test(v) ? Date.parse(v) : NaN;
    if (Number.isNaN(ms)) return { error: `${key} must be an RFC 3339 timestamp string, found ${describe(v)}` };
    q[key] = ms;
  }
  const topic = kwargs["topic"];
  if (topic !== undefined) {
    if (typeof topic !== "string") return { error: `topic must be a URI string, found ${describe(topic)}` };
    q.topic = topic;
  }
  for (const key of PUBLICATION_KEYS) {
    const v = kwargs[key];
    if (v === undefined) continue;
    if (!isId(v)) return { error: `${key} must be a publication id, found ${describe(v)}` };
    q[key] = v;
  }
  return { query: q };
}

interface Selectable {
  readonly publication: number;
  readonly timestamp: number;
  readonly topic: string;
}

/**
 * Applies a query to events in storage order. Publication ids are random (global scope), so
 * `*_publication` filters find that publication's position; a publication not in the history
 * selects nothing, as nothing can be placed relative to it.
 */
export function selectHistory<T extends Selectable>(events: readonly T[], q: HistoryQuery): T[] {
  let lo = 0;
  let hi = events.length;
  const at = (publication: number) => events.findIndex((e) => e.publication === publication);
  for (const [key, edge] of [
    ["from_publication", 0],
    ["after_publication", 1],
    ["before_publication", 0],
    ["until_publication", 1],
  ] as const) {
    const p = q[key];
    if (p === undefined) continue;
    const i = at(p);
    if (i < 0) return [];
    if (key === "from_publication" || key === "after_publication") lo = Math.max(lo, i + edge);
    else hi = Math.min(hi, i + edge);
  }
  const out = events.slice(lo, Math.max(lo, hi)).filter((e) =>
    (q.from_time === undefined || e.timestamp >= q.from_time) &&
    (q.after_time === undefined || e.timestamp > q.after_time) &&
    (q.before_time === undefined || e.timestamp < q.before_time) &&
    (q.until_time === undefined || e.timestamp <= q.until_time) &&
    (q.topic === undefined || e.topic === q.topic)
  );
  if (q.reverse) out.reverse();
  return q.limit === undefined ? out : out.slice(0, q.limit);
}
