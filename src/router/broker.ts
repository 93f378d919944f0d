/**
 * Publish & Subscribe for one realm (spec "Publish and Subscribe" and the Advanced Profile's
 * PubSub features). Subscriptions are shared between sessions subscribed to the same topic
 * with the same match policy, as in Crossbar and Nexus: one EVENT message then serves every
 * subscriber of a subscription and is encoded once per serializer.
 * @module
 */
import { randomId53 } from "../platform/random.ts";
import { type Args, argsValue, type Kwargs, kwargsValue } from "../serializer/encoded.ts";
import type { FrameCache } from "../session/peer.ts";
import type { Session } from "../session/session.ts";
import * as C from "../wamp/codes.ts";
import { isReservedUri, isValidUri, type MatchPolicy, isSubscribeForbidden, reservedNamespace } from "../wamp/uri_check.ts";
import * as U from "../wamp/uris.ts";
import type { Dict } from "../wamp/validate.ts";
import { EventHistory, type HistoryEvent, type HistoryTopic } from "./event_history.ts";
import type { HistoryQuery } from "./history_query.ts";
import type { KeptEvent } from "./kept_event.ts";
import { E_LIMIT_SUBSCRIPTIONS } from "./limits.ts";
import { announcesPassthru } from "./passthru.ts";
import { errorMessage, PUBLISH_FIXED, withPayload4 } from "./messages.ts";
import { matchPolicyOf, PatternIndex } from "./pattern_index.ts";
import { parsePublishOptions, publicationDetails } from "./publish_options.ts";
import type { RealmContext } from "./realm_context.ts";
import type { SubscriptionInfo } from "./realm_events.ts";
import { RetainedEvents } from "./retention.ts";
import { admits, type Receiver } from "./subscriber_filter.ts";
import { describe } from "./value_text.ts";
import { WriteQueue } from "./write_queue.ts";

export type { HistoryEvent, HistoryQuery, HistoryTopic, Receiver };

export interface BrokerOptions {
  /** Topics whose events are kept for `wamp.subscription.get_events` (spec "Event History"). */
  historyTopics?: readonly HistoryTopic[];
}

interface Subscription extends SubscriptionInfo {
  readonly subscribers: Set<Session>;
}

export class Broker {
  readonly #ctx: RealmContext;
  readonly #index = new PatternIndex<Subscription>();
  readonly #byId = new Map<number, Subscription>();
  readonly #bySession = new Map<Session, Set<Subscription>>();
  readonly #writes: WriteQueue;
  readonly #retained: RetainedEvents;
  readonly #history: EventHistory;
  #loading: Promise<void> | undefined;

  /** Throws a RangeError when `options.historyTopics` is malformed. */
  constructor(ctx: RealmContext, options: BrokerOptions = {}) {
    this.#ctx = ctx;
    this.#writes = new WriteQueue(ctx.storage, ctx.logger);
    this.#retained = new RetainedEvents(ctx, this.#writes);
    this.#history = new EventHistory(ctx, this.#writes, options.historyTopics ?? []);
  }

