/**
 * Publish & Subscribe for one realm (spec "Publish and Subscribe"). Subscriptions are shared
 * between sessions subscribed to the same topic with the same match policy, as in Crossbar and
 * Nexus: one EVENT message then serves every subscriber and is encoded once per serializer.
 * @module
 */
import { randomId53 } from "../platform/random.ts";
import type { FrameCache } from "../session/peer.ts";
import type { Session } from "../session/session.ts";
import * as C from "../wamp/codes.ts";
import { isReservedUri, isValidUri } from "../wamp/uri_check.ts";
import * as U from "../wamp/uris.ts";
import type { Dict } from "../wamp/validate.ts";
import { errorMessage, payload } from "./messages.ts";
import type { RealmContext } from "./realm_context.ts";

export interface Subscription {
  readonly id: number;
  readonly topic: string;
  readonly match: "exact";
  readonly created: number;
  readonly subscribers: Set<Session>;
}

export class Broker {
  readonly #ctx: RealmContext;
  readonly #byTopic = new Map<string, Subscription>();
  readonly #byId = new Map<number, Subscription>();
  readonly #bySession = new Map<Session, Set<Subscription>>();

  constructor(ctx: RealmContext) {
    this.#ctx = ctx;
  }

  get subscriptionCount(): number {
    return this.#byId.size;
  }

  subscribe(session: Session, requestId: number, _options: Dict, topic: string): void {
    if (!isValidUri(topic, this.#ctx.uriCheck)) {
      session.send(errorMessage(C.SUBSCRIBE, requestId, U.E_INVALID_URI, `"${topic}" is not a valid topic URI`));
      return;
    }
    let sub = this.#byTopic.get(topic);
    if (!sub) {
      sub = { id: this.#newId(), topic, match: "exact", created: this.#ctx.clock.now(), subscribers: new Set() };
      this.#byTopic.set(topic, sub);
      this.#byId.set(sub.id, sub);
    }
    sub.subscribers.add(session);
    let mine = this.#bySession.get(session);
    if (!mine) this.#bySession.set(session, (mine = new Set()));
    mine.add(sub);
    session.send([C.SUBSCRIBED, requestId, sub.id]);
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
    this.#drop(session, sub);
    this.#bySession.get(session)?.delete(sub);
    session.send([C.UNSUBSCRIBED, requestId]);
  }

  publish(session: Session, requestId: number, options: Dict, topic: string, args?: unknown[], kwargs?: Dict): void {
    const acknowledge = options["acknowledge"] === true;
    // Spec "PUBLISH": an unacknowledged publication that fails gets no answer at all.
    if (!isValidUri(topic, this.#ctx.uriCheck)) {
      if (acknowledge) {
        session.send(errorMessage(C.PUBLISH, requestId, U.E_INVALID_URI, `"${topic}" is not a valid topic URI`));
      }
      return;
    }
    if (isReservedUri(topic) && !session.internal) {
      if (acknowledge) {
        session.send(errorMessage(
          C.PUBLISH,
          requestId,
          U.E_INVALID_URI,
          `"${topic}" is in the reserved wamp.* namespace, where only the router publishes`,
        ));
      }
      return;
    }
    const publication = randomId53(this.#ctx.random);
    const sub = this.#byTopic.get(topic);
    if (sub) {
      // Spec "Publisher Exclusion": the publisher is excluded unless it says exclude_me = false.
      const excludeMe = options["exclude_me"] !== false;
      const event = [C.EVENT, sub.id, publication, {}, ...payload(args, kwargs)];
      const cache: FrameCache = new Map();
      for (const s of sub.subscribers) {
        if (excludeMe && s === session) continue;
        s.send(event, cache);
      }
    }
    if (acknowledge) session.send([C.PUBLISHED, requestId, publication]);
  }

  /** Drops every subscription the session holds (it left or was killed). */
  removeSession(session: Session): void {
    const mine = this.#bySession.get(session);
    if (!mine) return;
    this.#bySession.delete(session);
    for (const sub of mine) this.#drop(session, sub);
  }

  #drop(session: Session, sub: Subscription): void {
    sub.subscribers.delete(session);
    if (sub.subscribers.size === 0) {
      this.#byId.delete(sub.id);
      this.#byTopic.delete(sub.topic);
    }
  }

  #newId(): number {
    for (;;) {
      const id = randomId53(this.#ctx.random);
      if (!this.#byId.has(id)) return id;
    }
  }
}
