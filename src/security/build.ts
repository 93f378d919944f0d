/**
 * From the configuration to the router's secured realms, before the router is made: secrets
 * are derived and storage is read, which the synchronous config mapping (toRouterOptions)
 * cannot do. The CLI calls it like this:
 *
 * ```ts
 * const security = await buildSecurity(cfg, storage, { logger, clock, random });
 * const router = new Router({ ...toRouterOptions(cfg, security), storage, logger });
 * security.attach(router); // the admin API, and junction.realm.add reaching the router
 * ```
 * @module
 */
import type { Authenticator } from "../auth/types.ts";
import { isSecured, type SecuredRealms } from "../config/load.ts";
import type { JunctionConfig } from "../config/schema.ts";
import { type Clock, systemClock } from "../platform/clock.ts";
import type { Logger } from "../platform/logger.ts";
import { type RandomSource, webRandom } from "../platform/random.ts";
import type { Storage } from "../platform/storage.ts";
import type { RealmOptions } from "../router/options.ts";
import type { Router } from "../router/router.ts";
import { registerAdminApi } from "./admin_api.ts";
import { defaultAuthenticatorFor, defaultDeriver } from "./defaults.ts";
import type { RealmSecurity } from "./realm_security.ts";
import { SecurityRegistry } from "./registry.ts";
import type { SecretDeriver } from "./secrets.ts";

export interface BuildDeps {
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly random?: RandomSource;
  /** Default: src/auth/derive.ts (see defaults.ts). Tests pass cheaper parameters. */
  readonly deriver?: SecretDeriver;
  /** Default: src/auth/policy.ts realmAuthenticator with a failure throttle per realm. */
  readonly authenticatorFor?: (security: RealmSecurity) => Authenticator;
}

export interface SecuritySetup extends SecuredRealms {
  readonly registry: SecurityRegistry;
  /** The admin realm's name, when the configuration has an admin section. */
  readonly adminRealm: string | undefined;
  /** Registers the admin API in the admin realm and lets junction.realm.add add realms. */
  attach(router: Router): void;
}

/** Whether the configuration secures anything (and so needs durable storage). */
export function needsSecurity(cfg: JunctionConfig): boolean {
  return cfg.admin !== undefined || cfg.realms.some(isSecured);
}

/**
 * Loads (or seeds, the first time) the model of every secured realm of `cfg`, the admin
 * realm's, and those of realms added through the admin API in earlier runs. The clear
 * passwords of `cfg` are removed from it afterwards: only their derived keys are kept.
 */
export async function buildSecurity(cfg: JunctionConfig, storage: Storage, deps: BuildDeps): Promise<SecuritySetup> {
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? webRandom;
  const registry = new SecurityRegistry({
    storage,
    deriver: deps.deriver ?? defaultDeriver(random),
    authenticatorFor: deps.authenticatorFor ?? defaultAuthenticatorFor({ clock, random, logger: deps.logger }),
    logger: deps.logger,
  });
  for (const r of cfg.realms) {
    if (isSecured(r)) await registry.configureSecured(r.name, r.security!);
    else registry.configureOpen(r.name);
  }
  const admin = cfg.admin;
  if (admin) await registry.configureSecured(admin.realm, admin);
  const added = await registry.loadAdded();
  forgetPasswords(cfg);
  const extraRealms: RealmOptions[] = [
    ...(admin ? [{ name: admin.realm, ...registry.optionsFor(admin.realm) }] : []),
    ...added.map((name) => ({ name, ...registry.optionsFor(name) })),
  ];
  return {
    registry,
    adminRealm: admin?.realm,
    extraRealms,
    optionsFor: (name) => registry.optionsFor(name),
    attach(router) {
      registry.attach(router);
      if (!admin) return;
      const client = router.realm(admin.realm)?.meta?.client;
      if (!client) {
        deps.logger.log("error", "the admin API is not served: the admin realm has no internal session", { realm: admin.realm });
        return;
      }
      registerAdminApi(client, registry);
    },
  };
}

/** Drops the clear passwords from the configuration once they were derived (or not needed). */
function forgetPasswords(cfg: JunctionConfig): void {
  const users = [...cfg.realms.flatMap((r) => r.security?.users ?? []), ...(cfg.admin?.users ?? [])];
  for (const u of users) delete u.password;
}
