/**
 * Groups (roles) of a realm. A group may be a member of other groups; a member of a group has
 * the grants of every group it transitively belongs to. Cycles are refused when a membership
 * is added, so the transitive closure is always finite and well defined.
 * @module
 */
import { type Dict, isDict } from "../wamp/validate.ts";
import { E_CYCLE, invalid, SecurityError } from "./errors.ts";
import { groupList, nameProblem } from "./names.ts";
import { unknownKeys } from "./user.ts";

export interface GroupEntry {
  readonly name: string;
  /** Groups this group is a member of. */
  readonly groups: readonly string[];
  readonly metadata?: Dict;
}

export interface GroupChanges {
  readonly groups?: readonly string[];
  readonly metadata?: Dict | null;
}

export interface GroupView {
  name: string;
  groups: string[];
  metadata?: Dict;
}

export type ParentsOf = (group: string) => readonly string[] | undefined;

/**
 * Every group reachable from `start` through membership, `start` included (names that are not
 * groups, such as a JWT role or "anonymous", are kept as they are).
 */
export function closure(start: Iterable<string>, parentsOf: ParentsOf): Set<string> {
  const seen = new Set<string>();
  const stack = [...start];
  while (stack.length > 0) {
    const g = stack.pop()!;
    if (seen.has(g)) continue;
    seen.add(g);
    for (const p of parentsOf(g) ?? []) if (!seen.has(p)) stack.push(p);
  }
  return seen;
}

/** Throws when making `name` a member of `parents` would make it a member of itself. */
export function refuseCycle(name: string, parents: readonly string[], parentsOf: ParentsOf): void {
  if (parents.includes(name)) throw new SecurityError(E_CYCLE, `group "${name}" cannot be a member of itself`);
  // Walk up from the new parents; reaching `name` again closes a loop.
  const reachable = closure(parents, (g) => (g === name ? [] : parentsOf(g)));
  if (reachable.has(name)) {
    throw new SecurityError(E_CYCLE, `group "${name}" cannot join ${list(parents)}: ${path(parents, name, parentsOf)}`);
  }
}

/** A readable loop for the error message: `a -> b -> c -> a`. */
function path(parents: readonly string[], name: string, parentsOf: ParentsOf): string {
  const prev = new Map<string, string>();
  const queue = parents.map((p) => {
    prev.set(p, name);
    return p;
  });
  while (queue.length > 0) {
    const g = queue.shift()!;
    if (g === name) break;
    for (const p of parentsOf(g) ?? []) {
      if (!prev.has(p)) {
        prev.set(p, g);
        queue.push(p);
      }
    }
  }
  const chain = [name];
  let at = prev.get(name);
  while (at !== undefined && at !== name) {
    chain.unshift(at);
    at = prev.get(at);
  }
  chain.unshift(name);
  return `that would make a cycle ${chain.join(" -> ")}`;
}

function list(names: readonly string[]): string {
  return names.map((n) => `"${n}"`).join(", ");
}

export function groupView(g: GroupEntry): GroupView {
  return { name: g.name, groups: [...g.groups], ...(g.metadata ? { metadata: g.metadata } : {}) };
}

// --- parsing untrusted input ---

export function parseGroupInput(v: unknown): GroupEntry {
  if (!isDict(v)) throw invalid("a group must be a dict such as {name, groups}");
  unknownKeys(v, ["name", "groups", "metadata"], "group");
  const p = nameProblem("group", v["name"]);
  if (p) throw invalid(p);
  const c = fields(v);
  return {
    name: v["name"] as string,
    groups: c.groups ?? [],
    ...(c.metadata ? { metadata: c.metadata } : {}),
  };
}

export function parseGroupChanges(v: unknown): GroupChanges {
  if (!isDict(v)) throw invalid("the changes must be a dict such as {groups}");
  unknownKeys(v, ["groups", "metadata"], "group change");
  return fields(v);
}

function fields(d: Dict): { groups?: string[]; metadata?: Dict | null } {
  const out: { groups?: string[]; metadata?: Dict | null } = {};
  if (d["groups"] !== undefined) {
    out.groups = groupList(d["groups"]);
  }
  if (d["metadata"] !== undefined) {
    if (d["metadata"] !== null && !isDict(d["metadata"])) throw invalid("metadata must be a dict");
    out.metadata = d["metadata"] as Dict | null;
  }
  return out;
}
