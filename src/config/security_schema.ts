/**
 * The configuration of realm security (`realms[].security`), of the admin realm (`admin`) and
 * of durable storage (`storage`). Parsing only: passwords written here are derived into salted
 * keys when the realm's model is first seeded into storage (src/security/seed.ts), and from
 * then on the stored model wins over this file.
 * @module
 */
import Type, { type Static } from "typebox";

/** Names of users and groups: no control characters (they become storage key components). */
const Name = Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: "^[^\\u0000-\\u001f\\u007f]+$",
  expected: "a non-empty name without control characters",
});
const Names = Type.Array(Name, { expected: "a list of names" });
const Metadata = Type.Record(Type.String(), Type.Unknown(), { expected: "an object" });

export const AUTHMETHOD_VALUES = ["anonymous", "ticket", "wampcra", "wamp-scram", "cryptosign"] as const;
const AuthMethods = Type.Array(Type.Enum([...AUTHMETHOD_VALUES]), {
  minItems: 1,
  expected: `a non-empty list of ${AUTHMETHOD_VALUES.map((m) => `"${m}"`).join(", ")}`,
});
const UserMethods = Type.Array(Type.Enum(["ticket", "wampcra", "wamp-scram", "cryptosign"]), {
  minItems: 1,
  expected: 'a non-empty list of "ticket", "wampcra", "wamp-scram", "cryptosign"',
});

export const UserSchema = Type.Object(
  {
    authid: Name,
    /** Clear password: ticket, wampcra and wamp-scram credentials are derived from it at seeding. */
    password: Type.Optional(Type.String({ minLength: 1, expected: "a non-empty password" })),
    authmethods: Type.Optional(UserMethods),
    groups: Type.Optional(Names),
    /** The authrole; default the first group, else "user". */
    role: Type.Optional(Name),
    cryptosignKeys: Type.Optional(Type.Array(
      Type.String({ pattern: "^[0-9a-fA-F]{64}$", expected: "an Ed25519 public key, 64 hex digits" }),
      { expected: "a list of Ed25519 public keys (64 hex digits each)" },
    )),
    enabled: Type.Optional(Type.Boolean()),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false, expected: 'a user object such as {"authid": "alice", "password": "...", "groups": ["dev"]}' },
);

export const GroupSchema = Type.Object(
  { name: Name, groups: Type.Optional(Names), metadata: Type.Optional(Metadata) },
  { additionalProperties: false, expected: 'a group object such as {"name": "dev", "groups": ["staff"]}' },
);

const GRANT_ACTIONS = ["*", "call", "cancel", "register", "unregister", "publish", "subscribe", "unsubscribe"] as const;
export const GrantSchema = Type.Object(
  {
    roles: Type.Optional(Names),
    users: Type.Optional(Names),
    actions: Type.Array(Type.Enum([...GRANT_ACTIONS]), {
      minItems: 1,
      expected: `a non-empty list of ${GRANT_ACTIONS.map((a) => `"${a}"`).join(", ")}`,
    }),
    uri: Type.String({ expected: "a URI pattern" }),
    match: Type.Optional(Type.Enum(["exact", "prefix", "wildcard"])),
  },
  { additionalProperties: false, expected: 'a grant object such as {"roles": ["dev"], "actions": ["call"], "uri": "com.app.", "match": "prefix"}' },
);

export const SourceSchema = Type.Object(
  {
    cidr: Type.String({ expected: 'a CIDR range such as "10.0.0.0/8" or "::1/128"' }),
    authmethods: AuthMethods,
  },
  { additionalProperties: false, expected: 'a source object such as {"cidr": "127.0.0.0/8", "authmethods": ["ticket"]}' },
);

const JWT_ALGORITHMS = [
  "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
] as const;

/** src/auth/credentials.ts JwtTicketSettings. */
export const JwtSchema = Type.Object(
  {
    algorithm: Type.Enum([...JWT_ALGORITHMS]),
    secret: Type.Optional(Type.String({ minLength: 1, expected: "the HMAC secret, base64" })),
    publicKey: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Metadata], {
      expected: "a public key: a JWK object or an SPKI PEM string",
    })),
    issuer: Type.Optional(Type.String()),
    audience: Type.Optional(Type.String()),
    roleClaim: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

const SecurityParts = {
  users: Type.Optional(Type.Array(UserSchema, { expected: "a list of user objects" })),
  groups: Type.Optional(Type.Array(GroupSchema, { expected: "a list of group objects" })),
  grants: Type.Optional(Type.Array(GrantSchema, { expected: "a list of grant objects" })),
  sources: Type.Optional(Type.Array(SourceSchema, { expected: "a list of source objects" })),
};

export const SecuritySchema = Type.Object(
  {
    /** Default true: a realm with a security section is secured unless this says otherwise. */
    enabled: Type.Optional(Type.Boolean()),
    ...SecurityParts,
    jwt: Type.Optional(JwtSchema),
    /** Allow anonymous sessions, with this authrole. */
    anonymous: Type.Optional(Type.Object({ role: Name }, { additionalProperties: false })),
  },
  { additionalProperties: false, expected: 'a security object such as {"users": [...], "grants": [...]}' },
);

export const AdminSchema = Type.Object(
  {
    realm: Type.Optional(Type.String({
      pattern: "^([^\\s\\.#]+\\.)*([^\\s\\.#]+)$",
      expected: 'a WAMP URI such as "junction.admin"',
    })),
    users: Type.Array(UserSchema, { minItems: 1, expected: "a non-empty list of user objects" }),
    groups: SecurityParts.groups,
    grants: SecurityParts.grants,
    sources: SecurityParts.sources,
  },
  { additionalProperties: false, expected: 'an admin object such as {"users": [{"authid": "admin", "password": "..."}]}' },
);

export const StorageSchema = Type.Object(
  { path: Type.Optional(Type.String({ minLength: 1, expected: "a file path" })) },
  { additionalProperties: false },
);

export type UserConfig = Static<typeof UserSchema>;
export type GroupConfig = Static<typeof GroupSchema>;
export type GrantConfig = Static<typeof GrantSchema>;
export type SourceConfig = Static<typeof SourceSchema>;
export type SecurityConfig = Static<typeof SecuritySchema>;
export type StorageConfig = Static<typeof StorageSchema>;

/** The admin section with its defaults filled in (load.ts withDefaults). */
export interface AdminConfig {
  realm: string;
  users: UserConfig[];
  groups: GroupConfig[];
  grants: GrantConfig[];
  sources: SourceConfig[];
}

export const DEFAULT_ADMIN_REALM = "junction.admin";
export const DEFAULT_ADMIN_GROUP = "admin";
/** The SQLite file used when a realm is secured and neither --data nor storage.path says where. */
export const DEFAULT_STORAGE_PATH = "junction.db";

/**
 * Fills the admin section: realm "junction.admin"; without `groups`, one group "admin" that
 * every admin user joins (unless the user names its groups); without `grants`, the "admin"
 * role may call every `junction.*` procedure.
 */
export function adminWithDefaults(a: Static<typeof AdminSchema>): AdminConfig {
  const customGroups = a.groups !== undefined;
  return {
    realm: a.realm ?? DEFAULT_ADMIN_REALM,
    users: a.users.map((u) => (customGroups || u.groups ? u : { ...u, groups: [DEFAULT_ADMIN_GROUP] })),
    groups: a.groups ?? [{ name: DEFAULT_ADMIN_GROUP }],
    grants: a.grants ?? [{ roles: [DEFAULT_ADMIN_GROUP], actions: ["call"], uri: "junction.", match: "prefix" }],
    sources: a.sources ?? [],
  };
}
