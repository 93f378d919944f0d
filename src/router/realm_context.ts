/**
 * What the parts of one realm (broker, dealer, meta API) share: the injected clock and
 * randomness, the realm's URI rules, and the observer that hears every change.
 * @module
 */
import type { Clock } from "../platform/clock.ts";
import type { Logger } from "../platform/logger.ts";
import type { RandomSource } from "../platform/random.ts";
import type { Storage } from "../platform/storage.ts";
import type { UriCheck } from "../wamp/uri_check.ts";
import type { Limits } from "./limits.ts";
import type { RealmObserver } from "./realm_events.ts";

export interface RealmContext {
  readonly realm: string;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly logger: Logger;
  readonly uriCheck: UriCheck;
  readonly storage: Storage;
  readonly limits: Limits;
  /** Replaced by the meta API when it attaches; parts read it at each event. */
  observer: RealmObserver;
}
