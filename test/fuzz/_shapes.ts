/**
 * The WAMP message table the fuzzers generate from: the client-to-router shapes mirror
 * `CLIENT_SHAPES` in src/wamp/validate.ts (which does not export them; shapes_test.ts checks
 * that this copy and the validator agree), and the router-to-client shapes are what the
 * fuzzers hold the router's output to (spec "Message Definitions").
 * @module
 */

export type Kind = "id" | "int" | "dict" | "uri" | "string" | "list";

export interface Shape {
  readonly code: number;
  readonly name: string;
  /** Kinds of the elements after the type code. */
  readonly fields: readonly Kind[];
  /** How many of `fields` are required; the rest (a trailing payload) are optional. */
  readonly required: number;
}

const PAYLOAD: readonly Kind[] = ["list", "dict"];

function shape(code: number, name: string, fields: readonly Kind[], required: number): Shape {
  return { code, name, fields, required };
}

/** What a client may send (spec "Message Codes and Direction"). */
export const CLIENT_SHAPES: readonly Shape[] = [
  shape(1, "HELLO", ["uri", "dict"], 2),
  shape(3, "ABORT", ["dict", "uri", ...PAYLOAD], 2),
  shape(5, "AUTHENTICATE", ["string", "dict"], 2),
  shape(6, "GOODBYE", ["dict", "uri"], 2),
  shape(8, "ERROR", ["int", "id", "dict", "uri", ...PAYLOAD], 4),
  shape(16, "PUBLISH", ["id", "dict", "uri", ...PAYLOAD], 3),
  shape(32, "SUBSCRIBE", ["id", "dict", "uri"], 3),
  shape(34, "UNSUBSCRIBE", ["id", "id"], 2),
  shape(48, "CALL", ["id", "dict", "uri", ...PAYLOAD], 3),
  shape(49, "CANCEL", ["id", "dict"], 2),
  shape(64, "REGISTER", ["id", "dict", "uri"], 3),
  shape(66, "UNREGISTER", ["id", "id"], 2),
  shape(70, "YIELD", ["id", "dict", ...PAYLOAD], 2),
];

export const CLIENT_SHAPE: ReadonlyMap<number, Shape> = new Map(CLIENT_SHAPES.map((s) => [s.code, s]));

/** Messages only a router sends: a client sending one commits a protocol violation. */
export const ROUTER_ONLY: readonly number[] = [2, 4, 17, 33, 35, 36, 50, 65, 67, 68, 69];

/**
 * What a router may send to a client. UNSUBSCRIBED and UNREGISTERED carry request id 0 in
 * their revocation form (spec "Subscription/Registration Revocation"), hence `int`.
 */
export const ROUTER_SHAPES: ReadonlyMap<number, Shape> = new Map([
  shape(2, "WELCOME", ["id", "dict"], 2),
  shape(3, "ABORT", ["dict", "uri", ...PAYLOAD], 2),
  shape(4, "CHALLENGE", ["string", "dict"], 2),
  shape(6, "GOODBYE", ["dict", "uri"], 2),
  shape(8, "ERROR", ["int", "id", "dict", "uri", ...PAYLOAD], 4),
  shape(17, "PUBLISHED", ["id", "id"], 2),
  shape(33, "SUBSCRIBED", ["id", "id"], 2),
  shape(35, "UNSUBSCRIBED", ["int", "dict"], 1),
  shape(36, "EVENT", ["id", "id", "dict", ...PAYLOAD], 3),
  shape(50, "RESULT", ["id", "dict", ...PAYLOAD], 2),
  shape(65, "REGISTERED", ["id", "id"], 2),
  shape(67, "UNREGISTERED", ["int", "dict"], 1),
  shape(68, "INVOCATION", ["id", "id", "dict", ...PAYLOAD], 3),
  shape(69, "INTERRUPT", ["id", "dict"], 2),
].map((s) => [s.code, s]));

/**
 * Request types of the ERRORs a router sends: the client's requests, and INVOCATION (spec
 * "Payload Passthru Mode": the dealer answers a YIELD it cannot pass on with an ERROR to the
 * callee).
 */
export const ERROR_REQUEST_TYPES: ReadonlySet<number> = new Set([16, 32, 34, 48, 49, 64, 66, 68]);

const MAX_ID = 2 ** 53;

function fits(kind: Kind, v: unknown): boolean {
  switch (kind) {
    case "id":
      return typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= MAX_ID;
    case "int":
      return typeof v === "number" && Number.isInteger(v) && v >= 0;
    case "dict":
      return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
    case "uri":
    case "string":
      return typeof v === "string";
    case "list":
      return Array.isArray(v);
  }
}

/** Why a message the router sent is not a well-formed router-to-client message, or undefined. */
export function routerMessageProblem(m: unknown): string | undefined {
  if (!Array.isArray(m) || m.length === 0) return "not a non-empty list";
  const s = ROUTER_SHAPES.get(m[0] as number);
  if (!s) return `type ${String(m[0])} is not a router-to-client message`;
  const n = m.length - 1;
  if (n < s.required || n > s.fields.length) return `${s.name} with ${m.length} elements`;
  for (let i = 0; i < n; i++) {
    if (!fits(s.fields[i]!, m[i + 1])) return `${s.name} element ${i + 1} is not a ${s.fields[i]}`;
  }
  if (s.code === 8 && !ERROR_REQUEST_TYPES.has(m[1] as number)) return `ERROR for request type ${String(m[1])}`;
  return undefined;
}
