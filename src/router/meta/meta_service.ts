/**
 * The meta API of one realm, served by the router itself through the normal dealer and broker
 * (as Nexus does, `router/realm.go` createMetaSession): an internal session registers the
 * `wamp.*` procedures and publishes the meta events. The service is the realm's observer; it
 * passes every report on to the observer it replaced, so others can listen too.
 * @module
 */
import type { Authorizer } from "../../auth/authorizer.ts";
import { randomId53 } from "../../platform/random.ts";
import type { RealmPort, Session, SessionHost } from "../../session/session.ts";
import type { Realm } from "../realm.ts";
import type { RealmObserver, RegistrationInfo, SubscriptionInfo } from "../realm_events.ts";
import type { Permission } from "./call.ts";
import { MetaClient } from "./meta_client.ts";
import { RegistrationMeta } from "./registration_meta.ts";
import { SessionMeta } from "./session_meta.ts";
import { SubscriptionMeta } from "./subscription_meta.ts";
import { TestamentMeta } from "./testament_meta.ts";

export class MetaService implements RealmObserver {
  readonly client: MetaClient;
  readonly #next: RealmObserver;
  readonly #sessions: SessionMeta;
  readonly #testaments: TestamentMeta;
  readonly #registrations: RegistrationMeta;
  readonly #subscriptions: SubscriptionMeta;

  /**
   * Attaches the meta API to a realm whose broker and dealer already exist. The authorizer is
   * the realm's; calls of the meta procedures are checked by the realm like any CALL.
   */
  constructor(realm: Realm, authorizer?: Authorizer) {
    const may: Permission = (s, action, uri) => !authorizer || (s.auth !== undefined && authorizer.authorize(s.auth, action, uri));
    this.client = new MetaClient(internalHost(realm), realm.name);
    this.#sessions = new SessionMeta(this.client, realm);
    this.#testaments = new TestamentMeta(this.client, realm, realm.context.uriCheck, may);
    this.#registrations = new RegistrationMeta(this.client, realm.dealer, realm);
    this.#subscriptions = new SubscriptionMeta(this.client, realm.broker, realm, may);
    // Observe only after our own registrations, which the meta API does not report anyway.
    this.#next = realm.context.observer;
    realm.context.observer = this;
  }

  sessionJoined(session: Session): void {
    this.#next.sessionJoined(session);
    if (!session.internal) this.#sessions.joined(session);
  }

  sessionLeft(session: Session): void {
    this.#next.sessionLeft(session);
    if (session.internal) return;
    if (this.#sessions.isQuiet(session)) {
      this.#testaments.discard(session);
      return;
    }
    this.#testaments.leaving(session);
    this.#sessions.left(session);
  }

  subscriptionCreated(session: Session, sub: SubscriptionInfo): void {
    this.#next.subscriptionCreated(session, sub);
    this.#subscriptions.created(session, sub);
  }

  subscribed(session: Session, sub: SubscriptionInfo): void {
    this.#next.subscribed(session, sub);
    this.#subscriptions.subscribed(session, sub);
  }

  unsubscribed(session: Session, sub: SubscriptionInfo): void {
    this.#next.unsubscribed(session, sub);
    this.#subscriptions.unsubscribed(session, sub);
  }

  subscriptionDeleted(session: Session, sub: SubscriptionInfo): void {
    this.#next.subscriptionDeleted(session, sub);
    this.#subscriptions.deleted(session, sub);
  }

  registrationCreated(session: Session, reg: RegistrationInfo): void {
    this.#next.registrationCreated(session, reg);
    this.#registrations.created(session, reg);
  }

  registered(session: Session, reg: RegistrationInfo): void {
    this.#next.registered(session, reg);
    this.#registrations.registered(session, reg);
  }

  unregistered(session: Session, reg: RegistrationInfo): void {
    this.#next.unregistered(session, reg);
    this.#registrations.unregistered(session, reg);
  }

  registrationDeleted(session: Session, reg: RegistrationInfo): void {
    this.#next.registrationDeleted(session, reg);
    this.#registrations.deleted(session, reg);
  }
}

/**
 * What the internal session needs from "its router". Its id is drawn from the realm's random
 * source rather than the router's id table: it is never listed, looked up or killed by id, so
 * a clash with a client's id (odds 2^-53 per session) would change nothing.
 */
function internalHost(realm: Realm): SessionHost {
  const ctx = realm.context;
  return {
    clock: ctx.clock,
    logger: ctx.logger,
    helloTimeoutMs: 10_000,
    agent: "Junction meta API",
    limits: ctx.limits,
    realmFor: (uri) => (uri === realm.name ? internalPort(realm) : undefined),
    newSessionId: () => randomId53(ctx.random),
    forget() {},
  };
}

/**
 * The realm as its internal session joins it: without the realm's authenticator, which the
 * router's own session cannot (and need not) pass; it joins at once and synchronously, as
 * the meta client expects. Everything else goes to the realm itself.
 */
function internalPort(realm: Realm): RealmPort {
  return {
    name: realm.name,
    get sessionCount() {
      return realm.sessionCount;
    },
    authenticator: undefined,
    strictRequestIds: realm.strictRequestIds,
    roles: realm.roles,
    join: (s) => realm.join(s),
    leave: (s) => realm.leave(s),
    dispatch: (s, code, m) => realm.dispatch(s, code, m),
    isCallContinuation: (s, id) => realm.isCallContinuation(s, id),
  };
}
