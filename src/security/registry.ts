/**
 * The security of every secured realm on the router: the realms from the configuration, the
 * admin realm, and realms added at run time through the admin API (which are found again in
 * storage at the next start). The admin API reaches realms through here.
 *
 * A realm's RealmSecurity object lives as long as the router: the router's realm holds it as
 * its authenticator's store and as its authorizer. Deleting a realm drops its model (nothing is
 * allowed any more) and closes its sessions; adding it again seeds an empty model into the
 * same object.
 * @module
 */
import type { JwtTicketSettings } from "../auth/credentials.ts";
import type { Authenticator } from "../auth/types.ts";
import type { Logger } from "../platform/logger.ts";
import type { Storage } from "../platform/storage.ts";
import type { RealmOptions } from "../router/options.ts";
import * as U from "../wamp/uris.ts";
import { isValidUri } from "../wamp/uri_check.ts";
import { E_ALREADY_EXISTS, E_NO_SUCH_REALM, E_NOT_ALLOWED, invalid, SecurityError } from "./errors.ts";
import { emptySnapshot, type RealmOrigin } from "./model.ts";
import { RealmSecurity } from "./realm_security.ts";
import type { SecretDeriver } from "./secrets.ts";
import { loadOrSeed, type SecuritySection } from "./seed.ts";
import { SecurityStore } from "./store.ts";

export interface RegistryDeps {
  readonly storage: Storage;
  readonly deriver: SecretDeriver;
  /** The realm's authentication policy over its store (src/auth/policy.ts realmAuthenticator). */
  authenticatorFor(security: RealmSecurity): Authenticator;
  readonly logger: Logger;
}

/** What the registry needs from the router: find and add realms, close a realm's sessions. */
export interface RealmHost {
  realm(name: string):
    | { sessions(): Iterable<{ readonly auth?: { readonly authid: string }; goodbye(reason: string, message?: string): void }> }
    | undefined;
  addRealm(options: RealmOptions): unknown;
}

/** What junction.realm.list/get show of a realm. */
export interface RealmInfo {
  name: string;
  secured: boolean;
  /** "config": defined in the configuration file; "admin": added through the admin API. */
  origin: RealmOrigin;
  users?: number;
  groups?: number;
  grants?: number;
  sources?: number;
  /** JWT settings without the secret. */
  jwt?: { algorithm: string; issuer?: string; audience?: string; roleClaim?: string };
  anonymous?: { role: string };
}

/** Settings a realm added at run time may have. */
export interface NewRealmSettings {
  readonly jwt?: JwtTicketSettings;
  readonly anonymous?: { readonly role: string };
}

interface Managed {
  readonly security: RealmSecurity;
  readonly authenticator: Authenticator;
}

export class SecurityRegistry {
  readonly #deps: RegistryDeps;
  /** Every realm whose security is managed here (dropped ones included, see the module comment). */
  readonly #managed = new Map<string, Managed>();
  /** Realms of the configuration file (the admin realm too) -> secured or open. */
  readonly #configured = new Map<string, boolean>();
  #host: RealmHost | undefined;

  constructor(deps: RegistryDeps) {
    this.#deps = deps;
  }

  /** Declares an open realm of the configuration (listed, never managed). */
  configureOpen(name: string): void {
    this.#configured.set(name, false);
  }

