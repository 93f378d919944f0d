/**
 * Reading a HELLO (spec "HELLO", "Client: Role and Feature Announcement") and building the
 * WELCOME that answers it.
 * @module
 */
import type { HelloInfo, Identity } from "../auth/types.ts";
import type { TransportInfo } from "../platform/transport.ts";
import * as C from "../wamp/codes.ts";
import { CLIENT_ROLES } from "../wamp/features.ts";
import { isValidUri } from "../wamp/uri_check.ts";
import * as U from "../wamp/uris.ts";
import { type Dict, isDict } from "../wamp/validate.ts";

/** The announced roles, or why the HELLO is refused (the ABORT reason and message). */
export type HelloCheck =
  | { readonly ok: true; readonly roles: Dict }
  | { readonly ok: false; readonly reason: string; readonly message: string };

/** Checks the realm URI and the announced roles. */
export function checkHello(realmUri: string, details: Dict): HelloCheck {
  if (!isValidUri(realmUri, "loose")) {
    return { ok: false, reason: U.E_INVALID_URI, message: `the realm "${realmUri}" is not a valid URI` };
  }
  const roles = details["roles"];
  if (!isDict(roles) || !CLIENT_ROLES.some((r) => isDict(roles[r]))) {
    return {
      ok: false,
      reason: U.E_PROTOCOL_VIOLATION,
      message: "HELLO.Details.roles must be a dict announcing at least one of publisher, subscriber, caller, callee",
    };
  }
  for (const r of CLIENT_ROLES) {
    if (roles[r] !== undefined && !isDict(roles[r])) {
      return { ok: false, reason: U.E_PROTOCOL_VIOLATION, message: `HELLO.Details.roles.${r} must be a dict` };
    }
  }
  return { ok: true, roles };
}

/** What the authenticator learns from HELLO.Details and the transport. */
export function helloInfo(realm: string, sessionId: number, details: Dict, transport: TransportInfo): HelloInfo {
  const methods = details["authmethods"];
  const authextra = details["authextra"];
  return {
    realm,
    sessionId,
    authmethods: Array.isArray(methods) ? methods.filter((m): m is string => typeof m === "string") : [],
    authid: typeof details["authid"] === "string" ? details["authid"] : undefined,
    authrole: typeof details["authrole"] === "string" ? details["authrole"] : undefined,
    authextra: isDict(authextra) ? authextra : {},
    transport,
  };
}

/**
 * The identity in a realm open to anonymous clients. A requested authid is kept, as Crossbar
 * does for anonymous sessions.
 */
export function anonymousIdentity(details: Dict, sessionId: number): Identity {
  const requested = details["authid"];
  return {
    authid: typeof requested === "string" && requested !== "" ? requested : `anonymous-${sessionId}`,
    authrole: "anonymous",
    authmethod: "anonymous",
    authprovider: "static",
  };
}

export function welcomeMessage(
  sessionId: number,
  realm: string,
  roles: Record<string, unknown>,
  identity: Identity,
  agent: string,
): unknown[] {
  const details: Dict = {
    realm,
    authid: identity.authid,
    authrole: identity.authrole,
    authmethod: identity.authmethod,
    authprovider: identity.authprovider,
    roles,
    agent,
  };
  if (identity.authextra) details["authextra"] = identity.authextra;
  return [C.WELCOME, sessionId, details];
}

/**
 * A smaller form of a router-made message, for a peer whose message limit the full one
 * exceeds (spec "RawSocket": never send more than the peer accepts): WELCOME without feature
 * lists and agent, ERROR without explanation and details, ABORT and GOODBYE without details.
 */
export function shrink(message: readonly unknown[]): unknown[] | undefined {
  switch (message[0]) {
    case C.WELCOME: {
      const d = message[2] as Dict;
      const keep: Dict = { roles: { broker: {}, dealer: {} } };
      for (const k of ["realm", "authid", "authrole", "authmethod", "authprovider"]) keep[k] = d[k];
      return [C.WELCOME, message[1], keep];
    }
    case C.ERROR:
      return message.length > 5 || Object.keys(message[3] as Dict).length > 0
        ? [...message.slice(0, 3), {}, message[4]]
        : undefined;
    case C.ABORT:
    case C.GOODBYE:
      return [message[0], {}, message[2]];
    default:
      return undefined;
  }
}
