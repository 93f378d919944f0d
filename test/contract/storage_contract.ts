/**
 * What every {@link Storage} must do, as tests any backend registers with its own `open`.
 *
 * Decisions this contract pins down (the interface leaves them open):
 * - Key order is component-wise; components compare as JavaScript strings (UTF-16 code units,
 *   the order of `<` and `Array.prototype.sort`), and a key sorts before its extensions. Every
 *   backend must agree, so that code never depends on which one it runs on.
 * - Components may be any string: empty, "/", "%", NUL, control characters, non-BMP characters,
 *   lone surrogates. Nothing is refused, so callers need not escape user-supplied names.
 * - Values are bytes by copy: what a caller passes or gets back is never shared with the store.
 * - Writes apply in call order, and a read sees every write called before it, awaited or not.
 * - close() commits what was written before it and may be called more than once.
 * @module
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { Storage, StorageEntry, StorageKey } from "../../src/platform/storage.ts";
import { test } from "../_support/harness.ts";
import { SeededRandom } from "../_support/seeded_random.ts";

export interface OpenedStorage {
  storage: Storage;
  /** Opens the same store again after `storage` was closed; omitted for volatile stores. */
  reopen?: () => Promise<Storage>;
  /** Removes whatever `open` created; called after the storages are closed. */
  cleanup: () => Promise<void>;
}

type Open = () => Promise<OpenedStorage>;

/** Reference order: component by component, as JS strings; a prefix sorts first. */
function compareKeys(a: StorageKey, b: StorageKey): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i]! !== b[i]!) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}

function startsWith(key: StorageKey, prefix: StorageKey): boolean {
  return prefix.length <= key.length && prefix.every((c, i) => key[i] === c);
}

/** A value that differs per key, so a mixed-up row cannot pass. */
function valueOf(key: StorageKey): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(key));
}

/** Plain copies, so Buffer-returning drivers compare equal to Uint8Array expectations. */
function plain(entries: StorageEntry[]): { key: string[]; value: Uint8Array }[] {
  return entries.map((e) => ({ key: [...e.key], value: new Uint8Array(e.value) }));
}

async function withStore(open: Open, fn: (s: Storage, o: OpenedStorage) => Promise<void>) {
  const opened = await open();
  try {
    await fn(opened.storage, opened);
  } finally {
    await opened.storage.close();
    await opened.cleanup();
  }
}

/**
 * Sets `keys` (in a scrambled order) and checks `list` for `[]` and for every prefix of every key
 * against the reference order, and `get` for every key.
 */
async function checkKeySpace(s: Storage, keys: StorageKey[]): Promise<void> {
  const scrambled = [...keys].reverse();
  scrambled.push(...scrambled.splice(0, scrambled.length >> 1));
  for (const k of scrambled) await s.set(k, valueOf(k));
  const sorted = [...keys].sort(compareKeys);
  const prefixes = new Map<string, StorageKey>([["[]", []]]);
  for (const k of keys) {
    for (let i = 1; i <= k.length; i++) prefixes.set(JSON.stringify(k.slice(0, i)), k.slice(0, i));
  }
  for (const p of prefixes.values()) {
    const expected = sorted.filter((k) => startsWith(k, p)).map((k) => ({
      key: [...k],
      value: valueOf(k),
    }));
    assert.deepStrictEqual(plain(await s.list(p)), expected, `list(${JSON.stringify(p)})`);
  }
  for (const k of keys) {
    assert.deepStrictEqual(
      await s.get(k).then((v) => v && new Uint8Array(v)),
      valueOf(k),
      `get(${JSON.stringify(k)})`,
    );
  }
}

function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

