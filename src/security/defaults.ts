/**
 * The production choices for a realm's security: secrets derived by src/auth/derive.ts with its
 * defaults (PBKDF2 as autobahn's WAMP-CRA expects; Argon2id for WAMP-SCRAM, the parameters the
 * authenticator's mock challenges imitate, with keys for both SCRAM dialects), and
 * src/auth/policy.ts as the authentication policy, with a failure throttle per realm (authids
 * are per realm).
 * @module
 */
import { deriveSecret, scramCredential } from "../auth/derive.ts";
import { realmAuthenticator } from "../auth/policy.ts";
import { FailureThrottle } from "../auth/throttle.ts";
import type { Authenticator } from "../auth/types.ts";
import type { Clock } from "../platform/clock.ts";
import type { Logger } from "../platform/logger.ts";
import type { RandomSource } from "../platform/random.ts";
import type { CredentialStore } from "../auth/credentials.ts";
import type { SecretDeriver } from "./secrets.ts";

export function defaultDeriver(random?: RandomSource): SecretDeriver {
  const opts = random ? { random } : {};
  return {
    derive: (secret) => deriveSecret(secret, opts),
    // Keys for both SCRAM dialects (spec clients and autobahn-python's AuthScram), one salt.
    scram: (password) => scramCredential(password, "argon2id13", { ...opts, convention: "both" }),
  };
}

export function defaultAuthenticatorFor(deps: { clock: Clock; random: RandomSource; logger: Logger }): (store: CredentialStore) => Authenticator {
  return (store) =>
    realmAuthenticator(store, {
      clock: deps.clock,
      random: deps.random,
      throttle: new FailureThrottle(deps.clock),
      logger: deps.logger,
    });
}
