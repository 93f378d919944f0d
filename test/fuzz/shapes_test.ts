/**
 * The fuzzers' copy of the client message table (_shapes.ts) must agree with the validator it
 * mirrors (src/wamp/validate.ts): generated well-formed messages pass, wrong arity and
 * router-only or unknown types fail. If validate.ts changes its table, this says so.
 */
import fc from "fast-check";
import { validateClientMessage } from "../../src/wamp/validate.ts";
import { test } from "../_support/harness.ts";
import { check } from "./_fc.ts";
import { benign } from "./_messages.ts";
import { CLIENT_SHAPES, ROUTER_ONLY } from "./_shapes.ts";
import { resolveRefs, emptyPools } from "./_refs.ts";
import { ConnModel } from "./_session_model.ts";

test("fuzz shapes: well-formed messages from the table pass validateClientMessage", () => {
  for (const shape of CLIENT_SHAPES) {
    check(fc.property(benign.wellFormed(shape), (m) => {
      const value = resolveRefs(m, new ConnModel(), emptyPools());
      const problem = validateClientMessage(value);
      if (problem !== undefined) throw new Error(`${shape.name}: ${JSON.stringify(value)} refused: ${problem}`);
    }), { numRuns: 100, seed: 51 });
  }
});

test("fuzz shapes: one element too few or too many, router-only and unknown types are refused", () => {
  for (const shape of CLIENT_SHAPES) {
    const full = [shape.code, ...shape.fields.map((k) => (k === "list" ? [] : k === "dict" ? {} : k === "id" || k === "int" ? 1 : "a.b"))];
    if (validateClientMessage(full) !== undefined) throw new Error(`${shape.name}: the full message is refused`);
    if (validateClientMessage([...full, {}]) === undefined) throw new Error(`${shape.name}: an extra element passes`);
    if (validateClientMessage(full.slice(0, shape.required)) === undefined) throw new Error(`${shape.name}: a missing element passes`);
  }
  for (const code of ROUTER_ONLY) {
    if (validateClientMessage([code, 1, {}]) === undefined) throw new Error(`router-only type ${code} passes`);
  }
  const known = new Set([...CLIENT_SHAPES.map((s) => s.code), ...ROUTER_ONLY]);
  for (let code = 0; code < 300; code++) {
    if (!known.has(code) && validateClientMessage([code]) === undefined) throw new Error(`unknown type ${code} passes`);
  }
});
