/**
 * What every authentication method shares: the seam between the realm's policy (`policy.ts`)
 * and one method, the uniform failure answer, and the mock material that makes an unknown
 * authid look like a known one.
 * @module
 */
import type { Clock } from "../platform/clock.ts";
import type { RandomSource } from "../platform/random.ts";
import type { CredentialStore, UserRecord } from "./credentials.ts";
import { encodeBase64, hmacSha256, utf8 } from "./crypto.ts";
import type { AuthOutcome, HelloInfo, Identity } from "./types.ts";

/** ABORT reason for a refused authentication (spec "Predefined URIs"; Crossbar, Nexus, Bondy). */
export const E_AUTHENTICATION_FAILED = "wamp.error.authentication_failed";
/** ABORT reason when no offered method can be used (Crossbar, autobahn and Nexus use this). */
export const E_NO_AUTH_METHOD = "wamp.error.no_auth_method";

/**
 * The one answer to a wrong secret, an unknown authid, a disabled user, a missing credential
 * or a malformed response: the same object, so the ABORT is byte-identical and nothing tells
 * which it was. The throttle counts exactly these.
 */
export const AUTH_FAILED: AuthOutcome = Object.freeze({
  kind: "abort",
  reason: E_AUTHENTICATION_FAILED,
  message: "authentication failed",
});

/** What a method may use besides the HELLO. */
export interface MethodContext {
  readonly store: CredentialStore;
  readonly random: RandomSource;
  readonly clock: Clock;
  /** Per-router secret keying the mock salts and keys for unknown authids. */
  readonly secret: Uint8Array;
}

export interface AuthMethod {
  /** The authmethod strings this method answers to; the first is its canonical name. */
  readonly names: readonly string[];
  /**
   * Whether the HELLO carries what the method needs (an authid, a public key, a nonce).
   * Must not look at the user database: the choice of method may not reveal whether a user
   * exists.
   */
  usable(info: HelloInfo, ctx: MethodContext): boolean;
  /** The authid the attempt is for (failures are counted against it). */
  authid(info: HelloInfo): string | undefined;
  /** Runs the method: a CHALLENGE (with its continuation), a WELCOME or an ABORT. */
  start(info: HelloInfo, authmethod: string, ctx: MethodContext): Promise<AuthOutcome>;
}

/** The user a secret may log in as: known and enabled. */
export function activeUser(store: CredentialStore, authid: string | undefined): UserRecord | undefined {
  if (authid === undefined) return undefined;
  const user = store.user(authid);
  return user && user.enabled ? user : undefined;
}

/**
 * Stable pseudo-random bytes for an authid: HMAC(router secret, label NUL authid). A mock
 * CHALLENGE built from them is the same every time the same authid asks (spec "WAMP-SCRAM":
 * the mock salt "SHOULD ... always [be] the same for a given authid").
 */
export async function mockBytes(ctx: MethodContext, label: string, authid: string, n: number): Promise<Uint8Array> {
  const mac = await hmacSha256(ctx.secret, utf8(`${label}\u0000${authid}`));
  return mac.slice(0, n);
}

/** A mock salt shaped like a generated one (base64 of 16 bytes). */
export async function mockSalt(ctx: MethodContext, label: string, authid: string): Promise<string> {
  return encodeBase64(await mockBytes(ctx, label, authid, 16));
}

export function welcome(
  user: UserRecord,
  authmethod: string,
  authprovider = "static",
  authextra?: Identity["authextra"],
): AuthOutcome {
  const identity: Identity = {
    authid: user.authid,
    authrole: user.authrole,
    authmethod,
    authprovider,
    ...(authextra ? { authextra } : {}),
  };
  return { kind: "welcome", identity };
}
