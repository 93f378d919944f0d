/**
 * JWT tickets (RFC 7519) checked with `jose` against a realm's JwtTicketSettings: signature
 * with the one configured algorithm, `exp` (required: a token that never expires is a
 * password that cannot be changed), `nbf`, and `iss`/`aud` when configured. The router's
 * Clock is the time source, so tests drive expiry by hand.
 * @module
 */
import { importJWK, importSPKI, type JWK, jwtVerify } from "jose";
import type { JwtTicketSettings } from "./credentials.ts";
import { tryDecodeBase64 } from "./crypto.ts";

/**
 * jose's own key type, not the global CryptoKey: under Deno, jose's declarations resolve
 * CryptoKey from Node's types, which differ from Deno's lib in their KeyUsage lists.
 */
type VerifyKey = Awaited<ReturnType<typeof importSPKI>> | Uint8Array;

/** Imported keys, once per settings object (settings are replaced, not mutated, on change). */
const keys = new WeakMap<JwtTicketSettings, Promise<VerifyKey>>();

function importKey(settings: JwtTicketSettings): Promise<VerifyKey> {
  let key = keys.get(settings);
  if (!key) {
    key = (async (): Promise<VerifyKey> => {
      if (settings.algorithm.startsWith("HS")) {
        const secret = settings.secret === undefined ? undefined : tryDecodeBase64(settings.secret);
        if (!secret || secret.length === 0) throw new Error(`jwt: ${settings.algorithm} needs a base64 secret`);
        return secret;
      }
      const pk = settings.publicKey;
      if (typeof pk === "string") return await importSPKI(pk, settings.algorithm);
      if (pk !== undefined) return await importJWK(pk as JWK, settings.algorithm);
      throw new Error(`jwt: ${settings.algorithm} needs a public key`);
    })();
    keys.set(settings, key);
  }
  return key;
}

/** Three base64url segments: worth trying as a JWT (compact JWS, RFC 7515 §7.1). */
export function looksLikeJwt(ticket: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(ticket);
}

export interface JwtClaims {
  readonly sub: string;
  readonly role: string;
}

/**
 * The subject and role of a valid token, or undefined for any invalid one (bad signature,
 * expired, not yet valid, wrong issuer or audience, missing `sub` or role claim).
 */
export async function verifyJwtTicket(token: string, settings: JwtTicketSettings, nowMs: number): Promise<JwtClaims | undefined> {
  try {
    const key = await importKey(settings);
    const { payload } = await jwtVerify(token, key, {
      algorithms: [settings.algorithm],
      currentDate: new Date(nowMs),
      requiredClaims: ["sub", "exp"],
      ...(settings.issuer !== undefined ? { issuer: settings.issuer } : {}),
      ...(settings.audience !== undefined ? { audience: settings.audience } : {}),
    });
    const role = payload[settings.roleClaim ?? "role"];
    if (typeof payload.sub !== "string" || payload.sub === "" || typeof role !== "string" || role === "") return undefined;
    return { sub: payload.sub, role };
  } catch {
    return undefined;
  }
}
