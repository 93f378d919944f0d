/**
 * Ticket authentication (spec "Ticket-based Authentication"): HELLO with `ticket` and an
 * authid, CHALLENGE `[4, "ticket", {}]`, AUTHENTICATE with the ticket in clear (so only over
 * TLS in production), WELCOME or ABORT.
 *
 * Two kinds of ticket:
 * - static: checked against the user's stored DerivedSecret (PBKDF2 of the ticket);
 * - JWT, when the realm has JwtTicketSettings: authid = `sub`, authrole = the role claim,
 *   authprovider "jwt". A HELLO authid, when given, must equal `sub`. A user of that authid
 *   that is disabled in the realm's database is refused even with a valid token.
 * A JWT-shaped ticket that does not verify is still tried as a static ticket, so a password
 * that happens to look like a JWT keeps working.
 * @module
 */
import { CRA_DEFAULTS, craDerivedKey } from "./derive.ts";
import { constantTimeEqual, utf8 } from "./crypto.ts";
import { looksLikeJwt, verifyJwtTicket } from "./jwt.ts";
import { activeUser, AUTH_FAILED, type AuthMethod, type MethodContext, mockSalt, welcome } from "./method.ts";
import type { AuthOutcome, HelloInfo } from "./types.ts";

async function checkTicket(info: HelloInfo, ticket: string, ctx: MethodContext): Promise<AuthOutcome> {
  const jwt = ctx.store.jwt;
  if (jwt && looksLikeJwt(ticket)) {
    const claims = await verifyJwtTicket(ticket, jwt, ctx.clock.now());
    if (claims && (info.authid === undefined || info.authid === claims.sub)) {
      const user = ctx.store.user(claims.sub);
      if (user && !user.enabled) return AUTH_FAILED;
      return {
        kind: "welcome",
        identity: { authid: claims.sub, authrole: claims.role, authmethod: "ticket", authprovider: "jwt" },
      };
    }
  }
  const authid = info.authid;
  if (authid === undefined) return AUTH_FAILED;
  const stored = ctx.store.user(authid)?.credentials.ticket;
  // Unknown users cost the same PBKDF2 as known ones, so timing does not tell them apart.
  const params = stored ?? { salt: await mockSalt(ctx, "ticket-salt", authid), ...CRA_DEFAULTS, derivedKey: "" };
  const derived = await craDerivedKey(ticket, params.salt, params.iterations, params.keylen);
  const ok = constantTimeEqual(utf8(derived), utf8(params.derivedKey));
  const user = activeUser(ctx.store, authid);
  return ok && user && stored ? welcome(user, "ticket") : AUTH_FAILED;
}

export const ticketMethod: AuthMethod = {
  names: ["ticket"],
  // Spec: authid MUST be present; a JWT carries its own subject, so a realm with JWT tickets
  // also accepts a HELLO without one.
  usable: (info, ctx) => (info.authid !== undefined && info.authid !== "") || ctx.store.jwt !== undefined,
  authid: (info) => info.authid,
  start(info, _authmethod, ctx) {
    return Promise.resolve({
      kind: "challenge",
      authmethod: "ticket",
      extra: {},
      next: (signature) => checkTicket(info, signature, ctx),
    });
  },
};
