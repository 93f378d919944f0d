/**
 * Event history (spec "Event History"): for topics the realm configures (uri, match, limit),
 * the last `limit` publications that match, whether or not anyone was subscribed at the time
 * (the spec's "dummy subscriptions"). Kept in memory and written through to storage under
 * ["history", realm, uri, <timestamp>-<seq>] so history survives a restart; zero-padding makes
 * storage key order the order of occurrence.
 * @module
 */
import { isValidUri, type MatchPolicy } from "../wamp/uri_check.ts";
import type { Dict } from "../wamp/validate.ts";
import type { RealmContext } from "./realm_context.ts";
import { type HistoryQuery, selectHistory } from "./history_query.ts";
import { decodeKept, encodeKept, type KeptEvent } from "./kept_event.ts";
import { admits, type Receiver, usesSessionIds } from "./subscriber_filter.ts";
import { describe } from "./value_text.ts";
import { topicMatches } from "./topic_match.ts";
import type { WriteQueue } from "./write_queue.ts";

export interface HistoryTopic {
  readonly uri: string;
  readonly match: MatchPolicy;
  /** How many events to keep (the newest). */
  readonly limit: number;
}

/** One entry of the result of `wamp.subscription.get_events`, in the spec's shape. */
export interface HistoryEvent {
  /** RFC 3339 (ISO 8601, UTC). */
  readonly timestamp: string;
  readonly subscription: number;
  readonly publication: number;
  /** The EVENT.Details as the subscription got them (with `topic` for pattern subscriptions). */
  readonly details: Dict;
  readonly args?: unknown[];
  readonly kwargs?: Dict;
}

interface Entry {
  readonly stamp: string;
  readonly event: KeptEvent;
}

interface Log {
  readonly topic: HistoryTopic;
  entries: Entry[];
}

const logId = (uri: string, match: MatchPolicy) => `${match}\u0000${uri}`;

export class EventHistory {
  readonly #ctx: RealmContext;
  readonly #writes: WriteQueue;
  readonly #logs = new Map<string, Log>();
  /** Tie-breaker for events in the same millisecond; resumes past stored ones on load. */
  #seq = 0;

