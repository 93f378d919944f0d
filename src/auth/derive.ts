/**
 * How secrets are turned into what the credential store keeps (src/auth/credentials.ts): the
 * security model calls `deriveSecret` for ticket and WAMP-CRA secrets and `scramCredential`
 * (`convention: "both"`) for WAMP-SCRAM passwords. Nothing here keeps or logs the clear secret.
 * @module
 */
import { argon2idAsync } from "@noble/hashes/argon2.js";
import type { RandomSource } from "../platform/random.ts";
import { webRandom } from "../platform/random.ts";
import type { DerivedSecret, ScramCredential } from "./credentials.ts";
import { encodeBase64, hmacSha256, pbkdf2Sha256, sha256, tryDecodeBase64, utf8 } from "./crypto.ts";
import { saslprep } from "./saslprep.ts";

/**
 * WAMP-CRA key derivation defaults: autobahn-js `auth_cra.derive_key` and autobahn-python
 * `derive_key` both default to 1000 iterations and a 32-byte key, so a client that leaves them
 * out still derives the same key.
 */
export const CRA_DEFAULTS = { iterations: 1000, keylen: 32 } as const;

/**
 * WAMP-SCRAM defaults (spec "WAMP-SCRAM", "Key Derivation Functions" leaves them to the
 * implementation). Argon2id: 19 MiB and 2 passes (the OWASP minimum; about 0.3 s in pure JS).
 * PBKDF2: RFC 7677 §4 asks for at least 4096 iterations "with a significantly higher value on
 * non-mobile clients". The mock CHALLENGE for an unknown authid uses the argon2id13 values, so
 * users created with these defaults cannot be told from unknown ones.
 */
export const SCRAM_DEFAULTS = {
  argon2id13: { iterations: 2, memory: 19_456 },
  pbkdf2: { iterations: 100_000 },
  saltBytes: 16,
} as const;

export interface DeriveOptions {
  /** Source of the random salt (default Web Crypto). */
  random?: RandomSource;
  /** A given salt string instead of a random one (tests, imported users). */
  salt?: string;
  iterations?: number;
  keylen?: number;
}

/**
 * Derives a stored secret for ticket or WAMP-CRA authentication: PBKDF2-HMAC-SHA256 of the
 * secret's UTF-8 bytes with the salt string's UTF-8 bytes, as autobahn's `derive_key` computes
 * it, so the WAMP-CRA CHALLENGE can send `salt`, `iterations` and `keylen` and the client
 * derives the same key. A generated salt is the base64 of 16 random bytes, and that base64
 * text (not the bytes under it) is the salt: it is what travels in CHALLENGE.extra.salt.
 * `derivedKey` is the base64 of the key; WAMP-CRA uses that base64 text's bytes as the HMAC key.
 */
export async function deriveSecret(secret: string, opts: DeriveOptions = {}): Promise<DerivedSecret> {
  const iterations = opts.iterations ?? CRA_DEFAULTS.iterations;
  const keylen = opts.keylen ?? CRA_DEFAULTS.keylen;
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error(`deriveSecret: iterations must be a positive integer, got ${iterations}`);
  if (!Number.isInteger(keylen) || keylen < 1 || keylen > 1024) throw new Error(`deriveSecret: keylen must be an integer in 1..1024, got ${keylen}`);
  const salt = opts.salt ?? encodeBase64((opts.random ?? webRandom).bytes(16));
  return { salt, iterations, keylen, derivedKey: await craDerivedKey(secret, salt, iterations, keylen) };
}

/** base64(PBKDF2-HMAC-SHA256(secret, salt, iterations, keylen)): autobahn's `derive_key`. */
export async function craDerivedKey(secret: string, salt: string, iterations: number, keylen: number): Promise<string> {
  return encodeBase64(await pbkdf2Sha256(utf8(secret), utf8(salt), iterations, keylen));
}

/** KDF names: the spec's `argon2id13`, autobahn-python's and Crossbar's `argon2id-13`, `pbkdf2`. */
export type ScramKdfName = "argon2id13" | "argon2id-13" | "pbkdf2";

/** The canonical (spec) KDF name, or undefined for an unknown one. */
export function canonicalKdf(kdf: string): ScramCredential["kdf"] | undefined {
  if (kdf === "argon2id13" || kdf === "argon2id-13") return "argon2id13";
  if (kdf === "pbkdf2") return "pbkdf2";
  return undefined;
}

export interface ScramParams {
  random?: RandomSource;
  /** Base64 salt; default 16 random bytes. */
  salt?: string;
  iterations?: number;
  /** Argon2id memory in KiB. */
  memory?: number;
  /**
   * How SaltedPassword is formed. "spec" (default): the raw 32-byte KDF output of the SASLprep'd
   * password, as the WAMP spec and RFC 5802 say. "autobahn": for argon2id, the ASCII of the
   * unpadded base64 of the KDF output of the password as given (no SASLprep), which is what
   * autobahn-python's client and its `derive_scram_credential` (hence Crossbar's user database)
   * use; only clients of that family can log in with such a credential, and they announce the
   * authmethod "scram". "both": the spec keys, plus for argon2id13 the autobahn keys of the same
   * salt and parameters in `autobahn` (ScramCredential), from the same Argon2id run when
   * SASLprep leaves the password unchanged (else from a second run): what the router stores for
   * a password, so that either kind of client can log in. For pbkdf2 the conventions agree.
   */
  convention?: ScramConvention;
}

/** See ScramParams.convention. */
export type ScramConvention = "spec" | "autobahn" | "both";