  /**
   * Reads retained events and event history from storage. Realm creation awaits it before
   * sessions join; calling it again returns the same promise.
   */
  load(): Promise<void> {
    this.#loading ??= Promise.all([this.#retained.load(), this.#history.load()]).then(
      () => {},
      (e: unknown) => {
        this.#loading = undefined; // a later call may retry
        throw e;
      },
    );
    return this.#loading;
  }

  /** Resolves once every storage write made so far has finished (tests, orderly shutdown). */
  flush(): Promise<void> {
    return this.#writes.flush();
  }

  // --- queries (Subscription Meta API) ---

  get subscriptionCount(): number {
    return this.#byId.size;
  }

  subscriptions(): Iterable<SubscriptionInfo> {
    return this.#byId.values();
  }

  getSubscription(id: number): SubscriptionInfo | undefined {
    return this.#byId.get(id);
  }

  lookupSubscription(uri: string, match: MatchPolicy): SubscriptionInfo | undefined {
    return this.#index.get(uri, match);
  }

  /** Every subscription a publication to `topic` reaches, of any match policy. */
  matchSubscriptions(topic: string): SubscriptionInfo[] {
    return this.#index.matches(topic);
  }

  /**
   * History of a subscription, in the shape `wamp.subscription.get_events` returns; undefined
   * when the subscription does not exist or the realm keeps no history for its (uri, match).
   * With a `requester`, authid/authrole black/white lists of each publication apply to it.
   */
  eventHistory(subscriptionId: number, query: HistoryQuery = {}, requester?: Receiver): HistoryEvent[] | undefined {
    const sub = this.#byId.get(subscriptionId);
    return sub && this.#history.query(sub.uri, sub.match, sub.id, query, requester);
  }

  // --- messages ---

  subscribe(session: Session, requestId: number, options: Dict, topic: string): void {
    const refuse = (uri: string, why: string) => session.send(errorMessage(C.SUBSCRIBE, requestId, uri, why));
    const match = matchPolicyOf(options);
    if (!match) {
      refuse(U.E_INVALID_ARGUMENT, `SUBSCRIBE.Options.match must be "exact", "prefix" or "wildcard", found ${describe(options["match"])}`);
      return;
    }
    // Subscribing in wamp.* is allowed: that is how clients hear meta events.
    if (isSubscribeForbidden(topic) && !session.internal) {
      refuse(U.E_INVALID_URI, `"${topic}" is in the reserved junction.* namespace`);
      return;
    }
    if (!isValidUri(topic, this.#ctx.uriCheck, match)) {
      refuse(U.E_INVALID_URI, `"${topic}" is not a valid ${match === "exact" ? "" : `${match} `}topic URI`);
      return;
    }
    const getRetained = options["get_retained"];
    if (getRetained !== undefined && typeof getRetained !== "boolean") {
      refuse(U.E_INVALID_ARGUMENT, `SUBSCRIBE.Options.get_retained must be a boolean, found ${describe(getRetained)}`);
      return;
    }
    let sub = this.#index.get(topic, match);
    const held = this.#bySession.get(session)?.size ?? 0;
    if (held >= this.#ctx.limits.subscriptionsPerSession && !session.internal && !sub?.subscribers.has(session)) {
      refuse(E_LIMIT_SUBSCRIPTIONS, `this session holds ${held} subscriptions, the limit`);
      return;
    }
    const created = !sub;
    if (!sub) {
      sub = { id: this.#newId(), uri: topic, match, created: this.#ctx.clock.now(), subscribers: new Set() };
      this.#index.set(topic, match, sub);
      this.#byId.set(sub.id, sub);
    }
    const added = !sub.subscribers.has(session);
    sub.subscribers.add(session);
    let mine = this.#bySession.get(session);
    if (!mine) this.#bySession.set(session, (mine = new Set()));
    mine.add(sub);
    session.send([C.SUBSCRIBED, requestId, sub.id]);
    // Spec "Subscription Meta API": on_create precedes on_subscribe. After SUBSCRIBED, so a
    // session hearing its own meta events gets them only once it knows the subscription.
    const observer = this.#ctx.observer;
    if (created) observer.subscriptionCreated(session, sub);
    if (added) observer.subscribed(session, sub);
    if (getRetained === true) this.#sendRetained(session, sub);
  }

  unsubscribe(session: Session, requestId: number, subscriptionId: number): void {
    const sub = this.#byId.get(subscriptionId);
    if (!sub || !sub.subscribers.has(session)) {
      session.send(errorMessage(
        C.UNSUBSCRIBE,
        requestId,
        U.E_NO_SUCH_SUBSCRIPTION,
        `this session holds no subscription ${subscriptionId}`,
      ));
      return;
    }
    session.send([C.UNSUBSCRIBED, requestId]);
    this.#detach(session, sub);
  }

  publish(session: Session, requestId: number, options: Dict, topic: string, args?: Args, kwargs?: Kwargs): void {
    // Spec "PUBLISH": an unacknowledged publication that fails gets no answer at all.
    const refuse = (uri: string, why: string) => {
      if (options["acknowledge"] === true) session.send(errorMessage(C.PUBLISH, requestId, uri, why));
    };
    if (!isValidUri(topic, this.#ctx.uriCheck)) {
      refuse(U.E_INVALID_URI, `"${topic}" is not a valid topic URI`);
      return;
    }
    if (isReservedUri(topic) && !session.internal) {
      refuse(U.E_INVALID_URI, `"${topic}" is in the reserved ${reservedNamespace(topic)} namespace, where only the router publishes`);
      return;
    }
    const parsed = parsePublishOptions(options);
    if ("error" in parsed) {
      refuse(U.E_INVALID_ARGUMENT, parsed.error);
      return;
    }
    const opts = parsed.options;
    // Spec "Payload Passthru Mode": PPT from a publisher that did not announce it is a protocol error.
    if (opts.ppt && !session.internal && !announcesPassthru(session, "publisher")) {
      session.protocolViolation("PUBLISH with ppt_* options from a publisher that did not announce payload_passthru_mode");
      return;
    }
    const publication = randomId53(this.#ctx.random);
    const details = publicationDetails(opts, session);
    for (const sub of this.#index.matches(topic)) {
      // Spec "Pattern-based Subscription": pattern subscribers learn the concrete topic.
      const d = sub.match === "exact" ? details : { ...details, topic };
      const event = withPayload4(C.EVENT, sub.id, publication, d, args, kwargs);
      const n = event.length - 4;
      const cache: FrameCache = new Map();
      // Subscribers with the publisher's serializer get its payload bytes as they came.
      const tail = session.inboundTail(PUBLISH_FIXED, n);
      for (const s of sub.subscribers) {
        // Spec "Publisher Exclusion" and "Subscriber Black- and Whitelisting".
        if (opts.excludeMe && s === session) continue;
        if (!admits(opts.filter, s)) continue;
        s.send(event, cache, tail);
      }
    }
    if (opts.retain || this.#history.enabled) {
      // Kept past this frame's handling: as values, not as views of the frame.
      const kept: KeptEvent = {
        publication,
        topic,
        timestamp: this.#ctx.clock.now(),
        details,
        args: argsValue(args),
        kwargs: kwargsValue(kwargs),
        filter: opts.filter,
      };
      if (opts.retain) this.#retained.set({ ...kept, publisher: session.id, excludeMe: opts.excludeMe });
      this.#history.record(kept);
    }
    if (opts.acknowledge) session.send([C.PUBLISHED, requestId, publication]);
  }

  /** Drops every subscription the session holds (it left or was killed). */
  removeSession(session: Session): void {
    const mine = this.#bySession.get(session);
    if (!mine) return;
    this.#bySession.delete(session);
    for (const sub of mine) this.#detach(session, sub);
  }

  /**
   * Revokes one session's subscription (spec "Subscription Revocation"). A subscriber that
   * announced `subscription_revocation` gets `[UNSUBSCRIBED, 0, {subscription, reason?}]`;
   * any other gets nothing (the spec forbids UNSUBSCRIBED to it). False when the session does
   * not hold that subscription.
   */
  removeSubscriber(subscriptionId: number, session: Session, reason?: string): boolean {
    const sub = this.#byId.get(subscriptionId);
    if (!sub || !sub.subscribers.has(session)) return false;
    if (session.hasFeature("subscriber", "subscription_revocation")) {
      session.send([C.UNSUBSCRIBED, 0, reason === undefined ? { subscription: sub.id } : { subscription: sub.id, reason }]);
    }
    this.#detach(session, sub);
    return true;
  }

  /** Spec "Event Retention": after SUBSCRIBED, the retained events the subscriber may see. */
  #sendRetained(session: Session, sub: Subscription): void {
    for (const ev of this.#retained.forSubscriber(sub.uri, sub.match, session)) {
      const details: Dict = { ...ev.details, retained: true };
      if (sub.match !== "exact") details["topic"] = ev.topic;
      session.send(withPayload4(C.EVENT, sub.id, ev.publication, details, ev.args, ev.kwargs));
    }
  }

  /** Removes a session from a subscription; the subscription goes with its last subscriber. */
  #detach(session: Session, sub: Subscription): void {
    sub.subscribers.delete(session);
    const mine = this.#bySession.get(session);
    if (mine?.delete(sub) && mine.size === 0) this.#bySession.delete(session);
    const observer = this.#ctx.observer;
    // Spec "Subscription Meta API": on_unsubscribe precedes on_delete.
    observer.unsubscribed(session, sub);
    if (sub.subscribers.size === 0) {
      this.#byId.delete(sub.id);
      this.#index.delete(sub.uri, sub.match);
      observer.subscriptionDeleted(session, sub);
    }
  }

  #newId(): number {
    for (;;) {
      const id = randomId53(this.#ctx.random);
      if (!this.#byId.has(id)) return id;
    }
  }
}
