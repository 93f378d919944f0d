/**
 * IdTable (src/router/id_table.ts), the dealer's calls in flight by request id: whatever the
 * ids (in sequence, colliding in their low bits, up to 2^53) and the order of adds and removes,
 * it must answer as a Map would. Properties run with a fixed seed.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { test } from "../_support/harness.ts";
import { IdTable } from "../../src/router/id_table.ts";

const fcOptions = { seed: 0x1d7a, numRuns: 300 };

type Op = { op: "set"; id: number; v: number } | { op: "delete"; id: number } | { op: "get"; id: number };

/** Ids as they come: counting up, with the low bits of others, and anywhere up to 2^53. */
const id = fc.oneof(
  fc.integer({ min: 1, max: 64 }),
  fc.integer({ min: 1, max: 64 }).map((k) => k * 2 ** 32 + 1),
  fc.integer({ min: 1, max: 64 }).map((k) => k * 1024),
  fc.integer({ min: 1, max: 2 ** 53 }),
);

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("set" as const), id, v: fc.integer() }),
  fc.record({ op: fc.constant("delete" as const), id }),
  fc.record({ op: fc.constant("get" as const), id }),
);

function sameAsMap(table: IdTable<number>, model: Map<number, number>): void {
  assert.equal(table.size, model.size);
  const sorted = [...model].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
  assert.deepEqual(table.values(), sorted);
}

test("IdTable answers as a Map for any ids and order of operations", () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
      const table = new IdTable<number>();
      const model = new Map<number, number>();
      for (const o of ops) {
        if (o.op === "set") {
          table.set(o.id, o.v);
          model.set(o.id, o.v);
        } else if (o.op === "delete") {
          assert.equal(table.delete(o.id), model.delete(o.id));
        } else {
          assert.equal(table.get(o.id), model.get(o.id));
          assert.equal(table.has(o.id), model.has(o.id));
        }
      }
      sameAsMap(table, model);
    }),
    fcOptions,
  );
});

test("IdTable holds many calls in flight at once and works as new once they end", () => {
  const table = new IdTable<number>();
  const model = new Map<number, number>();
  // Sequential ids past the first slots, then ids that all share their low 32 bits.
  for (let i = 1; i <= 5000; i++) {
    table.set(i, i);
    model.set(i, i);
  }
  for (let k = 1; k <= 300; k++) {
    table.set(k * 2 ** 32 + 7, -k);
    model.set(k * 2 ** 32 + 7, -k);
  }
  sameAsMap(table, model);
  for (const k of [...model.keys()]) {
    assert.equal(table.get(k), model.get(k));
    assert.equal(table.delete(k), true);
  }
  assert.equal(table.size, 0);
  assert.deepEqual(table.values(), []);
  // Empty again: it works as a new one.
  table.set(3, 30);
  assert.equal(table.get(3), 30);
  assert.equal(table.get(3 + 16), undefined);
});

test("IdTable values come in the order of their ids", () => {
  const table = new IdTable<string>();
  for (const n of [40, 2, 18, 7, 2 ** 40, 1]) table.set(n, `v${n}`);
  assert.deepEqual(table.values(), ["v1", "v2", "v7", "v18", "v40", `v${2 ** 40}`]);
});
