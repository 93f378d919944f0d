/**
 * WAMP-Cryptosign client authentication (spec "Cryptosign-based Authentication", Ed25519 per
 * RFC 8032).
 *
 * HELLO.Details.authextra.pubkey (32 bytes hex) is required. The authid is the HELLO authid;
 * without one, the hex public key itself is taken as the authid (spec: the router "SHOULD
 * automatically chose and assign an authid (e.g. the Hex encode public key)"). The user must
 * list the key among `credentials.cryptosign.authorizedKeys` (several keys per user work).
 *
 * CHALLENGE `{challenge: hex(32 random bytes), channel_binding: type | null}`. The client
 * signs the challenge, or, with channel binding, challenge XOR the 32-byte channel id
 * (spec "Computing the Signature"). AUTHENTICATE carries hex(signature ‖ signed message), 96
 * bytes, as the spec, autobahn and wampy send it; a bare 64-byte signature is accepted too.
 * When 96 bytes come, the trailing 32 must be exactly the message we expected.
 *
 * Channel binding: only when the transport supplies one (HelloInfo.channelBinding) of the
 * requested type with a 32-byte channel id; otherwise the CHALLENGE says
 * `channel_binding: null` and the client decides whether to go on (spec "TLS Channel
 * Binding"). Router authentication (authextra.challenge) and certificates are not
 * implemented: the CHALLENGE carries no router signature.
 * @module
 */
import { constantTimeEqual, ed25519Verify, fromHex, toHex, xor } from "./crypto.ts";
import { activeUser, AUTH_FAILED, type AuthMethod } from "./method.ts";
import type { HelloInfo } from "./types.ts";

const HEX32 = /^[0-9a-fA-F]{64}$/;

function pubkeyOf(info: HelloInfo): string | undefined {
  const pk = info.authextra["pubkey"];
  return typeof pk === "string" && HEX32.test(pk) ? pk.toLowerCase() : undefined;
}

/** A fixed valid public key, verified against when the user has no such key (equal timing). */
const DUMMY_KEY = fromHex("1adfc8bfe1d35616e64dffbd900096f23b066f914c8c2ffbb66f6075b96e116d")!;

/** The channel id to XOR into the challenge, when the requested binding is available. */
function channelId(info: HelloInfo): { type: string; id: Uint8Array } | undefined {
  const requested = info.authextra["channel_binding"];
  const cb = info.channelBinding;
  if (typeof requested !== "string" || !cb || cb.type !== requested || cb.data.length !== 32) return undefined;
  return { type: cb.type, id: cb.data };
}

function authidOf(info: HelloInfo): string | undefined {
  return info.authid !== undefined && info.authid !== "" ? info.authid : pubkeyOf(info);
}

export const cryptosignMethod: AuthMethod = {
  names: ["cryptosign"],
  usable: (info) => pubkeyOf(info) !== undefined,
  authid: authidOf,
  start(info, _authmethod, ctx) {
    const pubkey = pubkeyOf(info)!;
    const authid = authidOf(info)!;
    const challenge = ctx.random.bytes(32);
    const binding = channelId(info);
    const message = binding ? xor(challenge, binding.id) : challenge;
    return Promise.resolve({
      kind: "challenge",
      authmethod: "cryptosign",
      extra: { challenge: toHex(challenge), channel_binding: binding ? binding.type : null },
      async next(signature) {
        const bytes = fromHex(signature);
        if (!bytes || (bytes.length !== 64 && bytes.length !== 96)) return AUTH_FAILED;
        if (bytes.length === 96 && !constantTimeEqual(bytes.subarray(64), message)) return AUTH_FAILED;
        const user = activeUser(ctx.store, authid);
        const authorized = user?.credentials.cryptosign?.authorizedKeys.some((k) => k.toLowerCase() === pubkey) ?? false;
        const key = authorized ? fromHex(pubkey)! : DUMMY_KEY;
        const valid = await ed25519Verify(key, bytes.subarray(0, 64), message);
        return valid && authorized && user
          ? { kind: "welcome", identity: { authid: user.authid, authrole: user.authrole, authmethod: "cryptosign", authprovider: "static" } }
          : AUTH_FAILED;
      },
    });
  },
};
