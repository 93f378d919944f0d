/**
 * Resolves `Ref` placeholders in a fuzzed message to ids the run has seen.
 * @module
 */
import { Exotic } from "./_exotics.ts";
import type { ConnModel } from "./_session_model.ts";
import { Ref, type RefPool } from "./_values.ts";

/** Ids seen by all fuzzed clients of one run. */
export type Pools = Record<Exclude<RefPool, "next" | "req" | "inv">, number[]>;

export function emptyPools(): Pools {
  return { sub: [], reg: [], pub: [], session: [] };
}

function pick(list: readonly number[], k: number): number {
  return list.length === 0 ? 1 + (k % 5) : list[k % list.length]!;
}

export function resolveRefs(value: unknown, model: ConnModel, pools: Pools): unknown {
  if (value instanceof Ref) {
    switch (value.pool) {
      case "next": {
        const id = model.nextRequest++;
        model.requests.push(id);
        return id;
      }
      case "req":
        return pick(model.requests, value.k);
      case "inv":
        return pick(model.invocations, value.k);
      default:
        return pick(pools[value.pool], value.k);
    }
  }
  if (value instanceof Exotic || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map((v) => resolveRefs(v, model, pools));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      Object.defineProperty(out, k, { value: resolveRefs(v, model, pools), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}
