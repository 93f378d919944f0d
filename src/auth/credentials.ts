/**
 * What authenticators need to know about users: a read-only view of a realm's security model
 * (src/security/ owns and persists it). Secrets are never kept in clear: only salted derived
 * keys, public keys, and the parameters to check them.
 * @module
 */
import type { Dict } from "../wamp/validate.ts";

/** A secret stored as PBKDF2-SHA256(secret, salt, iterations, keylen). */
export interface DerivedSecret {
  /**
   * The salt string: its UTF-8 bytes are the PBKDF2 salt, and it is sent as-is in the WAMP-CRA
   * challenge (generated as base64 of 16 random bytes).
   */
  readonly salt: string;
  readonly iterations: number;
  readonly keylen: number;
  /** Base64 of the derived key. */
  readonly derivedKey: string;
}

/**
 * WAMP-SCRAM stored credentials (spec "WAMP-SCRAM": StoredKey, ServerKey, and the KDF parameters),
 * for both dialects of src/auth/scram.ts. Stored as JSON, e.g.
 *
 *     {"kdf": "argon2id13", "salt": "<b64>", "iterations": 2, "memory": 19456,
 *      "storedKey": "<b64>", "serverKey": "<b64>",
 *      "autobahn": {"storedKey": "<b64>", "serverKey": "<b64>"}}
 */
export interface ScramCredential {
  readonly kdf: "argon2id13" | "pbkdf2";
  /** Base64 of the salt. */
  readonly salt: string;
  readonly iterations: number;
  /** Argon2id memory cost in KiB (argon2id13 only). */
  readonly memory?: number;
  /**
   * Base64 of StoredKey = H(ClientKey), for the SaltedPassword the credential was derived with:
   * the spec's when the router derived it from a password, autobahn-python's for credentials
   * imported from Crossbar (derive.ts `convention: "autobahn"`).
   */
  readonly storedKey: string;
  /** Base64 of ServerKey (same SaltedPassword as `storedKey`). */
  readonly serverKey: string;
  /**
   * StoredKey and ServerKey (base64) for autobahn-python's argon2id SaltedPassword (the base64
   * text of the Argon2id output of the password without SASLprep), same salt and parameters:
   * what the "scram" dialect (autobahn-python's AuthScram, Crossbar) checks when present, so
   * its CHALLENGE is the same as the spec dialect's. The router derives it with the spec keys
   * from one password (derive.ts `convention: "both"`); argon2id13 only. Optional: credentials
   * stored without it (before it existed, or imported) are checked with the keys above in
   * both dialects.
   */
  readonly autobahn?: { readonly storedKey: string; readonly serverKey: string };
}

export interface UserCredentials {
  /** Static ticket (a password sent in AUTHENTICATE), checked against its derived key. */
  readonly ticket?: DerivedSecret;
  /** WAMP-CRA: the router signs with the derived key; the client derives it from salt/iterations/keylen. */
  readonly wampcra?: DerivedSecret;
  /** WAMP-Cryptosign: hex Ed25519 public keys allowed for this user. */
  readonly cryptosign?: { readonly authorizedKeys: readonly string[] };
  readonly scram?: ScramCredential;
}

export interface UserRecord {
  readonly authid: string;
  readonly enabled: boolean;
  /** The authrole a session of this user gets (its primary group). */
  readonly authrole: string;
  readonly credentials: UserCredentials;
  readonly metadata?: Dict;
}

/** Settings for JWT tickets on a realm (verified with `jose`). */
export interface JwtTicketSettings {
  /** "HS256" with a shared secret, or an asymmetric algorithm with a public key (JWK or PEM/SPKI). */
  readonly algorithm: string;
  /** HMAC secret (base64) for HS* algorithms. */
  readonly secret?: string;
  /** Public key for RS, ES or EdDSA algorithms: a JWK object or an SPKI PEM string. */
  readonly publicKey?: Dict | string;
  readonly issuer?: string;
  readonly audience?: string;
  /** Claim holding the authrole; default "role". The authid comes from "sub". */
  readonly roleClaim?: string;
}

/** A realm's security model as authenticators see it; lookups are synchronous (in memory). */
export interface CredentialStore {
  user(authid: string): UserRecord | undefined;
  /** The authentication methods a client at this address may use (the realm's "sources"). */
  methodsFor(remoteAddress: string | undefined): readonly string[];
  /** JWT ticket settings, when the realm accepts JWT tickets. */
  readonly jwt?: JwtTicketSettings;
  /** The role anonymous sessions get, when anonymous is allowed at all. */
  readonly anonymousRole?: string;
}