  /** Declares a secured realm of the configuration and loads or seeds its model. */
  async configureSecured(name: string, section: SecuritySection): Promise<RealmSecurity> {
    this.#configured.set(name, true);
    const m = this.#manage(name);
    await loadOrSeed(m.security, "config", section, this.#deps.deriver, this.#deps.logger);
    return m.security;
  }

  /**
   * Loads the realms added through the admin API in an earlier run. Stored models of realms
   * that were configured once and are no longer are left alone (and reported).
   * @returns the names of the realms loaded
   */
  async loadAdded(): Promise<string[]> {
    const loaded: string[] = [];
    for (const settings of await SecurityStore.realms(this.#deps.storage)) {
      const configured = this.#configured.get(settings.name);
      if (configured === false) {
        this.#deps.logger.log("warn", "a stored security model is not used: the configuration makes its realm open", {
          realm: settings.name,
        });
      }
      if (configured !== undefined) continue;
      if (settings.origin !== "admin") {
        this.#deps.logger.log("warn", "a stored security model is not used: its realm is no longer in the configuration", {
          realm: settings.name,
        });
        continue;
      }
      const m = this.#manage(settings.name);
      if (await m.security.load()) loaded.push(settings.name);
    }
    return loaded;
  }

  /** Authenticator and authorizer for a managed realm. */
  optionsFor(name: string): Pick<RealmOptions, "authenticator" | "authorizer"> | undefined {
    const m = this.#managed.get(name);
    return m ? { authenticator: m.authenticator, authorizer: m.security } : undefined;
  }

  /** Lets the registry add realms to, and close sessions on, the router. */
  attach(host: RealmHost): void {
    this.#host = host;
  }
  /**
   * Ends the sessions of a user who was deleted or disabled (GOODBYE `wamp.close.killed`): a
   * revoked identity keeps no session. Returns how many were closed.
   */
  closeUserSessions(realm: string, authid: string): number {
    let closed = 0;
    for (const s of [...(this.#host?.realm(realm)?.sessions() ?? [])]) {
      if (s.auth?.authid !== authid) continue;
      s.goodbye(U.CLOSE_KILLED, "the user was deleted or disabled");
      closed++;
    }
    return closed;
  }


  // --- what the admin API uses ---

  list(): RealmInfo[] {
    const names = new Set([...this.#configured.keys(), ...[...this.#managed].filter(([, m]) => m.security.active).map(([n]) => n)]);
    return [...names].sort().map((n) => this.info(n));
  }

  info(name: string): RealmInfo {
    const m = this.#managed.get(name);
    const s = m?.security.settings;
    if (!s || !m) {
      if (this.#configured.has(name)) return { name, secured: false, origin: "config" };
      throw new SecurityError(E_NO_SUCH_REALM, `no realm "${name}" is known to the admin API`);
    }
    const snap = m.security.snapshot()!;
    const jwt = s.jwt;
    return {
      name,
      secured: true,
      origin: this.#configured.has(name) ? "config" : s.origin,
      users: snap.users.length,
      groups: snap.groups.length,
      grants: snap.grants.length,
      sources: snap.sources.length,
      ...(jwt
        ? {
          jwt: {
            algorithm: jwt.algorithm,
            ...(jwt.issuer !== undefined ? { issuer: jwt.issuer } : {}),
            ...(jwt.audience !== undefined ? { audience: jwt.audience } : {}),
            ...(jwt.roleClaim !== undefined ? { roleClaim: jwt.roleClaim } : {}),
          },
        }
        : {}),
      ...(s.anonymous ? { anonymous: { role: s.anonymous.role } } : {}),
    };
  }

  /** The security of a secured realm, for changes to its users, groups, grants and sources. */
  target(name: string): RealmSecurity {
    const m = this.#managed.get(name);
    if (m?.security.active) return m.security;
    if (this.#configured.get(name) === false) {
      throw new SecurityError(E_NOT_ALLOWED, `realm "${name}" is open (it has no security section in the configuration)`);
    }
    throw new SecurityError(E_NO_SUCH_REALM, `no secured realm "${name}"`);
  }

  /** Adds a secured realm with an empty model: nobody can join until users are added. */
  async addRealm(name: string, settings: NewRealmSettings = {}): Promise<RealmInfo> {
    if (!isValidUri(name, "loose")) throw invalid(`"${name}" is not a valid realm URI`);
    if (this.#configured.has(name) || this.#managed.get(name)?.security.active) {
      throw new SecurityError(E_ALREADY_EXISTS, `realm "${name}" already exists`);
    }
    const host = this.#host;
    if (!host) throw new SecurityError(E_NOT_ALLOWED, "realms cannot be added before the router runs");
    const known = this.#managed.get(name);
    // A realm the router made on its own (autoCreateRealms) is open and not ours to secure.
    if (!known && host.realm(name)) throw new SecurityError(E_ALREADY_EXISTS, `realm "${name}" already exists (open)`);
    const m = known ?? this.#manage(name);
    await m.security.seed(emptySnapshot({
      name,
      origin: "admin",
      ...(settings.jwt ? { jwt: settings.jwt } : {}),
      ...(settings.anonymous ? { anonymous: { role: settings.anonymous.role } } : {}),
    }));
    if (!known) host.addRealm({ name, authenticator: m.authenticator, authorizer: m.security });
    this.#deps.logger.log("info", "realm added", { realm: name });
    return this.info(name);
  }

  /**
   * Deletes a realm added through the admin API: its stored model first, then its sessions are
   * closed. Realms of the configuration file are refused: the file would bring them back.
   */
  async deleteRealm(name: string): Promise<void> {
    if (this.#configured.has(name)) {
      throw new SecurityError(E_NOT_ALLOWED, `realm "${name}" is defined in the configuration file; remove it there`);
    }
    const rs = this.target(name);
    await rs.drop();
    for (const s of [...(this.#host?.realm(name)?.sessions() ?? [])]) s.goodbye(U.CLOSE_REALM, "the realm was deleted");
    this.#deps.logger.log("info", "realm deleted", { realm: name });
  }

  #manage(name: string): Managed {
    let m = this.#managed.get(name);
    if (!m) {
      const security = new RealmSecurity(this.#deps.storage, name, this.#deps.deriver);
      m = { security, authenticator: this.#deps.authenticatorFor(security) };
      this.#managed.set(name, m);
    }
    return m;
  }
}