/**
 * SaltedPassword = KDF(SASLprep(password), salt, params) (spec "WAMP-SCRAM", "SCRAM
 * Algorithms"). Argon2id version 1.3, parallelism 1, 32-byte output; PBKDF2-HMAC-SHA256,
 * 32-byte output. With the "autobahn" convention and argon2id, see ScramParams.convention.
 */
export async function scramSaltedPassword(
  password: string,
  kdf: ScramKdfName,
  salt: Uint8Array,
  iterations: number,
  memory: number | undefined,
  convention: "spec" | "autobahn" = "spec",
): Promise<Uint8Array> {
  const prepared = preparedPassword(password);
  const name = canonicalKdf(kdf);
  if (name === "pbkdf2") return pbkdf2Sha256(utf8(prepared), salt, iterations, 32);
  if (name !== "argon2id13") throw new Error(`scram: unknown kdf ${kdf}`);
  if (convention === "spec") return argon2id13(prepared, salt, iterations, memory);
  return autobahnSaltedPassword(await argon2id13(password, salt, iterations, memory));
}

/** SASLprep(password); throws when SASLprep prohibits a character (every convention refuses those). */
function preparedPassword(password: string): string {
  const prepared = saslprep(password);
  if (prepared === undefined) throw new Error("scram: the password contains characters SASLprep prohibits");
  return prepared;
}

/** Argon2id v1.3, p=1, 32 bytes, of the password's UTF-8. */
function argon2id13(password: string, salt: Uint8Array, iterations: number, memory: number | undefined): Promise<Uint8Array> {
  if (memory === undefined) throw new Error("scram: argon2id13 needs a memory cost");
  return argon2idAsync(utf8(password), salt, { t: iterations, m: memory, p: 1, dkLen: 32, version: 0x13 });
}

/** autobahn-python's SaltedPassword for argon2id: the ASCII of the unpadded base64 of the raw output. */
function autobahnSaltedPassword(raw: Uint8Array): Uint8Array {
  return utf8(encodeBase64(raw).replace(/=+$/, ""));
}

/** StoredKey = SHA256(HMAC(SaltedPassword, "Client Key")), ServerKey = HMAC(SaltedPassword, "Server Key"). */
export async function scramKeys(saltedPassword: Uint8Array): Promise<{ clientKey: Uint8Array; storedKey: Uint8Array; serverKey: Uint8Array }> {
  const clientKey = await hmacSha256(saltedPassword, utf8("Client Key"));
  return {
    clientKey,
    storedKey: await sha256(clientKey),
    serverKey: await hmacSha256(saltedPassword, utf8("Server Key")),
  };
}

/**
 * Derives the WAMP-SCRAM credential the router stores for a password (spec "WAMP-SCRAM",
 * "Data Stored on the Server"): salt, KDF and its parameters, StoredKey and ServerKey, and with
 * `convention: "both"` and argon2id13 the keys autobahn-python's clients need (`autobahn`). The
 * password itself is not kept.
 */
export async function scramCredential(password: string, kdf: ScramKdfName, params: ScramParams = {}): Promise<ScramCredential> {
  const name = canonicalKdf(kdf);
  if (!name) throw new Error(`scramCredential: unknown kdf "${kdf}" (expected argon2id13 or pbkdf2)`);
  const convention = params.convention ?? "spec";
  if (convention !== "spec" && convention !== "autobahn" && convention !== "both") {
    throw new Error(`scramCredential: unknown convention "${convention}" (expected spec, autobahn or both)`);
  }
  const iterations = params.iterations ?? SCRAM_DEFAULTS[name].iterations;
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error(`scramCredential: iterations must be a positive integer, got ${iterations}`);
  const memory = name === "argon2id13" ? params.memory ?? SCRAM_DEFAULTS.argon2id13.memory : undefined;
  if (memory !== undefined && (!Number.isInteger(memory) || memory < 8)) throw new Error(`scramCredential: memory must be an integer >= 8 (KiB), got ${memory}`);
  const salt = params.salt ?? encodeBase64((params.random ?? webRandom).bytes(SCRAM_DEFAULTS.saltBytes));
  const saltBytes = tryDecodeBase64(salt);
  if (!saltBytes) throw new Error("scramCredential: salt must be base64");
  const head = { kdf: name, salt, iterations, ...(memory !== undefined ? { memory } : {}) };
  if (convention !== "both" || name !== "argon2id13") {
    const salted = await scramSaltedPassword(password, name, saltBytes, iterations, memory, convention === "autobahn" ? "autobahn" : "spec");
    return { ...head, ...await keyPair(salted) };
  }
  // Both conventions from one Argon2id run when SASLprep changes nothing (the usual case);
  // otherwise the two runs go concurrently.
  const prepared = preparedPassword(password);
  const specRaw = argon2id13(prepared, saltBytes, iterations, memory);
  const autobahnRaw = prepared === password ? specRaw : argon2id13(password, saltBytes, iterations, memory);
  const [spec, autobahn] = await Promise.all([
    specRaw.then(keyPair),
    autobahnRaw.then((raw) => keyPair(autobahnSaltedPassword(raw))),
  ]);
  return { ...head, ...spec, autobahn };
}

/** Base64 StoredKey and ServerKey of a SaltedPassword. */
async function keyPair(saltedPassword: Uint8Array): Promise<{ storedKey: string; serverKey: string }> {
  const { storedKey, serverKey } = await scramKeys(saltedPassword);
  return { storedKey: encodeBase64(storedKey), serverKey: encodeBase64(serverKey) };
}
