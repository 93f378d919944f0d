/**
 * A realm: its sessions, its broker and its dealer. Messages of established sessions arrive
 * here already validated in shape; the realm routes them to the part that owns the state.
 * @module
 */
import type { Clock } from "../platform/clock.ts";
import type { Action, Authorizer } from "../auth/authorizer.ts";
import type { Authenticator } from "../auth/types.ts";
import type { Logger } from "../platform/logger.ts";
import type { Args, Kwargs } from "../serializer/encoded.ts";
import * as U from "../wamp/uris.ts";
import { errorMessage } from "./messages.ts";
import type { RandomSource } from "../platform/random.ts";
import type { Storage } from "../platform/storage.ts";
import type { RealmPort, Session } from "../session/session.ts";
import * as C from "../wamp/codes.ts";
import { routerRoles } from "../wamp/features.ts";
import type { Dict } from "../wamp/validate.ts";
import { Broker } from "./broker.ts";
import { Dealer } from "./dealer.ts";
import type { RealmOptions } from "./options.ts";
import { DEFAULT_LIMITS, type Limits } from "./limits.ts";
import { MetaService } from "./meta/meta_service.ts";
import type { RealmContext } from "./realm_context.ts";
import { silentObserver } from "./realm_events.ts";

export class Realm implements RealmPort {
  readonly name: string;
  readonly strictRequestIds: boolean;
  readonly authenticator: Authenticator | undefined;
  readonly #authorizer: Authorizer | undefined;
  readonly broker: Broker;
  readonly dealer: Dealer;
  /** Client sessions; the router's internal sessions (the meta API) are never in here. */
  readonly #sessions = new Map<number, Session>();

  readonly context: RealmContext;
  readonly roles: Record<string, unknown>;
  /** Settles when the realm's persisted state (retained events, history) is loaded. */
  readonly loaded: Promise<void>;
  /** The meta API (spec "Session Meta API" and friends), unless `metaApi: false`. */
  readonly meta: MetaService | undefined;

