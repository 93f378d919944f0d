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

/**
 * URIs only the router itself may register or publish on: the `wamp` component (spec
 * "Reserved URIs") and Junction's own `junction` component (the admin API, src/security/),
 * as Crossbar reserves `crossbar`.
 */
export function isReservedUri(uri: string): boolean {
  return uri === "wamp" || uri.startsWith("wamp.") || uri === "junction" || uri.startsWith("junction.");
}

/** The reserved namespace a URI falls in, for error messages: "wamp.*" or "junction.*". */
export function reservedNamespace(uri: string): string {
  return uri === "wamp" || uri.startsWith("wamp.") ? "wamp.*" : "junction.*";
}

/**
 * Topics clients may not subscribe to: Junction's own `junction.*` namespace. Subscribing in
 * `wamp.*` stays allowed, since that is how clients hear meta events.
 */
export function isSubscribeForbidden(uri: string): boolean {
  return uri === "junction" || uri.startsWith("junction.");
}
