/**
 * URI validation, spec "URIs": the loose rules are a MUST (no empty component, no `.`, `#` or
 * whitespace inside a component); strict rules (components of [0-9a-z_]) are a realm option.
 * @module
 */

const LOOSE = /^([^\s.#]+\.)*([^\s.#]+)$/u;
const STRICT = /^([0-9a-z_]+\.)*([0-9a-z_]+)$/;
/** Wildcard patterns may have empty components (spec "Pattern-based Subscription"). */
const LOOSE_EMPTY = /^(([^\s.#]+\.)|\.)*([^\s.#]+)?$/u;
const STRICT_EMPTY = /^(([0-9a-z_]+\.)|\.)*([0-9a-z_]+)?$/;
/** Prefix patterns may end in an empty component, e.g. `com.myapp.` (autobahn, Crossbar). */
const LOOSE_LAST_EMPTY = /^([^\s.#]+\.)*([^\s.#]*)$/u;
const STRICT_LAST_EMPTY = /^([0-9a-z_]+\.)*([0-9a-z_]*)$/;

export type UriCheck = "loose" | "strict";
export type MatchPolicy = "exact" | "prefix" | "wildcard";

export function isValidUri(uri: string, check: UriCheck, match: MatchPolicy = "exact"): boolean {
  if (uri.length === 0) return false;
  switch (match) {
    case "exact":
      return (check === "strict" ? STRICT : LOOSE).test(uri);
    case "prefix":
      return (check === "strict" ? STRICT_LAST_EMPTY : LOOSE_LAST_EMPTY).test(uri);
    case "wildcard":
      return (check === "strict" ? STRICT_EMPTY : LOOSE_EMPTY).test(uri);
  }
}

/** Application URIs must not start with the `wamp` component (spec "Reserved URIs"). */
export function isReservedUri(uri: string): boolean {
  return uri === "wamp" || uri.startsWith("wamp.");
}
