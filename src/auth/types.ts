/**
 * The authentication seam (spec "Authentication"): the session hands a HELLO to its realm's
 * authenticator and gets back WELCOME, CHALLENGE or ABORT. Crypto is async (Web Crypto), so
 * this is one of the core's few async edges; the session re-checks that it is still alive and
 * still waiting when the promise settles.
 * @module
 */
import type { TransportInfo } from "../platform/transport.ts";
import type { Dict } from "../wamp/validate.ts";

/** What the authenticator learns from HELLO and the transport. */
export interface HelloInfo {
  readonly realm: string;
  /** The id WELCOME will carry, already drawn (WAMP-CRA puts it in its challenge). */
  readonly sessionId: number;
  /** HELLO.Details.authmethods in the client's order of preference; empty when absent. */
  readonly authmethods: readonly string[];
  readonly authid: string | undefined;
  /** Requested role (autobahn extension); the router may ignore it. */
  readonly authrole: string | undefined;
  readonly authextra: Dict;
  readonly transport: TransportInfo;
  /**
   * Channel binding data when the transport provides it (e.g. TLS unique); cryptosign
   * includes it in the signed challenge. Undefined on plain transports.
   */
  readonly channelBinding?: { readonly type: string; readonly data: Uint8Array };
}

/** The identity a successful authentication establishes (WELCOME.Details and the meta API). */
export interface Identity {
  readonly authid: string;
  readonly authrole: string;
  readonly authmethod: string;
  readonly authprovider: string;
  /** Sent back in WELCOME.Details.authextra when present. */
  readonly authextra?: Dict;
}

export type AuthOutcome =
  | { readonly kind: "welcome"; readonly identity: Identity }
  | {
    readonly kind: "challenge";
    readonly authmethod: string;
    readonly extra: Dict;
    /** Called with AUTHENTICATE's signature and extra; may challenge again (multi-step, SCRAM). */
    readonly next: (signature: string, extra: Dict) => Promise<AuthOutcome>;
  }
  /**
   * Refusal. `reason` is the ABORT URI; per the security policy it must not reveal whether
   * the authid exists (same answer for unknown user and wrong secret).
   */
  | { readonly kind: "abort"; readonly reason: string; readonly message: string };

/** A realm's authentication policy: chooses among the client's methods and runs one. */
export interface Authenticator {
  hello(info: HelloInfo): Promise<AuthOutcome>;
}
