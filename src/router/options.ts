/**
 * What a Router is built from. The config file (src/config/) is parsed into these shapes;
 * applications embedding the router pass them directly.
 * @module
 */
import type { Authenticator } from "../auth/types.ts";
import type { Authorizer } from "../auth/authorizer.ts";
import type { Clock } from "../platform/clock.ts";
import type { Limits } from "./limits.ts";
import type { HistoryTopic } from "./event_history.ts";
import type { Logger } from "../platform/logger.ts";
import type { RandomSource } from "../platform/random.ts";
import type { Storage } from "../platform/storage.ts";

export interface RealmOptions {
  /** The realm URI clients name in HELLO. */
  name: string;
  /**
   * URI check for topics and procedures: "loose" (spec MUST rules, default) or "strict"
   * (components only [0-9a-z_]), WAMP spec "URIs".
   */
  uriCheck?: "loose" | "strict";
  /**
   * Enforce that client request ids are sequential (spec "IDs": session scope ids MUST start
   * at 1 and increase by 1). Off by default because several deployed clients still use random
   * request ids; Crossbar and Nexus do not enforce it either.
   */
  strictRequestIds?: boolean;
  /**
   * Whether callers may disclose themselves to callees with `disclose_me` (spec "Caller
   * Identification"); when false such a CALL gets `wamp.error.option_disallowed.disclose_me`.
   * Default true. Callees asking with `disclose_caller` are not affected.
   */
  allowDisclose?: boolean;
  /**
   * Authentication policy. Without one the realm is open: every client joins as anonymous
   * (the embedded default realm, for the quick start).
   */
  authenticator?: Authenticator;
  /** Authorization policy; without one every established session may do everything. */
  authorizer?: Authorizer;
  /**
   * Serve the meta API in this realm (default true): the `wamp.session.*` procedures and
   * events (with testaments), `wamp.registration.*` and `wamp.subscription.*`, registered and
   * published by an internal session of the router through the realm's own dealer and broker.
   */
  metaApi?: boolean;
  /**
   * Topics whose events are kept for `wamp.subscription.get_events` (spec "Event History"),
   * each with how many events to keep. Kept through the router's Storage, so a restart keeps
   * them.
   */
  history?: readonly HistoryTopic[];
}

export interface RouterOptions {
  realms?: RealmOptions[];
  /** Create a realm on demand when a HELLO names an unknown one (default false). */
  autoCreateRealms?: boolean;
  /** A transport that has not sent HELLO within this time is dropped (default 10 s). */
  helloTimeoutMs?: number;
  /**
   * Largest inbound RawSocket message in bytes (default 16 MiB, the protocol's maximum). It is
   * rounded down to a power of two from 512 B, as the handshake can only announce those.
   */
  rawSocketMaxLength?: number;
  /** `agent` announced in WELCOME. */
  agent?: string;
  /** Resource limits; unset ones take DEFAULT_LIMITS (src/router/limits.ts). */
  limits?: Partial<Limits>;
  /** Durable state (event history, retained events); default in-memory. */
  storage?: Storage;
  clock?: Clock;
  random?: RandomSource;
  logger?: Logger;
}
