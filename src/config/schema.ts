/**
 * The configuration file: its TypeBox schema (what a file may say) and the embedded default
 * configuration (what a missing key means). Every object is closed, so a misspelt key is an
 * error instead of a silently ignored setting.
 *
 * Schemas may carry an `expected` annotation: the words an error message uses for what the key
 * takes, where the schema's own keywords (a regex, say) would read badly.
 * @module
 */
import Type, { type Static } from "typebox";
import type { LogLevel } from "../platform/logger.ts";
import { DEFAULT_LIMITS, type Limits } from "../router/limits.ts";
import {
  type AdminConfig,
  AdminSchema,
  type SecurityConfig,
  SecuritySchema,
  type StorageConfig,
  StorageSchema,
} from "./security_schema.ts";

// --- types ---

export type UriCheck = "loose" | "strict";
export type LogFormat = "text" | "json";

export interface RealmConfig {
  name: string;
  uriCheck: UriCheck;
  strictRequestIds: boolean;
  /** Users, groups, grants and sources; absent (or `enabled: false`) means an open realm. */
  security?: SecurityConfig;
  /** Whether callers may use `disclose_me` (default true). */
  allowDisclose?: boolean;
  /** Serve the meta API (`wamp.session.*`, ...) in this realm (default true). */
  metaApi?: boolean;
  /** Topics whose events are kept for `wamp.subscription.get_events`. */
  history?: HistoryTopicConfig[];
}

export interface HistoryTopicConfig {
  uri: string;
  /** Default "exact". */
  match?: "exact" | "prefix" | "wildcard";
  limit: number;
}

/** Resource limits (src/router/limits.ts); each key left out keeps its default. */
export type LimitsConfig = Partial<Record<keyof Limits, number>>;

export interface WebSocketConfig {
  host: string;
  port: number;
  path: string;
  maxMessageSize: number;
}

export interface RawSocketConfig {
  enabled: boolean;
  host: string;
  port: number;
  maxMessageSize: number;
}

/** A configuration with every default filled in: what `parseConfig` returns. */
export interface JunctionConfig {
  realms: RealmConfig[];
  autoCreateRealms: boolean;
  helloTimeoutMs: number;
  transports: { websocket: WebSocketConfig; rawsocket: RawSocketConfig };
  log: { format: LogFormat; level: LogLevel };
  /** The admin realm and its users; absent means no admin API. */
  admin?: AdminConfig;
  /** Where durable state lives (src/config/security_schema.ts DEFAULT_STORAGE_PATH). */
  storage?: StorageConfig;
  limits?: LimitsConfig;
}

// --- schema ---

/**
 * WAMP spec "URIs", loose rule for a non-empty URI: dot-separated components, none empty, none
 * holding whitespace, `.` or `#`. A realm name must pass it (the spec has the router fail a
 * HELLO whose realm is not a valid URI, so a realm that fails could never be joined).
 */
export const LOOSE_URI_PATTERN = "^([^\\s\\.#]+\\.)*([^\\s\\.#]+)$";

const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const Host = Type.String({ minLength: 1, expected: "a host name or IP address" });
/**
 * RawSocket announces its limit in the handshake as 2^(9+n) bytes with n in 0..15, so 16 MiB
 * is the most it can say (WAMP spec "RawSocket Transport", handshake).
 */
const RawSocketMessageSize = Type.Integer({ minimum: 512, maximum: 16 * 1024 * 1024 });
/** WebSocket has no such ceiling; 1 GiB keeps one frame from exhausting memory by accident. */
const WebSocketMessageSize = Type.Integer({ minimum: 512, maximum: 1024 * 1024 * 1024 });

/** Every limit is a count, a rate, a byte size or milliseconds (0 turns the idle ping off). */
const LimitValue = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

export const RealmSchema = Type.Object(
  {
    name: Type.String({ pattern: LOOSE_URI_PATTERN, expected: 'a WAMP URI such as "realm1" or "com.example"' }),
    uriCheck: Type.Optional(Type.Enum(["loose", "strict"])),
    strictRequestIds: Type.Optional(Type.Boolean()),
    security: Type.Optional(SecuritySchema),
    allowDisclose: Type.Optional(Type.Boolean()),
    metaApi: Type.Optional(Type.Boolean()),
    history: Type.Optional(Type.Array(
      Type.Object(
        {
          uri: Type.String({ minLength: 1, expected: "a topic URI or pattern" }),
          match: Type.Optional(Type.Enum(["exact", "prefix", "wildcard"])),
          limit: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
        },
        { additionalProperties: false, expected: 'a history topic such as {"uri": "com.example.news", "limit": 100}' },
      ),
    )),
  },
  { additionalProperties: false, expected: 'a realm object such as {"name": "realm1"}' },
);

export const ConfigSchema = Type.Object(
  {
    realms: Type.Optional(Type.Array(RealmSchema, { expected: "a list of realm objects" })),
    autoCreateRealms: Type.Optional(Type.Boolean()),
    // setTimeout holds a signed 32-bit delay; a larger one fires immediately.
    helloTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1 })),
    transports: Type.Optional(Type.Object(
      {
        websocket: Type.Optional(Type.Object(
          {
            host: Type.Optional(Host),
            port: Type.Optional(Port),
            path: Type.Optional(Type.String({ pattern: "^/", expected: 'a URL path starting with "/"' })),
            maxMessageSize: Type.Optional(WebSocketMessageSize),
          },
          { additionalProperties: false },
        )),
        rawsocket: Type.Optional(Type.Object(
          {
            enabled: Type.Optional(Type.Boolean()),
            host: Type.Optional(Host),
            port: Type.Optional(Port),
            maxMessageSize: Type.Optional(RawSocketMessageSize),
          },
          { additionalProperties: false },
        )),
      },
      { additionalProperties: false },
    )),
    log: Type.Optional(Type.Object(
      {
        format: Type.Optional(Type.Enum(["text", "json"])),
        level: Type.Optional(Type.Enum(["debug", "info", "warn", "error"])),
      },
      { additionalProperties: false },
    )),
    admin: Type.Optional(AdminSchema),
    storage: Type.Optional(StorageSchema),
    limits: Type.Optional(Type.Object(
      Object.fromEntries(Object.keys(DEFAULT_LIMITS).map((k) => [k, Type.Optional(LimitValue)])),
      { additionalProperties: false, expected: "an object of limits such as {\"messagesPerSecond\": 50000}" },
    )),
  },
  { additionalProperties: false, expected: "a JSON object" },
);

/** What a configuration file may contain (every key but a realm's name optional). */
export type ConfigFile = Static<typeof ConfigSchema>;

// --- defaults ---

/**
 * The embedded default configuration: realm `realm1` open to anonymous clients, WebSocket on
 * 127.0.0.1:8080 at /ws and RawSocket on 127.0.0.1:8081. Loopback by default so a first start
 * never exposes an open realm to the network. Returns a fresh copy each call, so callers may
 * change it freely.
 */
export function defaultConfig(): JunctionConfig {
  return {
    realms: [defaultRealm("realm1")],
    autoCreateRealms: false,
    helloTimeoutMs: 10_000,
    transports: {
      websocket: { host: "127.0.0.1", port: 8080, path: "/ws", maxMessageSize: 16 * 1024 * 1024 },
      rawsocket: { enabled: true, host: "127.0.0.1", port: 8081, maxMessageSize: 16 * 1024 * 1024 },
    },
    log: { format: "text", level: "info" },
  };
}

/** A realm with every option at its default. */
export function defaultRealm(name: string): RealmConfig {
  return { name, uriCheck: "loose", strictRequestIds: false };
}