export function runStorageContract(name: string, open: Open): void {
  const t = (title: string, fn: (s: Storage, o: OpenedStorage) => Promise<void>) =>
    test(`storage contract [${name}]: ${title}`, () => withStore(open, fn), { timeout: 60_000 });

  t("get of a missing key is undefined, also next to existing keys", async (s) => {
    assert.equal(await s.get(["nothing"]), undefined);
    await s.set(["a", "b"], bytes(1));
    assert.equal(await s.get(["a"]), undefined);
    assert.equal(await s.get(["a", "b", "c"]), undefined);
    assert.equal(await s.get(["a", "c"]), undefined);
    assert.equal(await s.get(["ab"]), undefined);
  });

  t(
    "set/get round-trips arbitrary bytes: empty, 0..255, 1 MiB, a view into a larger buffer",
    async (s) => {
      const all = new Uint8Array(256).map((_, i) => i);
      const big = new Uint8Array(1 << 20).map((_, i) => (i * 7919) & 0xff);
      const backing = bytes(9, 9, 1, 2, 3, 9, 9);
      const view = backing.subarray(2, 5);
      await s.set(["empty"], new Uint8Array(0));
      await s.set(["all"], all);
      await s.set(["big"], big);
      await s.set(["view"], view);
      const empty = await s.get(["empty"]);
      assert.ok(empty instanceof Uint8Array, "an empty value is stored, not lost");
      assert.equal(empty.length, 0);
      assert.deepStrictEqual(new Uint8Array((await s.get(["all"]))!), all);
      const gotBig = (await s.get(["big"]))!;
      assert.equal(gotBig.length, big.length);
      assert.ok(Buffer.from(gotBig).equals(big), "1 MiB value round-trips");
      assert.deepStrictEqual(new Uint8Array((await s.get(["view"]))!), bytes(1, 2, 3));
    },
  );

  t("set overwrites: the last value wins, whatever its length", async (s) => {
    await s.set(["k"], bytes(1, 2, 3));
    await s.set(["k"], bytes(4));
    assert.deepStrictEqual(new Uint8Array((await s.get(["k"]))!), bytes(4));
    await s.set(["k"], bytes(5, 6, 7, 8));
    assert.deepStrictEqual(plain(await s.list([])), [{ key: ["k"], value: bytes(5, 6, 7, 8) }]);
  });

  t("delete removes exactly that key; deleting a missing key is fine", async (s) => {
    await s.set(["a"], bytes(1));
    await s.set(["a", "b"], bytes(2));
    await s.set(["ab"], bytes(3));
    await s.delete(["a"]);
    await s.delete(["missing"]);
    await s.delete(["a", "b", "c"]);
    assert.equal(await s.get(["a"]), undefined);
    assert.deepStrictEqual(plain(await s.list([])), [
      { key: ["a", "b"], value: bytes(2) },
      { key: ["ab"], value: bytes(3) },
    ]);
  });

  t("list(prefix) is exact and in component-wise order", async (s) => {
    await s.set(["ab"], bytes(4));
    await s.set(["a", "bc"], bytes(3));
    await s.set(["a", "b", "c"], bytes(2));
    await s.set(["a", "b"], bytes(1));
    await s.set(["a"], bytes(0));
    await s.set(["b"], bytes(5));
    const keys = async (p: StorageKey) => (await s.list(p)).map((e) => [...e.key]);
    assert.deepStrictEqual(await keys(["a"]), [["a"], ["a", "b"], ["a", "b", "c"], ["a", "bc"]]);
    assert.deepStrictEqual(await keys(["a", "b"]), [["a", "b"], ["a", "b", "c"]]);
    assert.deepStrictEqual(await keys(["a", "b", "c"]), [["a", "b", "c"]]);
    assert.deepStrictEqual(await keys(["a", "bc"]), [["a", "bc"]]);
    assert.deepStrictEqual(await keys(["ab"]), [["ab"]]);
    assert.deepStrictEqual(await keys(["a", "c"]), []);
    assert.deepStrictEqual(await keys(["c"]), []);
    assert.deepStrictEqual(await keys([]), [
      ["a"],
      ["a", "b"],
      ["a", "b", "c"],
      ["a", "bc"],
      ["ab"],
      ["b"],
    ]);
    assert.deepStrictEqual((await s.list(["a", "b"])).map((e) => [...e.value]), [[1], [2]]);
  });

  t("components may hold any character except NUL, in UTF-16 order", async (s) => {
    // "\u{10000}" is the pair D800 DC00, so it sorts below "\uFFFF" in UTF-16 (not in UTF-8).
    const keys: StorageKey[] = [
      [""],
      ["", ""],
      ["", "a"],
      ["a", ""],
      ["a", "", "b"],
      ["a/b"],
      ["a", "b/c"],
      ["a", "b"],
      ["a%2F"],
      ["a%"],
      ["%"],
      ["a\\b"],
      ["\u0001"],
      ["a\u0001"],
      ["a", "\u0001"],
      ["\u0002"],
      ["\u0003"],
      ["~"],
      ["\u007f"],
      ["\u0080"],
      ["é"],
      ["e\u0301"],
      ["日本"],
      ["\u{1F600}"],
      ["\u{10000}"],
      ["\uFFFF"],
      ["\uE000"],
      ["\uD800"],
      ["\uDC00"],
      ["x\uD800y"],
      ["\t\n "],
      ["a.b.c", "#", "*"],
    ];
    await checkKeySpace(s, keys);
    const all = (await s.list([])).map((e) => e.key);
    assert.ok(
      all.findIndex((k) => k[0] === "\u{10000}") < all.findIndex((k) => k[0] === "\uFFFF"),
      "UTF-16 order: U+10000 before U+FFFF",
    );
  });

  t("components may hold NUL, which is an ordinary character", async (s) => {
    const keys: StorageKey[] = [
      ["\0"],
      ["", ""],
      [""],
      ["a\0b"],
      ["a", "b"],
      ["a\0"],
      ["a", ""],
      ["a"],
      ["\0\0"],
      ["a", "\0"],
      ["a", "\0b"],
      ["\0", "\0"],
      ["\0a"],
    ];
    await checkKeySpace(s, keys);
  });

  t("seeded random keys list in reference order under every prefix", async (s) => {
    const alphabet = [
      "",
      "a",
      "b",
      "ab",
      "/",
      "%",
      "\u0001",
      "\u0002",
      "\u007f",
      "é",
      "\uD800",
      "\u{10000}",
      "\uFFFF",
    ];
    const rnd = new SeededRandom(7);
    const pick = () => alphabet[rnd.bytes(1)[0]! % alphabet.length]!;
    const seen = new Map<string, StorageKey>();
    while (seen.size < 150) {
      const n = 1 + (rnd.bytes(1)[0]! % 4);
      const key = Array.from({ length: n }, () => pick() + pick());
      seen.set(JSON.stringify(key), key);
    }
    await checkKeySpace(s, [...seen.values()]);
  });

  t("deletePrefix removes exactly the keys under the prefix; [] removes all", async (s) => {
    for (const k of [["a"], ["a", "b"], ["a", "b", "c"], ["a", "bc"], ["ab"], ["a", "b/c"]]) {
      await s.set(k, valueOf(k));
    }
    await s.deletePrefix(["a", "b"]);
    assert.deepStrictEqual((await s.list([])).map((e) => [...e.key]), [["a"], ["a", "b/c"], [
      "a",
      "bc",
    ], ["ab"]]);
    await s.deletePrefix(["x"]);
    assert.equal((await s.list([])).length, 4);
    await s.deletePrefix(["a"]);
    assert.deepStrictEqual((await s.list([])).map((e) => [...e.key]), [["ab"]]);
    await s.deletePrefix([]);
    assert.deepStrictEqual(await s.list([]), []);
  });

  t("values are copies in both directions", async (s) => {
    const input = bytes(1, 2, 3);
    const pending = s.set(["k"], input);
    input[0] = 99; // before the write even resolved
    await pending;
    input[1] = 99;
    const first = (await s.get(["k"]))!;
    assert.deepStrictEqual(new Uint8Array(first), bytes(1, 2, 3));
    first[2] = 99;
    const [listed] = await s.list(["k"]);
    assert.deepStrictEqual(new Uint8Array(listed!.value), bytes(1, 2, 3));
    listed!.value[0] = 99;
    assert.deepStrictEqual(new Uint8Array((await s.get(["k"]))!), bytes(1, 2, 3));
  });

  t("1000 concurrent sets all land; unawaited writes apply in call order", async (s) => {
    const keys = Array.from({ length: 1000 }, (_, i) => ["many", String(i).padStart(4, "0")]);
    await Promise.all(keys.map((k) => s.set(k, valueOf(k))));
    assert.deepStrictEqual(
      plain(await s.list(["many"])),
      keys.map((k) => ({ key: k, value: valueOf(k) })),
    );
    const ops = [
      s.set(["order"], bytes(1)),
      s.set(["order"], bytes(2)),
      s.delete(["order"]),
      s.set(["order"], bytes(3)),
      s.deletePrefix(["many"]),
      s.set(["many", "x"], bytes(4)),
    ];
    // A read issued before the writes resolved still sees them.
    assert.deepStrictEqual(new Uint8Array((await s.get(["order"]))!), bytes(3));
    await Promise.all(ops);
    assert.deepStrictEqual(plain(await s.list([])), [
      { key: ["many", "x"], value: bytes(4) },
      { key: ["order"], value: bytes(3) },
    ]);
  });

  t("data survives close and reopen (durable stores only)", async (s, o) => {
    if (!o.reopen) return; // a volatile store has nothing to show here
    const keys: StorageKey[] = [["a"], ["a", "b"], ["b", "\0", "\uD800"], ["c", "d"], ["c", "e"]];
    for (const k of keys) await s.set(k, valueOf(k));
    await s.set(["big"], new Uint8Array(1 << 20).fill(7));
    await s.delete(["a"]);
    await s.deletePrefix(["c"]);
    // Unawaited writes right before close must still be kept.
    void s.set(["last"], bytes(1));
    await s.close();
    const again = await o.reopen();
    try {
      const entries = plain(await again.list([]));
      assert.deepStrictEqual(entries.map((e) => e.key), [
        ["a", "b"],
        ["b", "\0", "\uD800"],
        ["big"],
        ["last"],
      ]);
      assert.deepStrictEqual(entries[0]!.value, valueOf(["a", "b"]));
      assert.ok(entries[2]!.value.length === 1 << 20 && entries[2]!.value.every((b) => b === 7));
      await again.set(["after"], bytes(2));
      assert.deepStrictEqual(new Uint8Array((await again.get(["after"]))!), bytes(2));
    } finally {
      await again.close();
    }
  });
}
