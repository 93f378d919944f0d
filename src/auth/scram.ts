/**
 * WAMP-SCRAM (spec "Salted Challenge Response Authentication Mechanism"; RFC 5802 with
 * SHA-256 per RFC 7677; KDF argon2id13 or pbkdf2).
 *
 * HELLO: authid and authextra `{nonce, channel_binding}`. CHALLENGE: `{nonce: client nonce +
 * server nonce, salt, kdf, iterations, memory}`. AUTHENTICATE: base64 ClientProof with extra
 * `{nonce, channel_binding, cbind_data}`. WELCOME: authextra with the ServerSignature.
 *
 * Two dialects, told apart by the authmethod the client asked for:
 * - "wamp-scram" (the spec; Bondy): AuthMessage with `c=base64(gs2 header)`, kdf spelled
 *   `argon2id13`, `memory: null` for pbkdf2; WELCOME authextra `verifier: "v=" + sig` (spec)
 *   and `scram_server_signature: sig` (the name autobahn-python reads).
 * - "scram" (Crossbar and autobahn-python's AuthScram): AuthMessage with `c=` + the binding
 *   name (empty), kdf spelled `argon2id-13`, no `memory` key for pbkdf2 and no
 *   `channel_binding` key (AuthScram rejects unknown CHALLENGE keys and would read a null
 *   binding as "None"), WELCOME authextra `scram_server_signature` only. Such clients form
 *   SaltedPassword differently for argon2id (see derive.ts `convention: "autobahn"`), so this
 *   dialect checks the credential's `autobahn` keys, which the router derives alongside the
 *   spec keys from a password (same salt and parameters, hence the same CHALLENGE); a
 *   credential without them (imported from Crossbar, or stored before they existed) is checked
 *   with its only keys, as in the spec dialect.
 *
 * An unknown authid gets a mock CHALLENGE: a salt stable per authid and the default KDF
 * parameters (spec: the server "MAY proceed with a mock CHALLENGE ... [whose] salt ... is
 * always the same for a given authid"), then the same ABORT as a wrong password.
 * @module
 */
import { describe } from "../router/value_text.ts";
import type { ScramCredential } from "./credentials.ts";
import { decodeBase64, encodeBase64, tryDecodeBase64 } from "./crypto.ts";
import { SCRAM_DEFAULTS } from "./derive.ts";
import { activeUser, AUTH_FAILED, type AuthMethod, E_AUTHENTICATION_FAILED, mockBytes, mockSalt, welcome } from "./method.ts";
import { saslprep } from "./saslprep.ts";
import { type AuthMessageParts, crossbarAuthMessage, serverSignature, specAuthMessage, verifyClientProof } from "./scram_math.ts";
import type { AuthOutcome, HelloInfo } from "./types.ts";
import type { Dict } from "../wamp/validate.ts";

/** RFC 5802 `printable` (0x21-0x7E except ","), bounded; the spec's base64 nonces fit. */
const NONCE = /^[\x21-\x2B\x2D-\x7E]{1,256}$/;

function clientNonceOf(info: HelloInfo): string | undefined {
  const n = info.authextra["nonce"];
  return typeof n === "string" && NONCE.test(n) ? n : undefined;
}

/** Same null-ness and value; absent counts as null. */
function sameBinding(a: unknown, b: string | null): boolean {
  return (a ?? null) === b;
}

export const scramMethod: AuthMethod = {
  names: ["wamp-scram", "scram"],
  usable: (info) => info.authid !== undefined && info.authid !== "" && clientNonceOf(info) !== undefined,
  authid: (info) => info.authid,
  async start(info, authmethod, ctx): Promise<AuthOutcome> {
    const crossbar = authmethod === "scram";
    const authid = info.authid!;
    const clientNonce = clientNonceOf(info)!;
    const requested = info.authextra["channel_binding"] ?? null;
    let cbind: { name: string; data: Uint8Array } | null = null;
    if (requested !== null) {
      // Spec: the server MUST ABORT when it does not support the requested binding type.
      const cb = info.channelBinding;
      if (crossbar || typeof requested !== "string" || !cb || cb.type !== requested) {
        return { kind: "abort", reason: E_AUTHENTICATION_FAILED, message: `channel binding ${describe(requested)} is not available` };
      }
      cbind = { name: cb.type, data: cb.data };
    }

    // Known users' real parameters, disabled or not: disabling an account does not change its
    // CHALLENGE; the refusal comes after AUTHENTICATE.
    const stored = ctx.store.user(authid)?.credentials.scram;
    const cred: ScramCredential = stored ?? {
      kdf: "argon2id13",
      salt: await mockSalt(ctx, "scram-salt", authid),
      ...SCRAM_DEFAULTS.argon2id13,
      storedKey: encodeBase64(await mockBytes(ctx, "scram-stored-key", authid, 32)),
      serverKey: encodeBase64(await mockBytes(ctx, "scram-server-key", authid, 32)),
    };
    // The keys this dialect checks; the CHALLENGE's parameters are the same either way.
    const keys = crossbar ? cred.autobahn ?? cred : cred;
    const nonce = clientNonce + encodeBase64(ctx.random.bytes(16));
    const extra: Dict = crossbar
      ? {
        nonce,
        salt: cred.salt,
        kdf: cred.kdf === "argon2id13" ? "argon2id-13" : "pbkdf2",
        iterations: cred.iterations,
        ...(cred.memory !== undefined ? { memory: cred.memory } : {}),
      }
      : { nonce, salt: cred.salt, kdf: cred.kdf, iterations: cred.iterations, memory: cred.memory ?? null };
    const parts: AuthMessageParts = {
      authid: crossbar ? saslprep(authid) ?? authid : authid,
      clientNonce,
      combinedNonce: nonce,
      salt: cred.salt,
      iterations: cred.iterations,
      cbindName: cbind?.name ?? null,
      cbindData: cbind?.data ?? null,
    };
    const authMessage = crossbar ? crossbarAuthMessage(parts) : specAuthMessage(parts);

    return {
      kind: "challenge",
      authmethod,
      extra,
      async next(signature, ext) {
        if (!crossbar) {
          // Spec: nonce, channel_binding and cbind_data must match what was negotiated.
          if (ext["nonce"] !== undefined && ext["nonce"] !== nonce) return AUTH_FAILED;
          if (!sameBinding(ext["channel_binding"], cbind?.name ?? null)) return AUTH_FAILED;
          const data = ext["cbind_data"] ?? null;
          if (cbind) {
            const got = typeof data === "string" ? tryDecodeBase64(data) : undefined;
            if (!got || encodeBase64(got) !== encodeBase64(cbind.data)) return AUTH_FAILED;
          } else if (data !== null) {
            return AUTH_FAILED;
          }
        }
        const proof = tryDecodeBase64(signature);
        if (!proof) return AUTH_FAILED;
        const ok = await verifyClientProof(decodeBase64(keys.storedKey), authMessage, proof);
        const user = activeUser(ctx.store, authid);
        if (!ok || !stored || !user) return AUTH_FAILED;
        const sig = encodeBase64(await serverSignature(decodeBase64(keys.serverKey), authMessage));
        return welcome(user, authmethod, "static", crossbar ? { scram_server_signature: sig } : { verifier: `v=${sig}`, scram_server_signature: sig });
      },
    };
  },
};
