/**
 * From configuration text to the options the router and the listeners are built from. Parsing
 * only: reading the file is the caller's business (the core does no file IO).
 * @module
 */
import type { RealmOptions, RouterOptions } from "../router/options.ts";
import { ConfigError } from "./config_error.ts";
import { type ConfigFile, defaultConfig, defaultRealm, type JunctionConfig, type RealmConfig } from "./schema.ts";
import { adminWithDefaults } from "./security_schema.ts";
import type { ServeOptions } from "../platform/listener.ts";
import { validateConfig } from "./validate.ts";

/**
 * Parses and checks a JSON configuration file and fills in the defaults.
 * @param source names the file in error messages, e.g. `config.json`
 * @throws ConfigError listing every problem, each as `source: key.path: expected ..., found ...`
 * @example
 * ```ts
 * const cfg = parseConfig('{"transports": {"websocket": {"port": 9000}}}', "junction.json");
 * cfg.transports.websocket.port; // 9000
 * cfg.realms[0]?.name; // "realm1"
 * ```
 */
export function parseConfig(text: string, source: string): JunctionConfig {
  let doc: unknown;
  try {
    // A BOM is invisible in editors but not valid JSON.
    doc = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (err) {
    throw new ConfigError([`${source}: invalid JSON: ${err instanceof Error ? err.message : String(err)}`]);
  }
  const problems = validateConfig(doc);
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `${source}: ${p}`));
  return withDefaults(doc as ConfigFile);
}

/** A checked file merged over the embedded defaults, key by key. */
export function withDefaults(file: ConfigFile): JunctionConfig {
  const d = defaultConfig();
  return {
    realms: file.realms ? file.realms.map((r) => ({ ...defaultRealm(r.name), ...r })) : d.realms,
    autoCreateRealms: file.autoCreateRealms ?? d.autoCreateRealms,
    helloTimeoutMs: file.helloTimeoutMs ?? d.helloTimeoutMs,
    transports: {
      websocket: { ...d.transports.websocket, ...file.transports?.websocket },
      rawsocket: { ...d.transports.rawsocket, ...file.transports?.rawsocket },
    },
    log: { ...d.log, ...file.log },
    // Only when written: an absent key stays absent, so a file reads back as it was written.
    ...(file.admin ? { admin: adminWithDefaults(file.admin) } : {}),
    ...(file.storage ? { storage: { ...file.storage } } : {}),
    ...(file.limits ? { limits: { ...file.limits } } : {}),
  };
}

/** Whether a configured realm requires authentication (a security section not turned off). */
export function isSecured(r: RealmConfig): boolean {
  return r.security !== undefined && r.security.enabled !== false;
}

/**
 * The security of the realms, built asynchronously beforehand (src/security/build.ts
 * buildSecurity: it derives secrets and reads storage, which this synchronous mapping cannot).
 */
export interface SecuredRealms {
  /** Authentication and authorization for a configured realm; undefined for an open one. */
  optionsFor(name: string): Pick<RealmOptions, "authenticator" | "authorizer"> | undefined;
  /** Realms beyond the configured ones: the admin realm, realms added through the admin API. */
  readonly extraRealms: readonly RealmOptions[];
}

/**
 * The router's share of the configuration; the caller adds logger, clock and the like.
 * @throws Error when a realm is secured but `security` has nothing for it: a secured realm
 * must never come up open because its security was not built.
 */
export function toRouterOptions(cfg: JunctionConfig, security?: SecuredRealms): RouterOptions {
  const configured = cfg.realms.map((r): RealmOptions => {
    const secured = security?.optionsFor(r.name);
    if (isSecured(r) && !secured) {
      throw new Error(`realm "${r.name}" is secured, but its security was not built (see buildSecurity)`);
    }
    return {
      name: r.name,
      uriCheck: r.uriCheck,
      strictRequestIds: r.strictRequestIds,
      ...(r.allowDisclose === undefined ? {} : { allowDisclose: r.allowDisclose }),
      ...(r.metaApi === undefined ? {} : { metaApi: r.metaApi }),
      ...(r.history ? { history: r.history.map((h) => ({ uri: h.uri, match: h.match ?? "exact", limit: h.limit })) } : {}),
      ...secured,
    };
  });
  return {
    realms: [...configured, ...(security?.extraRealms ?? [])],
    autoCreateRealms: cfg.autoCreateRealms,
    helloTimeoutMs: cfg.helloTimeoutMs,
    rawSocketMaxLength: cfg.transports.rawsocket.maxMessageSize,
    ...(cfg.limits ? { limits: { ...cfg.limits } } : {}),
  };
}

/** The listeners' share of the configuration, in the shape every adapter's `serve` takes. */
export function toServeOptions(cfg: JunctionConfig): ServeOptions {
  const { websocket, rawsocket } = cfg.transports;
  return {
    host: websocket.host,
    port: websocket.port,
    path: websocket.path,
    maxMessageSize: websocket.maxMessageSize,
    rawSocketPort: rawsocket.enabled ? rawsocket.port : null,
    rawSocketHost: rawsocket.host,
    // rawsocket.maxMessageSize goes to the router (toRouterOptions): the core does RawSocket
    // framing itself.
  };
}
