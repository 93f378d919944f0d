/**
 * Short, always-printable renderings of fuzzed values for failure reports (BigInt, binary,
 * nesting deeper than the stack: none of them may make the report itself throw).
 * @module
 */

export function show(v: unknown, max = 300): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(v, (_k, x: unknown) =>
      typeof x === "bigint" ? `${x}n` : x instanceof Uint8Array ? `<${x.length} bytes>` : x);
  } catch {
    try {
      s = String(v);
    } catch (e) {
      s = `<unprintable: ${e instanceof Error ? e.message : "?"}>`; // e.g. nesting deeper than the stack
    }
  }
  if (s === undefined) s = String(v);
  return s.length > max ? s.slice(0, max - 3) + "..." : s;
}
