/**
 * The adapters' per-turn send batch (adapters/_shared/send_batch.ts): plain JavaScript over
 * `setImmediate`, so it runs on every runtime.
 */
import assert from "node:assert/strict";
import { SendBatch } from "../../adapters/_shared/send_batch.ts";
import { test } from "../_support/harness.ts";

// Immediates run in the order they were set: this one after the batch's.
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test("send batch: every socket added in a turn is flushed once, after the turn", async () => {
  const batch = new SendBatch();
  const flushed: string[] = [];
  batch.add({ flush: () => flushed.push("a") });
  batch.add({ flush: () => flushed.push("b") });
  assert.equal(flushed.length, 0, "nothing is written during the turn");
  await nextTurn();
  assert.deepEqual(flushed, ["a", "b"]);
  await nextTurn();
  assert.deepEqual(flushed, ["a", "b"], "a flushed socket is not flushed again");
  batch.add({ flush: () => flushed.push("c") });
  await nextTurn();
  assert.deepEqual(flushed, ["a", "b", "c"], "a later turn schedules its own flush");
});

test("send batch: a socket whose flush throws does not hold back the others", async () => {
  const batch = new SendBatch();
  const flushed: string[] = [];
  batch.add({ flush: () => { throw new Error("broken socket"); } });
  batch.add({ flush: () => flushed.push("ok") });
  await nextTurn();
  assert.deepEqual(flushed, ["ok"]);
});

test("send batch: a socket added while the batch flushes is flushed too", async () => {
  const batch = new SendBatch();
  const flushed: string[] = [];
  batch.add({ flush: () => batch.add({ flush: () => flushed.push("late") }) });
  await nextTurn();
  await nextTurn();
  assert.deepEqual(flushed, ["late"]);
});
