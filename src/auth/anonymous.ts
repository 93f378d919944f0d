/**
 * Anonymous authentication. The WAMP spec names the method but does not specify it; this
 * follows Crossbar: HELLO with `authmethods: ["anonymous"]` (or none at all) on a realm that
 * allows it gets WELCOME without a CHALLENGE, `authmethod: "anonymous"`, a router-generated
 * authid and the realm's anonymous role. A requested authid is not honoured: an anonymous
 * client must not pass itself off as a registered user.
 * @module
 */
import { toHex } from "./crypto.ts";
import type { AuthMethod } from "./method.ts";

export const anonymousMethod: AuthMethod = {
  names: ["anonymous"],
  usable: (_info, ctx) => ctx.store.anonymousRole !== undefined,
  authid: () => undefined,
  start(_info, _authmethod, ctx) {
    return Promise.resolve({
      kind: "welcome",
      identity: {
        authid: `anonymous-${toHex(ctx.random.bytes(8))}`,
        authrole: ctx.store.anonymousRole!,
        authmethod: "anonymous",
        authprovider: "static",
      },
    });
  },
};
