/**
 * Words for configuration error messages: a key path as a person writes it, what a schema
 * accepts, and what the file held instead.
 * @module
 */

/** A JSON Schema node, read loosely: only the keywords the config schema uses. */
export interface SchemaNode {
  type?: string;
  enum?: readonly unknown[];
  anyOf?: readonly SchemaNode[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  /** The config schema's own annotation: how an error message names what the key takes. */
  expected?: string;
}

/** `["transports", "websocket", "port"]` -> `transports.websocket.port`; indexes as `[0]`. */
export function formatPath(segments: readonly string[]): string {
  let out = "";
  for (const seg of segments) {
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Splits a JSON Pointer (RFC 6901) such as `/realms/0/name` into its unescaped segments. */
export function pointerSegments(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer.slice(1).split("/").map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
}

/** The schema node that governs the value at `segments`, if the schema describes it. */
export function schemaAt(root: SchemaNode, segments: readonly string[]): SchemaNode | undefined {
  let node: SchemaNode | undefined = root;
  for (const seg of segments) {
    if (!node) return undefined;
    if (node.properties && Object.hasOwn(node.properties, seg)) node = node.properties[seg];
    else if (node.items && /^\d+$/.test(seg)) node = node.items;
    else return undefined;
  }
  return node;
}

/** The value at `segments` inside a parsed JSON document. */
export function valueAt(root: unknown, segments: readonly string[]): unknown {
  let v = root;
  for (const seg of segments) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[seg];
  }
  return v;
}

/** What a schema accepts, as the tail of "expected ...". */
export function describeExpected(s: SchemaNode | undefined): string {
  if (!s) return "nothing here";
  if (s.expected) return s.expected;
  const choices = s.enum ?? (s.anyOf?.every((b) => "const" in b) ? s.anyOf.map((b) => b.const) : undefined);
  if (choices) return `one of ${choices.map((c) => JSON.stringify(c)).join(", ")}`;
  switch (s.type) {
    case "integer":
    case "number": {
      const noun = s.type === "integer" ? "an integer" : "a number";
      if (s.minimum !== undefined && s.maximum !== undefined) return `${noun} from ${s.minimum} to ${s.maximum}`;
      if (s.minimum !== undefined) return `${noun} of at least ${s.minimum}`;
      if (s.maximum !== undefined) return `${noun} of at most ${s.maximum}`;
      return noun;
    }
    case "string":
      return s.minLength ? "a non-empty string" : "a string";
    case "boolean":
      return "true or false";
    case "array":
      return "a list";
    case "object":
      return "an object";
    default:
      return "a valid value";
  }
}

const MAX_SHOWN = 60;

/** A found value as an error message shows it: scalars literally, containers by kind. */
export function describeFound(v: unknown): string {
  if (v === undefined) return "nothing";
  if (Array.isArray(v)) return "a list";
  if (v !== null && typeof v === "object") return "an object";
  const text = JSON.stringify(v);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

/** The closest of `candidates` to a misspelt `key`, when it is close enough to be a typo. */
export function closestKey(key: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.min(2, Math.floor(key.length / 3)));
  for (const c of candidates) {
    const d = editDistance(key.toLowerCase(), c.toLowerCase());
    if (d <= bestDistance) {
      best = c;
      bestDistance = d - 1;
      if (d === 0) break;
    }
  }
  return best;
}

/** Damerau-Levenshtein with adjacent transpositions, so "prot" is one step from "port". */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) rows.push([i, ...Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i]!;
    const prev = rows[i - 1]!;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row[j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}
