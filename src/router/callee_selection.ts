/**
 * Which callee of a registration gets an invocation (spec "Shared Registration" policies and
 * "Sharded Registration" partitioned calls).
 * @module
 */
import type { RandomSource } from "../platform/random.ts";
import type { Session } from "../session/session.ts";
import type { Registration } from "./registrations.ts";

export function pickCallee(reg: Registration, random: RandomSource): Session {
  const callees = reg.callees;
  switch (reg.invoke) {
    case "single":
    case "first":
      return callees[0]!;
    case "last":
      return callees[callees.length - 1]!;
    case "roundrobin": {
      const i = reg.next % callees.length;
      reg.next = (i + 1) % callees.length;
      return callees[i]!;
    }
    case "random": {
      const b = random.bytes(4);
      const r = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
      return callees[r % callees.length]!;
    }
  }
}

/**
 * Partitioned call: the same key reaches the same callee while the set of callees does not
 * change. FNV-1a over the key's UTF-16 code units: cheap, stable across runtimes and restarts.
 */
export function pickPartition(reg: Registration, rkey: string): Session {
  let h = 0x811c9dc5;
  for (let i = 0; i < rkey.length; i++) {
    h ^= rkey.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return reg.callees[(h >>> 0) % reg.callees.length]!;
}
