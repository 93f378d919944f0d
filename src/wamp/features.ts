/**
 * The roles and Advanced Profile features the router announces in WELCOME. A feature is listed
 * here only when it works end to end and the test suite covers it (test/unit/features_test.ts
 * compares this table with the covered list).
 * @module
 */

export const BROKER_FEATURES: Readonly<Record<string, boolean>> = {
  publisher_exclusion: true,
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

export function routerRoles(): Record<string, unknown> {
  return {
    broker: { features: { ...BROKER_FEATURES } },
    dealer: { features: { ...DEALER_FEATURES } },
  };
}

/** The client roles a HELLO may announce (spec "Client: Role and Feature Announcement"). */
export const CLIENT_ROLES = ["publisher", "subscriber", "caller", "callee"] as const;
