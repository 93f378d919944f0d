/**
 * WAMP-CRA (spec "Challenge Response Authentication"). CHALLENGE.extra.challenge is a JSON
 * string with authid, authrole, authmethod, authprovider, nonce, timestamp and session; the
 * client answers base64(HMAC-SHA256(key, challenge)).
 *
 * Secrets are always stored salted (credentials.ts DerivedSecret), so every CHALLENGE carries
 * `salt`, `iterations` and `keylen` (spec "Salted WAMP-CRA"): the client derives
 * base64(PBKDF2-HMAC-SHA256(secret, salt, iterations, keylen)) and, as autobahn-js,
 * autobahn-python and wampy all do, uses the bytes of that base64 text as the HMAC key. The
 * router keeps exactly that text (`derivedKey`), never the secret.
 *
 * What the challenge does not disclose: the user's role (the requested one, or "user", is
 * written instead) and whether the authid exists (an unknown one gets a mock salt that is
 * stable per authid, and the default parameters).
 * @module
 */
import { constantTimeEqual, encodeBase64, hmacSha256, utf8 } from "./crypto.ts";
import { CRA_DEFAULTS } from "./derive.ts";
import { activeUser, AUTH_FAILED, type AuthMethod, mockBytes, mockSalt, welcome } from "./method.ts";

export const wampcraMethod: AuthMethod = {
  names: ["wampcra"],
  // Spec: "the client MUST provide an authid".
  usable: (info) => info.authid !== undefined && info.authid !== "",
  authid: (info) => info.authid,
  async start(info, _authmethod, ctx) {
    const authid = info.authid!;
    // A disabled user's real parameters are shown too: the CHALLENGE must not change when an
    // account is disabled (the refusal comes after AUTHENTICATE, like a wrong secret's).
    const stored = ctx.store.user(authid)?.credentials.wampcra;
    const params = stored ?? {
      salt: await mockSalt(ctx, "wampcra-salt", authid),
      ...CRA_DEFAULTS,
      derivedKey: encodeBase64(await mockBytes(ctx, "wampcra-key", authid, CRA_DEFAULTS.keylen)),
    };
    const challenge = JSON.stringify({
      authid,
      authrole: info.authrole ?? "user",
      authmethod: "wampcra",
      authprovider: "static",
      nonce: encodeBase64(ctx.random.bytes(16)),
      timestamp: new Date(ctx.clock.now()).toISOString(),
      // The id WELCOME will carry (drawn before authentication starts).
      session: info.sessionId,
    });
    return {
      kind: "challenge",
      authmethod: "wampcra",
      extra: { challenge, salt: params.salt, iterations: params.iterations, keylen: params.keylen },
      async next(signature) {
        const expected = encodeBase64(await hmacSha256(utf8(params.derivedKey), utf8(challenge)));
        // Looked up again: the user may have been disabled while the client was signing.
        const user = activeUser(ctx.store, authid);
        const ok = constantTimeEqual(utf8(signature), utf8(expected));
        return ok && stored && user ? welcome(user, "wampcra") : AUTH_FAILED;
      },
    };
  },
};
