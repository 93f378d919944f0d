/**
 * The authorization fast path. For each distinct subject (a user with its groups, or a role
 * alone) the grants that apply are merged once into a PatternIndex of action masks: an
 * authorization is then an exact-map lookup plus one lookup per prefix length in use and a
 * walk of the wildcard trie, with no group traversal. The cache is dropped on every change to
 * users, groups or grants (rare, admin-driven) and rebuilt lazily.
 * @module
 */
import { PatternIndex } from "../router/pattern_index.ts";
import type { GrantEntry } from "./grant.ts";
import { closure, type ParentsOf } from "./group.ts";

/** Bounds the cache: JWT tickets can bring any number of distinct authids. */
const MAX_SUBJECTS = 10_000;

export interface GrantSource {
  /** Grants held by a principal. */
  grantsOf(kind: "role" | "user", name: string): Iterable<GrantEntry>;
  readonly parentsOf: ParentsOf;
}

export class GrantIndex {
  readonly #source: GrantSource;
  readonly #bySubject = new Map<string, PatternIndex<number>>();

  constructor(source: GrantSource) {
    this.#source = source;
  }

  #generation = 0;

  /** Bumped by every invalidation: callers caching an index compare it before reuse. */
  get generation(): number {
    return this.#generation;
  }

  invalidate(): void {
    this.#bySubject.clear();
    this.#generation++;
  }

  /**
   * The merged index for a subject: the grants of `authid` (when given) and of every role in
   * the transitive closure of `roles`. `key` names the subject in the cache.
   */
  subject(key: string, authid: string | undefined, roles: () => Iterable<string>): PatternIndex<number> {
    let idx = this.#bySubject.get(key);
    if (idx) return idx;
    idx = new PatternIndex<number>();
    const add = (g: GrantEntry) => idx!.set(g.uri, g.match, (idx!.get(g.uri, g.match) ?? 0) | g.actions);
    if (authid !== undefined) for (const g of this.#source.grantsOf("user", authid)) add(g);
    for (const role of closure(roles(), this.#source.parentsOf)) {
      for (const g of this.#source.grantsOf("role", role)) add(g);
    }
    if (this.#bySubject.size >= MAX_SUBJECTS) this.#bySubject.clear();
    this.#bySubject.set(key, idx);
    return idx;
  }
}

/** Whether any pattern of the index matching `uri` allows the action bit. */
export function allows(idx: PatternIndex<number>, uri: string, bit: number): boolean {
  if (idx.size === 0) return false;
  for (const mask of idx.matches(uri)) if ((mask & bit) !== 0) return true;
  return false;
}
