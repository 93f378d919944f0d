/**
 * Structural validation of every inbound message (spec "Message Definitions": no
 * polymorphism, so type code and length fix every element's type). A failure is a protocol
 * violation; the returned text becomes ABORT's `Details.message`.
 * @module
 */
import { EncodedValue } from "../serializer/encoded.ts";
import { messageName } from "./codes.ts";

export type Dict = Record<string, unknown>;

/** Largest id (spec "IDs": ids are integers in [1, 2^53]). */
export const MAX_ID = 2 ** 53;

type Kind = "id" | "int" | "dict" | "uri" | "string" | "list";

interface Shape {
  /** Kinds of the elements after the type code; trailing `list`/`dict` payload is optional. */
  readonly fields: readonly Kind[];
  /** How many of `fields` are required. */
  readonly required: number;
}

const PAYLOAD: readonly Kind[] = ["list", "dict"];

/** Shapes of the messages a client may send to a router. */
const CLIENT_SHAPES: ReadonlyMap<number, Shape> = new Map<number, Shape>([
  [1, { fields: ["uri", "dict"], required: 2 }], // HELLO
  [3, { fields: ["dict", "uri", ...PAYLOAD], required: 2 }], // ABORT
  [5, { fields: ["string", "dict"], required: 2 }], // AUTHENTICATE
  [6, { fields: ["dict", "uri"], required: 2 }], // GOODBYE
  [8, { fields: ["int", "id", "dict", "uri", ...PAYLOAD], required: 4 }], // ERROR
  [16, { fields: ["id", "dict", "uri", ...PAYLOAD], required: 3 }], // PUBLISH
  [32, { fields: ["id", "dict", "uri"], required: 3 }], // SUBSCRIBE
  [34, { fields: ["id", "id"], required: 2 }], // UNSUBSCRIBE
  [48, { fields: ["id", "dict", "uri", ...PAYLOAD], required: 3 }], // CALL
  [49, { fields: ["id", "dict"], required: 2 }], // CANCEL
  [64, { fields: ["id", "dict", "uri"], required: 3 }], // REGISTER
  [66, { fields: ["id", "id"], required: 2 }], // UNREGISTER
  [70, { fields: ["id", "dict", ...PAYLOAD], required: 2 }], // YIELD
]);

/** Messages only a router sends; receiving one is a protocol violation (spec "Protocol Violations"). */
const ROUTER_ONLY: ReadonlySet<number> = new Set([2, 4, 17, 33, 35, 36, 50, 65, 67, 68, 69]);

/**
 * CLIENT_SHAPES as an array indexed by type code (every code is below 71): this runs for every
 * inbound message, and an indexed read is cheaper than a hash lookup.
 */
const SHAPE_BY_CODE: readonly (Shape | undefined)[] = Array.from({ length: 71 }, (_, code) => CLIENT_SHAPES.get(code));

export function isDict(v: unknown): v is Dict {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** True for a dict without keys; no key array is built (this runs for every message's options). */
export function isEmptyDict(d: Dict): boolean {
  for (const _ in d) return false;
  return true;
}

export function isId(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= MAX_ID;
}

function check(kind: Kind, v: unknown): boolean {
  switch (kind) {
    case "id":
      return isId(v);
    case "int":
      return typeof v === "number" && Number.isInteger(v) && v >= 0;
    case "dict":
      // A payload element left encoded says which it is (serializer/encoded.ts).
      return isDict(v) && (!(v instanceof EncodedValue) || v.kind === "dict");
    case "uri":
    case "string":
      return typeof v === "string";
    case "list":
      return Array.isArray(v) || (v instanceof EncodedValue && v.kind === "list");
  }
}

const KIND_TEXT: Record<Kind, string> = {
  id: "an id (integer from 1 to 2^53)",
  int: "a non-negative integer",
  dict: "a dict",
  uri: "a URI string",
  string: "a string",
  list: "a list",
};

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (v instanceof Uint8Array) return "binary";
  if (typeof v === "number") return Number.isInteger(v) ? `the integer ${v}` : `the number ${v}`;
  if (typeof v === "string") return `a string`;
  if (typeof v === "object") return "a dict";
  return typeof v;
}

/**
 * Checks a decoded frame against the client message shapes. Returns undefined when it is a
 * well-formed client message, or the reason it is not.
 */
export function validateClientMessage(msg: unknown): string | undefined {
  if (!Array.isArray(msg)) return `a WAMP message must be a list, found ${describe(msg)}`;
  if (msg.length === 0) return "a WAMP message must not be an empty list";
  const code: unknown = msg[0];
  if (typeof code !== "number" || !Number.isInteger(code)) {
    return `the first element of a WAMP message must be an integer message type, found ${describe(code)}`;
  }
  const shape = SHAPE_BY_CODE[code];
  if (!shape) {
    return ROUTER_ONLY.has(code) ? `${messageName(code)} is sent only by routers` : `unknown message type ${code}`;
  }
  const n = msg.length - 1;
  if (n < shape.required || n > shape.fields.length) {
    const expect = shape.required === shape.fields.length
      ? `${shape.required + 1}`
      : `${shape.required + 1} to ${shape.fields.length + 1}`;
    return `${messageName(code)} must have ${expect} elements, found ${msg.length}`;
  }
  for (let i = 0; i < n; i++) {
    const kind = shape.fields[i]!;
    if (!check(kind, msg[i + 1])) {
      return `${messageName(code)} element ${i + 1} must be ${KIND_TEXT[kind]}, found ${describe(msg[i + 1])}`;
    }
  }
  return undefined;
}
