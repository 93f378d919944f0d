/**
 * What happens in a realm, as the meta API (spec "Session Meta API", "Subscription Meta API",
 * "Registration Meta API") and, later, cluster replication need to hear it. The broker, the
 * dealer and the realm report to one observer; an observer must not throw and must not
 * re-enter the reporter synchronously in a way that changes the state being reported.
 * @module
 */
import type { Session } from "../session/session.ts";
import type { MatchPolicy } from "../wamp/uri_check.ts";

export interface SubscriptionInfo {
  readonly id: number;
  readonly uri: string;
  readonly match: MatchPolicy;
  /** Milliseconds since the epoch (the meta API sends it as an ISO 8601 string). */
  readonly created: number;
  readonly subscribers: ReadonlySet<Session>;
}

export interface RegistrationInfo {
  readonly id: number;
  readonly uri: string;
  readonly match: MatchPolicy;
  /** Invocation policy: single, roundrobin, random, first, last (or partition for sharding). */
  readonly invoke: string;
  readonly created: number;
  readonly callees: readonly Session[];
}

export interface RealmObserver {
  sessionJoined(session: Session): void;
  sessionLeft(session: Session): void;
  subscriptionCreated(session: Session, sub: SubscriptionInfo): void;
  subscribed(session: Session, sub: SubscriptionInfo): void;
  unsubscribed(session: Session, sub: SubscriptionInfo): void;
  subscriptionDeleted(session: Session, sub: SubscriptionInfo): void;
  registrationCreated(session: Session, reg: RegistrationInfo): void;
  registered(session: Session, reg: RegistrationInfo): void;
  unregistered(session: Session, reg: RegistrationInfo): void;
  registrationDeleted(session: Session, reg: RegistrationInfo): void;
}

/** An observer that ignores everything (realms without a meta API, unit tests). */
export const silentObserver: RealmObserver = {
  sessionJoined() {},
  sessionLeft() {},
  subscriptionCreated() {},
  subscribed() {},
  unsubscribed() {},
  subscriptionDeleted() {},
  registrationCreated() {},
  registered() {},
  unregistered() {},
  registrationDeleted() {},
};
