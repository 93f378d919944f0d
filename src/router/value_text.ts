/**
 * Short, readable renderings of client-supplied values for the explanations in ERROR messages
 * ("found string \"regex\"", "found the list [1,\"x\"]"), cut so a large value cannot bloat them.
 * @module
 */

export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `the list ${short(v)}`;
  if (v instanceof Uint8Array) return "binary";
  return `${typeof v} ${short(v)}`;
}

/**
 * Never throws: client values may be BigInts (CBOR bignums) or nested deeper than the stack
 * allows, which both JSON.stringify and String() reject.
 */
function short(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = typeof v === "bigint" ? `${v}n` : Array.isArray(v) ? "[...]" : typeof v === "object" ? "{...}" : typeof v;
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
