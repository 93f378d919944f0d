/**
 * The authorization seam: every request of an established session is checked before it
 * changes anything. Checks are synchronous (grants are held in memory) so the router's
 * message path stays free of `await`.
 * @module
 */
import type { Identity } from "./types.ts";

/** The actions a grant can allow (Bondy's model, spec "Authorization"). */
export type Action = "call" | "cancel" | "register" | "unregister" | "publish" | "subscribe" | "unsubscribe";

export interface Authorizer {
  authorize(identity: Identity, action: Action, uri: string): boolean;
}