  constructor(
    options: RealmOptions,
    clock: Clock,
    random: RandomSource,
    logger: Logger,
    storage: Storage,
    limits: Limits = DEFAULT_LIMITS,
  ) {
    this.name = options.name;
    this.strictRequestIds = options.strictRequestIds ?? false;
    this.authenticator = options.authenticator;
    this.#authorizer = options.authorizer;
    this.context = {
      realm: options.name,
      clock,
      random,
      logger,
      uriCheck: options.uriCheck ?? "loose",
      storage,
      limits,
      observer: silentObserver,
    };
    this.broker = new Broker(this.context, { historyTopics: options.history ?? [] });
    this.loaded = this.broker.load().catch((e: unknown) => {
      logger.log("error", "could not load the realm's retained events and history", {
        realm: this.name,
        error: e instanceof Error ? e.message : String(e),
      });
    });
    this.dealer = new Dealer(this.context, { allowDisclose: options.allowDisclose ?? true });
    // Last: the meta session joins this realm and registers through its dealer.
    this.roles = routerRoles({ metaApi: options.metaApi ?? true });
    this.meta = (options.metaApi ?? true) ? new MetaService(this, options.authorizer) : undefined;
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  sessions(): IterableIterator<Session> {
    return this.#sessions.values();
  }

  session(id: number): Session | undefined {
    return this.#sessions.get(id);
  }

  join(session: Session): void {
    // Internal sessions are not the realm's clients: not counted, listed or reported.
    if (session.internal) return;
    this.#sessions.set(session.id, session);
    this.context.observer.sessionJoined(session);
  }

  leave(session: Session): void {
    if (session.internal) {
      this.broker.removeSession(session);
      this.dealer.removeSession(session);
      return;
    }
    if (this.#sessions.get(session.id) !== session) return;
    this.#sessions.delete(session.id);
    this.broker.removeSession(session);
    this.dealer.removeSession(session);
    this.context.observer.sessionLeft(session);
  }

  /**
   * Checks a request against the realm's authorizer; a denied request gets
   * `wamp.error.not_authorized` (when the request has an answer at all) and nothing else
   * happens. Answers from callees (YIELD, ERROR) are not requests and are not checked.
   */
  #authorized(session: Session, code: number, m: readonly unknown[]): boolean {
    let action: Action;
    let uri: string | undefined;
    switch (code) {
      case C.PUBLISH:
        [action, uri] = ["publish", m[3] as string];
        break;
      case C.SUBSCRIBE:
        [action, uri] = ["subscribe", m[3] as string];
        break;
      case C.CALL:
        [action, uri] = ["call", m[3] as string];
        break;
      case C.REGISTER:
        [action, uri] = ["register", m[3] as string];
        break;
      case C.UNSUBSCRIBE:
        [action, uri] = ["unsubscribe", this.broker.getSubscription(m[2] as number)?.uri];
        break;
      case C.UNREGISTER:
        [action, uri] = ["unregister", this.dealer.getRegistration(m[2] as number)?.uri];
        break;
      case C.CANCEL:
        [action, uri] = ["cancel", this.dealer.callProcedure(session, m[1] as number)];
        break;
      default:
        return true;
    }
    // Unknown ids fall through to the broker/dealer, which answer no_such_* as usual.
    if (uri === undefined) return true;
    if (this.#authorizer!.authorize(session.auth!, action, uri)) return true;
    // Spec "PUBLISH": an unacknowledged publication gets no answer, even when refused.
    if (code === C.PUBLISH && (m[2] as Dict)["acknowledge"] !== true) return false;
    session.send(errorMessage(code, m[1] as number, U.E_NOT_AUTHORIZED, `not authorized to ${action} "${uri}"`));
    return false;
  }

  isCallContinuation(session: Session, requestId: number): boolean {
    return this.dealer.isCallContinuation(session, requestId);
  }

  dispatch(session: Session, code: number, m: readonly unknown[]): void {
    if (this.#authorizer && !session.internal && !this.#authorized(session, code, m)) return;
    switch (code) {
      case C.PUBLISH:
        this.broker.publish(session, m[1] as number, m[2] as Dict, m[3] as string, m[4] as Args | undefined, m[5] as Kwargs | undefined);
        return;
      case C.SUBSCRIBE:
        this.broker.subscribe(session, m[1] as number, m[2] as Dict, m[3] as string);
        return;
      case C.UNSUBSCRIBE:
        this.broker.unsubscribe(session, m[1] as number, m[2] as number);
        return;
      case C.CALL:
        this.dealer.call(session, m[1] as number, m[2] as Dict, m[3] as string, m[4] as Args | undefined, m[5] as Kwargs | undefined);
        return;
      case C.CANCEL:
        this.dealer.cancel(session, m[1] as number, m[2] as Dict);
        return;
      case C.REGISTER:
        this.dealer.register(session, m[1] as number, m[2] as Dict, m[3] as string);
        return;
      case C.UNREGISTER:
        this.dealer.unregister(session, m[1] as number, m[2] as number);
        return;
      case C.YIELD:
        this.dealer.yield(session, m[1] as number, m[2] as Dict, m[3] as Args | undefined, m[4] as Kwargs | undefined);
        return;
      case C.ERROR: {
        // Spec: the only ERROR a client may send answers an INVOCATION.
        if (m[1] !== C.INVOCATION) {
          session.protocolViolation(`ERROR for request type ${String(m[1])}; a client may only send ERROR for INVOCATION (68)`);
          return;
        }
        this.dealer.error(session, m[2] as number, m[3] as Dict, m[4] as string, m[5] as Args | undefined, m[6] as Kwargs | undefined);
        return;
      }
      default:
        session.protocolViolation(`${C.messageName(code)} is not valid in an established session`);
    }
  }
}
