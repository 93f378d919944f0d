/**
 * Subscription Meta API (spec "Subscription Meta API"): `wamp.subscription.list`, `lookup`,
 * `match`, `get`, `list_subscribers`, `count_subscribers`, Crossbar's `remove_subscriber`, the
 * events `on_create`, `on_subscribe`, `on_unsubscribe`, `on_delete`, and `get_events` (spec
 * "Event History").
 * @module
 */
import type { Session } from "../../session/session.ts";
import type { MatchPolicy } from "../../wamp/uri_check.ts";
import * as U from "../../wamp/uris.ts";
import type { Dict } from "../../wamp/validate.ts";
import type { HistoryEvent } from "../event_history.ts";
import { type HistoryQuery, parseHistoryQuery } from "../history_query.ts";
import type { SubscriptionInfo } from "../realm_events.ts";
import type { Receiver } from "../subscriber_filter.ts";
import {
  bind,
  callerOf,
  E_NO_SUCH_SESSION,
  idParam,
  invalidArgument,
  isoTime,
  idsByMatch,
  isShown,
  lookupParams,
  MetaError,
  optionalReasonParam,
  type Permission,
  stringParam,
} from "./call.ts";
import type { MetaClient } from "./meta_client.ts";
import type { SessionDirectory } from "./session_meta.ts";

/** What the broker answers about its subscriptions. */
export interface SubscriptionQueries {
  subscriptions(): Iterable<SubscriptionInfo>;
  getSubscription(id: number): SubscriptionInfo | undefined;
  lookupSubscription(uri: string, match: MatchPolicy): SubscriptionInfo | undefined;
  /** Every subscription an event on `topic` goes to, whatever its match policy. */
  matchSubscriptions(topic: string): Iterable<SubscriptionInfo>;
  /** Detaches a subscriber (spec "Subscription Revocation"); false when it was not attached. */
  removeSubscriber(subscriptionId: number, session: Session, reason?: string): boolean;
  /**
   * Spec "Event History": the kept events of a subscription, filtered by the query and, for the
   * requester, by each publication's authid/authrole lists; undefined when the subscription
   * does not exist or no history is kept for it.
   */
  eventHistory(subscriptionId: number, query: HistoryQuery, requester: Receiver): HistoryEvent[] | undefined;
}

/**
 * No history is kept for the subscription. The spec names no error; this is Crossbar's
 * (`wamp.error.history_unavailable`).
 */
const E_HISTORY_UNAVAILABLE = "wamp.error.history_unavailable";

/** SubscriptionDetails (spec "wamp.subscription.get"). */
export function subscriptionDetails(s: SubscriptionInfo): Dict {
  return { id: s.id, created: isoTime(s.created), uri: s.uri, match: s.match };
}

export class SubscriptionMeta {
  readonly #client: MetaClient;

  constructor(client: MetaClient, broker: SubscriptionQueries, realm: SessionDirectory, may: Permission) {
    this.#client = client;
    const shown = (s: SubscriptionInfo | undefined) => s !== undefined && isShown(s.uri) ? s : undefined;
    const get = (p: Map<string, unknown>): SubscriptionInfo => {
      const id = idParam(p, "subscription_id");
      const s = shown(broker.getSubscription(id));
      if (!s) throw new MetaError(U.E_NO_SUCH_SUBSCRIPTION, `no subscription ${id} in this realm`);
      return s;
    };
    client.register("wamp.subscription.list", (c) => {
      bind(c, []);
      return { args: [idsByMatch(broker.subscriptions())] };
    });
    client.register("wamp.subscription.lookup", (c) => {
      const { uri, match } = lookupParams(c, "topic");
      return { args: [shown(broker.lookupSubscription(uri, match))?.id ?? null] };
    });
    // Spec "wamp.subscription.match": "A list of all matching subscription IDs, or null".
    client.register("wamp.subscription.match", (c) => {
      const uri = stringParam(bind(c, ["topic"], 1), "topic");
      const ids = [...broker.matchSubscriptions(uri)].filter((s) => isShown(s.uri)).map((s) => s.id);
      return { args: [ids.length > 0 ? ids : null] };
    });
    client.register("wamp.subscription.get", (c) => ({ args: [subscriptionDetails(get(bind(c, ["subscription_id"], 1)))] }));
    client.register("wamp.subscription.list_subscribers", (c) => ({
      args: [[...get(bind(c, ["subscription_id"], 1)).subscribers].map((s) => s.id)],
    }));
    client.register("wamp.subscription.count_subscribers", (c) => ({
      args: [get(bind(c, ["subscription_id"], 1)).subscribers.size],
    }));
    // Crossbar's `wamp.subscription.remove_subscriber(subscription_id, subscriber_id,
    // reason=None)`; the broker sends UNSUBSCRIBED to subscribers that announced
    // subscription_revocation (spec "Subscription Revocation").
    client.register("wamp.subscription.remove_subscriber", (c) => {
      const p = bind(c, ["subscription_id", "subscriber_id", "reason"], 2);
      const sub = get(p);
      const subscriberId = idParam(p, "subscriber_id");
      const reason = optionalReasonParam(p);
      const subscriber = realm.session(subscriberId);
      if (!subscriber || !sub.subscribers.has(subscriber) || !broker.removeSubscriber(sub.id, subscriber, reason)) {
        throw new MetaError(E_NO_SUCH_SESSION, `session ${subscriberId} is not a subscriber of subscription ${sub.id}`);
      }
    });
    // Spec "Event History": `[subscription|id]` and the filters as keyword arguments (unknown
    // keys are ignored). The caller's authid/authrole decide which publications it may see,
    // and only a caller allowed to subscribe to the topic may read its history ("Security
    // Aspects").
    client.register("wamp.subscription.get_events", (c) => {
      const sub = get(bind({ ...c, kwargs: {} }, ["subscription_id"], 1));
      const parsed = parseHistoryQuery(c.kwargs);
      if ("error" in parsed) throw invalidArgument(parsed.error);
      const requester = realm.session(callerOf(c));
      if (!requester) throw new MetaError(E_NO_SUCH_SESSION, "the calling session has left");
      if (!may(requester, "subscribe", sub.uri)) {
        throw new MetaError(U.E_NOT_AUTHORIZED, `not authorized to subscribe to "${sub.uri}", so not to read its history`);
      }
      const events = broker.eventHistory(sub.id, parsed.query, requester);
      if (!events) {
        throw new MetaError(E_HISTORY_UNAVAILABLE, `no event history is kept for subscription ${sub.id} ("${sub.uri}", ${sub.match})`);
      }
      return { args: events };
    });
  }

  created(session: Session, sub: SubscriptionInfo): void {
    if (isShown(sub.uri)) this.#client.publish("wamp.subscription.on_create", [session.id, subscriptionDetails(sub)]);
  }

  subscribed(session: Session, sub: SubscriptionInfo): void {
    if (isShown(sub.uri)) this.#client.publish("wamp.subscription.on_subscribe", [session.id, sub.id]);
  }

  unsubscribed(session: Session, sub: SubscriptionInfo): void {
    if (isShown(sub.uri)) this.#client.publish("wamp.subscription.on_unsubscribe", [session.id, sub.id]);
  }

  deleted(session: Session, sub: SubscriptionInfo): void {
    if (isShown(sub.uri)) this.#client.publish("wamp.subscription.on_delete", [session.id, sub.id]);
  }
}
