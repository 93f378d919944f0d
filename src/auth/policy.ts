/**
 * A realm's authentication policy over its credential store: which method runs for a HELLO,
 * how failures are answered, and throttling.
 *
 * Choice (spec "Authentication": HELLO.Details.authmethods is the client's order of
 * preference): the first offered method that the realm allows for the client's address
 * (`store.methodsFor`) and whose HELLO requirements the client met. The choice never looks
 * at the user database, so it cannot reveal whether an authid exists; the flip side is that a
 * user must hold a credential for the first usable method its client offers. A HELLO
 * without authmethods counts as `["anonymous"]` (Crossbar). Nothing usable: ABORT
 * `wamp.error.no_auth_method`.
 *
 * Refusals of credentials (unknown authid, wrong secret, disabled user, missing credential,
 * malformed answer, or an internal error) are all the same ABORT
 * `wamp.error.authentication_failed` "authentication failed", after a CHALLENGE that looks
 * the same whether or not the authid exists.
 *
 * Method names the realm may allow: "anonymous", "ticket" (static and JWT), "wampcra",
 * "cryptosign", "wamp-scram" (clients asking for "scram", Crossbar's name, are served by it
 * too).
 * @module
 */
import type { Clock } from "../platform/clock.ts";
import type { Logger } from "../platform/logger.ts";
import type { RandomSource } from "../platform/random.ts";
import { anonymousMethod } from "./anonymous.ts";
import type { CredentialStore } from "./credentials.ts";
import { cryptosignMethod } from "./cryptosign.ts";
import { AUTH_FAILED, type AuthMethod, E_AUTHENTICATION_FAILED, E_NO_AUTH_METHOD, type MethodContext } from "./method.ts";
import { scramMethod } from "./scram.ts";
import type { FailureThrottle } from "./throttle.ts";
import { ticketMethod } from "./ticket.ts";
import type { Authenticator, AuthOutcome, HelloInfo } from "./types.ts";
import { wampcraMethod } from "./wampcra.ts";

const METHODS: readonly AuthMethod[] = [anonymousMethod, ticketMethod, wampcraMethod, cryptosignMethod, scramMethod];

const BY_NAME = new Map<string, AuthMethod>(METHODS.flatMap((m) => m.names.map((n) => [n, m] as [string, AuthMethod])));

export interface RealmAuthDeps {
  readonly random: RandomSource;
  readonly clock: Clock;
  readonly throttle: FailureThrottle;
  /**
   * Key for the mock CHALLENGEs of unknown authids (at least 32 random bytes). Default: drawn
   * once from `random`. Give a persisted one to keep mock salts stable across restarts.
   */
  readonly secret?: Uint8Array;
  /** Where internal errors of a method are reported (never with secrets). */
  readonly logger?: Logger;
}

export const TOO_MANY_ATTEMPTS: AuthOutcome = Object.freeze({
  kind: "abort",
  reason: E_AUTHENTICATION_FAILED,
  message: "too many failed attempts",
});

const NO_METHOD: AuthOutcome = Object.freeze({
  kind: "abort",
  reason: E_NO_AUTH_METHOD,
  message: "none of the offered authentication methods is available",
});

/** The method the realm allows under any of its names. */
function allowedUnder(method: AuthMethod, allowed: ReadonlySet<string>): boolean {
  return method.names.some((n) => allowed.has(n));
}

export function realmAuthenticator(store: CredentialStore, deps: RealmAuthDeps): Authenticator {
  const ctx: MethodContext = {
    store,
    random: deps.random,
    clock: deps.clock,
    secret: deps.secret ?? deps.random.bytes(32),
  };
  const throttle = deps.throttle;

  function choose(info: HelloInfo): { method: AuthMethod; name: string } | undefined {
    const offered = info.authmethods.length > 0 ? info.authmethods : ["anonymous"];
    const allowed = new Set(store.methodsFor(info.transport.remoteAddress));
    for (const name of offered) {
      const method = BY_NAME.get(name);
      if (method && allowedUnder(method, allowed) && method.usable(info, ctx)) return { method, name };
    }
    return undefined;
  }

  async function run(method: AuthMethod, name: string, info: HelloInfo): Promise<AuthOutcome> {
    const authid = method.authid(info);
    const address = info.transport.remoteAddress;
    const gate = throttle.gate(authid, address);
    if (gate.refuse) return TOO_MANY_ATTEMPTS;

    const settle = async (step: Promise<AuthOutcome>): Promise<AuthOutcome> => {
      let outcome: AuthOutcome;
      try {
        outcome = await step;
      } catch (e) {
        deps.logger?.log("error", "authentication method failed", { authmethod: name, error: e instanceof Error ? e.message : String(e) });
        outcome = AUTH_FAILED;
      }
      if (outcome.kind === "challenge") {
        const next = outcome.next;
        return { ...outcome, next: (signature, extra) => settle(Promise.resolve().then(() => next(signature, extra))) };
      }
      if (outcome === AUTH_FAILED) throttle.failure(authid, address);
      else if (outcome.kind === "welcome") throttle.success(authid);
      await throttle.wait(gate.delayMs);
      return outcome;
    };
    return settle(Promise.resolve().then(() => method.start(info, name, ctx)));
  }

  return {
    hello(info) {
      const chosen = choose(info);
      return chosen ? run(chosen.method, chosen.name, info) : Promise.resolve(NO_METHOD);
    },
  };
}
