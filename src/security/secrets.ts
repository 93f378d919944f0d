/**
 * Turning a clear password into what the store keeps: salted derived keys only (PBKDF2 for
 * ticket and WAMP-CRA, SCRAM StoredKey/ServerKey for WAMP-SCRAM). The derivation itself belongs
 * to src/auth/ (derive.ts); this seam lets the model be tested with cheap parameters and keeps
 * the clear value inside one call: it is never stored, logged or returned.
 * @module
 */
import type { DerivedSecret, ScramCredential } from "../auth/credentials.ts";

export interface SecretDeriver {
  /** A salted PBKDF2 key for ticket or WAMP-CRA (a fresh salt each call). */
  derive(secret: string): Promise<DerivedSecret>;
  /**
   * WAMP-SCRAM credentials (a fresh salt each call). The default derives Argon2id credentials
   * with `autobahn` keys too (derive.ts `convention: "both"`), so autobahn-python's AuthScram
   * can log in as well as spec clients.
   */
  scram(password: string): Promise<ScramCredential>;
}
