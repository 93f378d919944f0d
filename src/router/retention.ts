/**
 * Retained events (spec "Event Retention"): one per topic, the last publication with
 * `retain: true`, kept whether or not anyone is subscribed. Kept in memory and written through
 * to storage under ["retained", realm, topic] so they survive a restart; the spec asks only
 * for best effort, so a failed write is logged, not reported to the publisher.
 * @module
 */
import type { RealmContext } from "./realm_context.ts";
import type { MatchPolicy } from "../wamp/uri_check.ts";
import { decodeKept, encodeKept, type KeptEvent } from "./kept_event.ts";
import { admits, type Receiver } from "./subscriber_filter.ts";
import { topicMatches } from "./topic_match.ts";
import type { WriteQueue } from "./write_queue.ts";

export interface RetainedEvent extends KeptEvent {
  /** Session id of the publisher, for `exclude_me` at delivery. */
  readonly publisher: number;
  readonly excludeMe: boolean;
}

export class RetainedEvents {
  readonly #ctx: RealmContext;
  readonly #writes: WriteQueue;
  /** By topic, in the order they were last retained (a Map keeps insertion order). */
  readonly #byTopic = new Map<string, RetainedEvent>();

  constructor(ctx: RealmContext, writes: WriteQueue) {
    this.#ctx = ctx;
    this.#writes = writes;
  }

  get size(): number {
    return this.#byTopic.size;
  }

  get(topic: string): RetainedEvent | undefined {
    return this.#byTopic.get(topic);
  }

  /** Makes `ev` the topic's retained event (last one wins). */
  set(ev: RetainedEvent): void {
    this.#byTopic.delete(ev.topic);
    this.#byTopic.set(ev.topic, ev);
    const key = ["retained", this.#ctx.realm, ev.topic];
    const bytes = encodeKept(ev, { publisher: ev.publisher, exclude_me: ev.excludeMe });
    this.#writes.enqueue(`retained event of ${ev.topic}`, (s) => s.set(key, bytes));
  }

  /**
   * The retained events a new subscription gets (spec: only events the receiver would have
   * received had it been subscribed at publication time: black/white lists and publisher
   * exclusion apply). Oldest retained first.
   */
  forSubscriber(pattern: string, match: MatchPolicy, receiver: Receiver): RetainedEvent[] {
    const out: RetainedEvent[] = [];
    for (const ev of this.#byTopic.values()) {
      if (!topicMatches(pattern, match, ev.topic)) continue;
      if (ev.excludeMe && ev.publisher === receiver.id) continue;
      if (!admits(ev.filter, receiver)) continue;
      out.push(ev);
    }
    return out;
  }

  /**
   * Reads the retained events of this realm from storage. A topic retained again in memory
   * before loading finished keeps the newer in-memory event.
   */
  async load(): Promise<void> {
    const entries = await this.#ctx.storage.list(["retained", this.#ctx.realm]);
    const loaded: RetainedEvent[] = [];
    for (const { key, value } of entries) {
      const topic = key[2];
      if (key.length !== 3 || topic === undefined || this.#byTopic.has(topic)) continue;
      const decoded = decodeKept(value);
      const publisher = decoded?.record["publisher"];
      const excludeMe = decoded?.record["exclude_me"];
      if (!decoded || decoded.event.topic !== topic || typeof publisher !== "number" || typeof excludeMe !== "boolean") {
        this.#ctx.logger.log("warn", "unreadable retained event in storage, ignored", { realm: this.#ctx.realm, topic });
        continue;
      }
      loaded.push({ ...decoded.event, publisher, excludeMe });
    }
    // Keep "oldest retained first": loaded events by time, then those retained meanwhile.
    loaded.sort((a, b) => a.timestamp - b.timestamp);
    const meanwhile = [...this.#byTopic.values()];
    this.#byTopic.clear();
    for (const ev of [...loaded, ...meanwhile]) this.#byTopic.set(ev.topic, ev);
  }
}
