/**
 * Checks a parsed configuration document and lists every problem, one readable line each:
 * the key path, what was expected and what was found.
 * @module
 */
import Value from "typebox/value";
import { Settings } from "typebox/system";
import type { TLocalizedValidationError } from "typebox/error";
import { ConfigSchema } from "./schema.ts";
import { securityProblems } from "./security_checks.ts";
import {
  closestKey,
  describeExpected,
  describeFound,
  formatPath,
  pointerSegments,
  type SchemaNode,
  schemaAt,
  valueAt,
} from "./describe.ts";

/**
 * TypeBox stops collecting after `maxErrors` (8 by default, a guard for untrusted input). A
 * config file is written by the operator and small, and listing every problem at once is the
 * point, so validation raises the cap for its own (synchronous) duration.
 */
const MAX_PROBLEMS = 1000;

/** Every problem in `doc`, without the source prefix; empty when the document is valid. */
export function validateConfig(doc: unknown): string[] {
  const problems = schemaProblems(doc);
  problems.push(...duplicateRealms(doc));
  problems.push(...securityProblems(doc));
  return problems;
}

function schemaProblems(doc: unknown): string[] {
  const root = ConfigSchema as SchemaNode;
  const problems: string[] = [];
  const described = new Set<string>();
  for (const e of collectErrors(doc)) {
    const at = pointerSegments(e.instancePath);
    switch (e.keyword) {
      case "additionalProperties": {
        const known = Object.keys(schemaAt(root, at)?.properties ?? {});
        for (const key of e.params.additionalProperties) {
          const hint = closestKey(key, known);
          problems.push(`${formatPath([...at, key])}: unknown key${hint ? ` (did you mean "${hint}"?)` : ""}`);
        }
        break;
      }
      case "boolean":
        // The `additionalProperties: false` sub-schema failing, once per unknown key; the
        // additionalProperties error above already reports those keys by name.
        break;
      case "required":
        for (const key of (e.params as { requiredProperties: string[] }).requiredProperties) {
          const path = [...at, key];
          problems.push(`${formatPath(path)}: missing, expected ${describeExpected(schemaAt(root, path))}`);
        }
        break;
      default: {
        // A value can fail several keywords at once (each anyOf branch, then anyOf itself):
        // one message per key path says it all.
        if (described.has(e.instancePath)) break;
        described.add(e.instancePath);
        problems.push(withPath(at, `expected ${describeExpected(schemaAt(root, at))}, found ${describeFound(valueAt(doc, at))}`));
      }
    }
  }
  return problems;
}

function collectErrors(doc: unknown): TLocalizedValidationError[] {
  const saved = Settings.Get().maxErrors;
  Settings.Set({ maxErrors: MAX_PROBLEMS });
  try {
    return Value.Errors(ConfigSchema, doc);
  } finally {
    Settings.Set({ maxErrors: saved });
  }
}

/** Realm names are unique: two realms with one name would silently merge or shadow. */
function duplicateRealms(doc: unknown): string[] {
  const realms = valueAt(doc, ["realms"]);
  if (!Array.isArray(realms)) return [];
  const firstAt = new Map<string, number>();
  const problems: string[] = [];
  realms.forEach((realm: unknown, i) => {
    const name = valueAt(realm, ["name"]);
    if (typeof name !== "string") return;
    const first = firstAt.get(name);
    if (first === undefined) firstAt.set(name, i);
    else problems.push(`${formatPath(["realms", String(i), "name"])}: duplicate realm ${JSON.stringify(name)}, already defined at realms[${first}]`);
  });
  return problems;
}

function withPath(at: readonly string[], text: string): string {
  return at.length ? `${formatPath(at)}: ${text}` : text;
}