  /** Throws a RangeError naming the entry for a bad configuration. */
  constructor(ctx: RealmContext, writes: WriteQueue, topics: readonly HistoryTopic[]) {
    this.#ctx = ctx;
    this.#writes = writes;
    topics.forEach((t, i) => {
      const where = `historyTopics[${i}]`;
      if (t.match !== "exact" && t.match !== "prefix" && t.match !== "wildcard") {
        throw new RangeError(`${where}.match must be "exact", "prefix" or "wildcard", found ${describe(t.match)}`);
      }
      if (typeof t.uri !== "string" || !isValidUri(t.uri, ctx.uriCheck, t.match)) {
        throw new RangeError(`${where}.uri must be a valid ${t.match} topic URI, found ${describe(t.uri)}`);
      }
      if (!Number.isSafeInteger(t.limit) || t.limit < 1) {
        throw new RangeError(`${where}.limit must be a positive integer, found ${describe(t.limit)}`);
      }
      const id = logId(t.uri, t.match);
      if (this.#logs.has(id)) throw new RangeError(`${where} repeats ${t.match} topic "${t.uri}"`);
      this.#logs.set(id, { topic: { uri: t.uri, match: t.match, limit: t.limit }, entries: [] });
    });
  }

  /** Whether any topic keeps history (publications need not be kept otherwise). */
  get enabled(): boolean {
    return this.#logs.size > 0;
  }

  get topics(): HistoryTopic[] {
    return [...this.#logs.values()].map((l) => l.topic);
  }

  /** Whether history is kept for subscriptions to (uri, match). */
  has(uri: string, match: MatchPolicy): boolean {
    return this.#logs.has(logId(uri, match));
  }

  /**
   * Adds a publication to every configured log it matches. Spec "Security Aspects": events
   * published with session-id black/white lists are not stored at all, as session ids mean
   * nothing to a later requester.
   */
  record(ev: KeptEvent): void {
    if (this.#logs.size === 0 || usesSessionIds(ev.filter)) return;
    for (const log of this.#logs.values()) {
      if (!topicMatches(log.topic.uri, log.topic.match, ev.topic)) continue;
      const stamp = `${String(ev.timestamp).padStart(16, "0")}-${String(this.#seq++).padStart(10, "0")}`;
      log.entries.push({ stamp, event: ev });
      const key = ["history", this.#ctx.realm, log.topic.uri, stamp];
      const bytes = encodeKept(ev, { match: log.topic.match });
      this.#writes.enqueue(`history of ${log.topic.uri}`, (s) => s.set(key, bytes));
      this.#trim(log);
    }
  }

  /**
   * The history of a subscription to (uri, match), filtered by `query`; undefined when no
   * history is kept for it. With a `requester`, the authid/authrole lists of each original
   * publication are applied to it (spec "Security Aspects").
   */
  query(uri: string, match: MatchPolicy, subscription: number, query: HistoryQuery, requester?: Receiver): HistoryEvent[] | undefined {
    const log = this.#logs.get(logId(uri, match));
    if (!log) return undefined;
    const visible = log.entries.map((e) => e.event).filter((ev) => !requester || admits(ev.filter, requester));
    return selectHistory(visible, query).map((ev) => {
      const out: { -readonly [K in keyof HistoryEvent]: HistoryEvent[K] } = {
        timestamp: new Date(ev.timestamp).toISOString(),
        subscription,
        publication: ev.publication,
        details: match === "exact" ? { ...ev.details } : { ...ev.details, topic: ev.topic },
      };
      if (ev.args !== undefined) out.args = ev.args;
      if (ev.kwargs !== undefined) out.kwargs = ev.kwargs;
      return out;
    });
  }

  /** Reads stored history for the configured topics and merges it with what was recorded meanwhile. */
  async load(): Promise<void> {
    if (this.#logs.size === 0) return;
    const entries = await this.#ctx.storage.list(["history", this.#ctx.realm]);
    const loaded = new Map<Log, Entry[]>();
    for (const { key, value } of entries) {
      const [, , uri, stamp] = key;
      if (key.length !== 4 || uri === undefined || stamp === undefined) continue;
      const decoded = decodeKept(value);
      const match = decoded?.record["match"];
      if (!decoded || (match !== "exact" && match !== "prefix" && match !== "wildcard")) {
        this.#ctx.logger.log("warn", "unreadable history entry in storage, ignored", { realm: this.#ctx.realm, uri, stamp });
        continue;
      }
      // History of topics no longer configured stays in storage, unread, in case they return.
      const log = this.#logs.get(logId(uri, match));
      if (!log) continue;
      let list = loaded.get(log);
      if (!list) loaded.set(log, (list = []));
      list.push({ stamp, event: decoded.event });
      const seq = Number(stamp.slice(stamp.indexOf("-") + 1));
      if (Number.isSafeInteger(seq) && seq >= this.#seq) this.#seq = seq + 1;
    }
    for (const [log, list] of loaded) {
      const have = new Set(log.entries.map((e) => e.stamp));
      log.entries = [...list.filter((e) => !have.has(e.stamp)), ...log.entries]
        .sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : 0));
      this.#trim(log);
    }
  }

  /** Drops the oldest entries beyond the limit, in memory and in storage. */
  #trim(log: Log): void {
    const over = log.entries.length - log.topic.limit;
    if (over <= 0) return;
    for (const { stamp } of log.entries.splice(0, over)) {
      const key = ["history", this.#ctx.realm, log.topic.uri, stamp];
      this.#writes.enqueue(`history of ${log.topic.uri}`, (s) => s.delete(key));
    }
  }
}
