/**
 * Durable state behind one small interface (security model, retained events, event history,
 * later cluster state). Keys are lists of strings so prefixes scan naturally; values are bytes
 * the owner encodes. Writes resolve only once durable: a client told "done" must find the
 * change after `kill -9` and a restart.
 * @module
 */

export type StorageKey = readonly string[];

export interface StorageEntry {
  readonly key: StorageKey;
  readonly value: Uint8Array;
}

export interface Storage {
  get(key: StorageKey): Promise<Uint8Array | undefined>;
  set(key: StorageKey, value: Uint8Array): Promise<void>;
  delete(key: StorageKey): Promise<void>;
  /** Every entry whose key starts with `prefix`, in key order (component by component). */
  list(prefix: StorageKey): Promise<StorageEntry[]>;
  /** Deletes every entry whose key starts with `prefix`. */
  deletePrefix(prefix: StorageKey): Promise<void>;
  close(): Promise<void>;
}

function compareKeys(a: StorageKey, b: StorageKey): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i]! < b[i]!) return -1;
    if (a[i]! > b[i]!) return 1;
  }
  return a.length - b.length;
}

function startsWith(key: StorageKey, prefix: StorageKey): boolean {
  if (prefix.length > key.length) return false;
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false;
  return true;
}

/** One string per key: JSON keeps components apart whatever characters they hold. */
function flat(key: StorageKey): string {
  return JSON.stringify(key);
}

/** In-memory storage: tests, and routers that need no durability. */
export class MemoryStorage implements Storage {
  readonly #entries = new Map<string, StorageEntry>();

  get(key: StorageKey): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.#entries.get(flat(key))?.value.slice());
  }

  set(key: StorageKey, value: Uint8Array): Promise<void> {
    this.#entries.set(flat(key), { key: [...key], value: value.slice() });
    return Promise.resolve();
  }

  delete(key: StorageKey): Promise<void> {
    this.#entries.delete(flat(key));
    return Promise.resolve();
  }

  list(prefix: StorageKey): Promise<StorageEntry[]> {
    const out = [...this.#entries.values()]
      .filter((e) => startsWith(e.key, prefix))
      .sort((a, b) => compareKeys(a.key, b.key))
      .map((e) => ({ key: e.key, value: e.value.slice() }));
    return Promise.resolve(out);
  }

  deletePrefix(prefix: StorageKey): Promise<void> {
    for (const [k, e] of this.#entries) if (startsWith(e.key, prefix)) this.#entries.delete(k);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
