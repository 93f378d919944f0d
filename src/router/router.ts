/**
 * The router: realms by name, the sessions on every transport, and the Acceptor that adapters
 * hand their connections to. State here is owned by this node; nothing is global, so several
 * routers can live in one process (tests, embedding, a future cluster node per process).
 * @module
 */
import { type Clock, systemClock, type TimerHandle } from "../platform/clock.ts";
import { type Logger, nullLogger } from "../platform/logger.ts";
import { MemoryStorage, type Storage } from "../platform/storage.ts";
import { randomId53, type RandomSource, webRandom } from "../platform/random.ts";
import type { Acceptor, ByteConnection, ConnectionSink, MessageConnection } from "../platform/transport.ts";
import { chooseSubprotocol, subprotocol } from "../serializer/registry.ts";
import { MessagePeer, messageSink } from "../session/message_peer.ts";
import { acceptRawSocket } from "../session/rawsocket_peer.ts";
import { Session, type SessionHost } from "../session/session.ts";
import * as U from "../wamp/uris.ts";
import { isValidUri } from "../wamp/uri_check.ts";
import type { RealmOptions, RouterOptions } from "./options.ts";
import { Realm } from "./realm.ts";
import { type Limits, resolveLimits } from "./limits.ts";
import { VERSION } from "../version.ts";

export class Router implements Acceptor, SessionHost {
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly logger: Logger;
  readonly storage: Storage;
  readonly helloTimeoutMs: number;
  readonly agent: string;
  readonly limits: Limits;
  readonly #autoCreate: boolean;
  readonly #rawSocketMaxLength: number;
  readonly #realms = new Map<string, Realm>();
  /** Every session on a live transport, joined or not. */
  readonly #sessions = new Set<Session>();
  /** Session ids in use (global scope, spec "IDs"), to keep random ids unique on this node. */
  readonly #sessionIds = new Set<number>();
  #closing = false;
  #sweepTimer: TimerHandle | undefined;

  constructor(options: RouterOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? webRandom;
    this.logger = options.logger ?? nullLogger;
    this.storage = options.storage ?? new MemoryStorage();
    this.helloTimeoutMs = options.helloTimeoutMs ?? 10_000;
    this.agent = options.agent ?? `Junction/${VERSION}`;
    this.limits = resolveLimits(options.limits);
    this.#autoCreate = options.autoCreateRealms ?? false;
    this.#rawSocketMaxLength = options.rawSocketMaxLength ?? 16 * 1024 * 1024;
    for (const r of options.realms ?? []) this.addRealm(r);
  }

  /** Adds a realm; throws a RangeError for an invalid or duplicate name. */
  addRealm(options: RealmOptions): Realm {
    if (!isValidUri(options.name, "loose")) throw new RangeError(`Invalid realm name: "${options.name}" is not a valid URI`);
    if (this.#realms.has(options.name)) throw new RangeError(`Duplicate realm: "${options.name}" already exists`);
    const realm = new Realm(options, this.clock, this.random, this.logger, this.storage, this.limits);
    this.#realms.set(options.name, realm);
    return realm;
  }

  /** Resolves once every realm's persisted state is loaded; start listening after it. */
  async ready(): Promise<void> {
    await Promise.all([...this.#realms.values()].map((r) => r.loaded));
  }

  realm(name: string): Realm | undefined {
    return this.#realms.get(name);
  }

  /** Sessions on live transports (joined or still before HELLO). */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  // --- Acceptor ---

  chooseSubprotocol(offered: readonly string[]): string | undefined {
    return chooseSubprotocol(offered);
  }

  acceptMessages(conn: MessageConnection): ConnectionSink {
    const proto = subprotocol(conn.protocol);
    if (!proto || this.#closing) {
      conn.close(this.#closing ? 1001 : 1002, this.#closing ? "router shutting down" : "unsupported subprotocol");
      return { message() {}, closed() {} };
    }
    const session = new Session(this, new MessagePeer(conn, proto.serializer, proto.framing));
    this.#track(session);
    return messageSink(proto.serializer, session, proto.framing);
  }

  acceptBytes(conn: ByteConnection): ConnectionSink {
    if (this.#closing) {
      conn.close();
      return { message() {}, closed() {} };
    }
    return acceptRawSocket(conn, {
      maxLength: this.#rawSocketMaxLength,
      onSession: (peer) => {
        const session = new Session(this, peer);
        this.#track(session);
        return session;
      },
      logger: this.logger,
    });
  }

  #track(session: Session): void {
    this.#sessions.add(session);
    if (!this.#sweepTimer && this.limits.idlePingMs > 0) this.#scheduleSweep();
  }

  /** One timer for all sessions' idle checks; it runs only while there are sessions. */
  #scheduleSweep(): void {
    const every = Math.max(1, Math.floor(Math.min(this.limits.idlePingMs, this.limits.idleCloseMs) / 2));
    this.#sweepTimer = this.clock.setTimer(every, () => {
      this.#sweepTimer = undefined;
      const now = this.clock.now();
      for (const s of [...this.#sessions]) s.checkIdle(now);
      if (this.#sessions.size > 0 && !this.#closing) this.#scheduleSweep();
    });
  }

  /**
   * Says GOODBYE (`wamp.close.system_shutdown`) to every session and closes transports that
   * have no session. Resolves once every transport is closed, or after `graceMs`.
   */
  shutdown(graceMs = 2_000): Promise<void> {
    this.#closing = true;
    if (this.#sweepTimer) this.clock.clearTimer(this.#sweepTimer);
    this.#sweepTimer = undefined;
    for (const s of [...this.#sessions]) {
      s.goodbye(U.CLOSE_SYSTEM_SHUTDOWN, "the router is shutting down", graceMs);
    }
    const flushed = Promise.all([...this.#realms.values()].map((r) => r.broker.flush())).then(() => {});
    if (this.#sessions.size === 0) return flushed;
    return new Promise<void>((resolve) => {
      const timer = this.clock.setTimer(graceMs + 100, () => resolve());
      this.#onEmpty = () => {
        this.clock.clearTimer(timer);
        resolve();
      };
    }).then(() => flushed);
  }

  #onEmpty: (() => void) | undefined;

  // --- SessionHost ---

  realmFor(uri: string): Realm | undefined {
    const existing = this.#realms.get(uri);
    if (existing || !this.#autoCreate) return existing;
    this.logger.log("info", "realm created on demand", { realm: uri });
    return this.addRealm({ name: uri });
  }

  newSessionId(): number {
    for (;;) {
      const id = randomId53(this.random);
      if (!this.#sessionIds.has(id)) {
        this.#sessionIds.add(id);
        return id;
      }
    }
  }

  releaseSessionId(id: number): void {
    this.#sessionIds.delete(id);
  }

  forget(session: Session): void {
    this.#sessions.delete(session);
    if (this.#sessions.size === 0 && this.#onEmpty) {
      const done = this.#onEmpty;
      this.#onEmpty = undefined;
      done();
    }
  }
}
