/**
 * The roles and Advanced Profile features the router announces in WELCOME. A feature is listed
 * here only when it works end to end and the test suite covers it (test/unit/features_test.ts
 * compares this table with the covered list).
 * @module
 */

export const BROKER_FEATURES: Readonly<Record<string, boolean>> = {
  publisher_exclusion: true,
  publisher_identification: true,
  subscriber_blackwhite_listing: true,
  pattern_based_subscription: true,
  event_retention: true,
  subscription_revocation: true,
  payload_passthru_mode: true,
};

export const DEALER_FEATURES: Readonly<Record<string, boolean>> = {
  progressive_call_results: true,
  progressive_call_invocations: true,
  call_timeout: true,
  call_canceling: true,
  caller_identification: true,
  pattern_based_registration: true,
  shared_registration: true,
  sharded_registration: true,
  registration_revocation: true,
  payload_passthru_mode: true,
};

/**
 * The meta API flags (src/router/meta/), each on the role its spec section names: the Session
 * Meta API on both broker and dealer ("MUST be announced by both"), the Registration Meta API
 * and testaments (`testament_meta_api`) on the dealer, the Subscription Meta API on the broker.
 * `event_history` is here too: the broker keeps history for the topics a realm configures, and
 * the meta procedure `wamp.subscription.get_events` is what serves it.
 */
export const META_FEATURES: Readonly<{ broker: Readonly<Record<string, boolean>>; dealer: Readonly<Record<string, boolean>> }> = {
  broker: { session_meta_api: true, subscription_meta_api: true, event_history: true },
  dealer: { session_meta_api: true, registration_meta_api: true, testament_meta_api: true },
};

/** The roles of WELCOME.Details; `metaApi: false` for a realm that serves no meta API. */
export function routerRoles(options: { metaApi?: boolean } = {}): Record<string, unknown> {
  const meta = options.metaApi ?? true;
  return {
    broker: { features: { ...BROKER_FEATURES, ...(meta ? META_FEATURES.broker : {}) } },
    dealer: { features: { ...DEALER_FEATURES, ...(meta ? META_FEATURES.dealer : {}) } },
  };
}

/** The client roles a HELLO may announce (spec "Client: Role and Feature Announcement"). */
export const CLIENT_ROLES = ["publisher", "subscriber", "caller", "callee"] as const;
