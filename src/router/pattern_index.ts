/**
 * URIs and URI patterns (spec "Pattern-based Subscription" / "Pattern-based Registration"):
 * `exact`, `prefix` (plain string prefix: `com.a` matches `com.a.b` and `com.ab`) and
 * `wildcard` (same number of components; an empty component matches any one component).
 * Shared by the broker and the dealer.
 * @module
 */
import type { MatchPolicy } from "../wamp/uri_check.ts";

export type { MatchPolicy };

/** Reads the `match` option of SUBSCRIBE/REGISTER; undefined when it is not a known policy. */
export function matchPolicyOf(options: Record<string, unknown>): MatchPolicy | undefined {
  const m = options["match"];
  if (m === undefined) return "exact";
  return m === "exact" || m === "prefix" || m === "wildcard" ? m : undefined;
}

interface WildcardNode<T> {
  children: Map<string, WildcardNode<T>>;
  /** Entries whose pattern ends at this node. */
  values: T[];
}

function node<T>(): WildcardNode<T> {
  return { children: new Map(), values: [] };
}

/**
 * Entries keyed by (pattern, policy). Lookups are by the exact key; matching finds every entry
 * whose pattern matches a concrete URI. Exact matching is a map lookup, prefix matching one
 * lookup per distinct prefix length, wildcard matching a walk of a component trie.
 */
export class PatternIndex<T> {
  readonly #exact = new Map<string, T>();
  readonly #prefix = new Map<string, T>();
  /** How many prefix patterns have each length; matching tries only lengths in use. */
  readonly #prefixLengths = new Map<number, number>();
  readonly #wildcard = new Map<string, T>();
  readonly #trie: WildcardNode<T> = node();

  get size(): number {
    return this.#exact.size + this.#prefix.size + this.#wildcard.size;
  }

  get(uri: string, match: MatchPolicy): T | undefined {
    return this.#map(match).get(uri);
  }

  set(uri: string, match: MatchPolicy, value: T): void {
    const map = this.#map(match);
    const had = map.get(uri);
    map.set(uri, value);
    if (match === "prefix" && had === undefined) {
      this.#prefixLengths.set(uri.length, (this.#prefixLengths.get(uri.length) ?? 0) + 1);
    } else if (match === "wildcard") {
      let n = this.#trie;
      for (const part of uri.split(".")) {
        let next = n.children.get(part);
        if (!next) n.children.set(part, (next = node()));
        n = next;
      }
      if (had !== undefined) n.values.splice(n.values.indexOf(had), 1);
      n.values.push(value);
    }
  }

  delete(uri: string, match: MatchPolicy): void {
    const map = this.#map(match);
    const had = map.get(uri);
    if (had === undefined) return;
    map.delete(uri);
    if (match === "prefix") {
      const left = (this.#prefixLengths.get(uri.length) ?? 1) - 1;
      if (left === 0) this.#prefixLengths.delete(uri.length);
      else this.#prefixLengths.set(uri.length, left);
    } else if (match === "wildcard") {
      this.#trieDelete(this.#trie, uri.split("."), 0, had);
    }
  }

  /** Every entry matching a concrete URI, in no particular order. */
  matches(uri: string): T[] {
    const out: T[] = [];
    const exact = this.#exact.get(uri);
    if (exact !== undefined) out.push(exact);
    if (this.#prefix.size > 0) {
      for (const len of this.#prefixLengths.keys()) {
        if (len > uri.length) continue;
        const v = this.#prefix.get(uri.slice(0, len));
        if (v !== undefined) out.push(v);
      }
    }
    if (this.#wildcard.size > 0) this.#walk(this.#trie, uri.split("."), 0, out);
    return out;
  }

  /**
   * The single best match (spec "Pattern-based Registration": an exact registration wins, then
   * the longest prefix, then a wildcard; among wildcards the one whose first wildcard position
   * comes last, so more leading literal components win).
   */
  best(uri: string): { value: T; match: MatchPolicy } | undefined {
    const exact = this.#exact.get(uri);
    if (exact !== undefined) return { value: exact, match: "exact" };
    let bestLen = -1;
    let bestPrefix: T | undefined;
    for (const len of this.#prefixLengths.keys()) {
      if (len > uri.length || len <= bestLen) continue;
      const v = this.#prefix.get(uri.slice(0, len));
      if (v !== undefined) {
        bestLen = len;
        bestPrefix = v;
      }
    }
    if (bestPrefix !== undefined) return { value: bestPrefix, match: "prefix" };
    if (this.#wildcard.size === 0) return undefined;
    // Depth-first with literal children before the wildcard child gives the pattern with the
    // longest run of leading literal components first.
    const found = this.#first(this.#trie, uri.split("."), 0);
    return found === undefined ? undefined : { value: found, match: "wildcard" };
  }

  values(): IterableIterator<T> {
    return [...this.#exact.values(), ...this.#prefix.values(), ...this.#wildcard.values()][Symbol.iterator]();
  }

  #map(match: MatchPolicy): Map<string, T> {
    return match === "exact" ? this.#exact : match === "prefix" ? this.#prefix : this.#wildcard;
  }

  #walk(n: WildcardNode<T>, parts: string[], i: number, out: T[]): void {
    if (i === parts.length) {
      for (const v of n.values) out.push(v);
      return;
    }
    const lit = n.children.get(parts[i]!);
    if (lit) this.#walk(lit, parts, i + 1, out);
    const any = n.children.get("");
    if (any && parts[i] !== "") this.#walk(any, parts, i + 1, out);
  }

  #first(n: WildcardNode<T>, parts: string[], i: number): T | undefined {
    if (i === parts.length) return n.values[0];
    const lit = n.children.get(parts[i]!);
    if (lit) {
      const v = this.#first(lit, parts, i + 1);
      if (v !== undefined) return v;
    }
    const any = n.children.get("");
    return any && parts[i] !== "" ? this.#first(any, parts, i + 1) : undefined;
  }

  #trieDelete(n: WildcardNode<T>, parts: string[], i: number, value: T): boolean {
    if (i === parts.length) {
      const at = n.values.indexOf(value);
      if (at >= 0) n.values.splice(at, 1);
    } else {
      const child = n.children.get(parts[i]!);
      if (child && this.#trieDelete(child, parts, i + 1, value)) n.children.delete(parts[i]!);
    }
    return n.values.length === 0 && n.children.size === 0;
  }
}
