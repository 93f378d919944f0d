/**
 * Durable {@link Storage} on SQLite through `node:sqlite` (Node >= 22.5; Deno 2.x re-exports this
 * file). The driver-independent part, {@link SqliteStorage}, is exported as well: the Bun adapter
 * runs the same code over `bun:sqlite`, so a database file written under one runtime reads the
 * same under the others.
 *
 * Schema: `kv(key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID`, `PRAGMA user_version = 1`.
 *
 * Key encoding (format version 1). SQLite compares TEXT with memcmp over UTF-8, i.e. by code
 * point, while JavaScript (and MemoryStorage) orders strings by UTF-16 code unit, and
 * UTF-8 cannot hold lone surrogates at all. So every key becomes pure ASCII, whose byte order is
 * the order of the code units it encodes:
 * - each UTF-16 code unit `u` of a component becomes
 *   - `u` itself when 0x03 <= u <= 0x7e,
 *   - "\x02" followed by "0", "1" or "2" when u <= 0x02,
 *   - "\x7f" followed by 4 lowercase hex digits when u >= 0x7f;
 * - each component is followed by the terminator "\x01".
 * "\x01" sorts below the first character of any encoded code unit, so a component sorts before
 * its extensions and a key before its extensions: byte order is component-wise key order. It
 * occurs nowhere but as a terminator, so the keys under prefix `p` are exactly those whose
 * encoding starts with `enc(p)`: the range `enc(p) <= key < enc(p) with its last "\x01" raised
 * to "\x02"`, an index range scan.
 *
 * Durability: journal_mode=WAL, synchronous=FULL. Writes run at once inside a transaction that
 * commits (fsync) in a microtask, so writes issued in the same tick share one commit; each
 * write's promise resolves only after that commit. Reads commit any pending writes first, so a
 * read never returns data that is not durable yet.
 * @module
 */
import type { Storage, StorageEntry, StorageKey } from "../../src/platform/storage.ts";

export type SqlParam = string | Uint8Array;

/** The slice of a synchronous SQLite driver (`node:sqlite`, `bun:sqlite`) used here. */
export interface SqlStatement {
  run(...params: SqlParam[]): unknown;
  get(...params: SqlParam[]): unknown;
  all(...params: SqlParam[]): unknown[];
}

export interface SqlDatabase {
  exec(sql: string): unknown;
  prepare(sql: string): SqlStatement;
  close(): unknown;
}

const FORMAT_VERSION = 1;
const TERMINATOR = "\x01";
const ABOVE_TERMINATOR = "\x02";

function encodeKey(key: StorageKey): string {
  if (!Array.isArray(key)) throw new TypeError("storage key must be an array of strings");
  let out = "";
  for (const component of key) {
    if (typeof component !== "string") {
      throw new TypeError("storage key components must be strings");
    }
    for (let i = 0; i < component.length; i++) {
      const u = component.charCodeAt(i);
      if (u >= 0x03 && u <= 0x7e) out += component[i];
      else if (u <= 0x02) out += "\x02" + String.fromCharCode(0x30 + u);
      else out += "\x7f" + u.toString(16).padStart(4, "0");
    }
    out += TERMINATOR;
  }
  return out;
}

function decodeKey(encoded: string): string[] {
  const key: string[] = [];
  let component = "";
  for (let i = 0; i < encoded.length; i++) {
    const c = encoded[i]!;
    if (c === TERMINATOR) {
      key.push(component);
      component = "";
    } else if (c === "\x02") {
      component += String.fromCharCode(encoded.charCodeAt(++i) - 0x30);
    } else if (c === "\x7f") {
      component += String.fromCharCode(parseInt(encoded.slice(i + 1, i + 5), 16));
      i += 4;
    } else {
      component += c;
    }
  }
  return key;
}

function rowValue(row: unknown): Uint8Array {
  const value = (row as { value?: unknown }).value;
  if (!(value instanceof Uint8Array)) throw new Error("storage: corrupt row (value is no BLOB)");
  return value;
}

function rowEntry(row: unknown): StorageEntry {
  const key = (row as { key?: unknown }).key;
  if (typeof key !== "string") throw new Error("storage: corrupt row (key is no TEXT)");
  return { key: decodeKey(key), value: rowValue(row) };
}

function checkValue(value: Uint8Array): void {
  if (!(value instanceof Uint8Array)) throw new TypeError("storage value must be a Uint8Array");
}

interface Statements {
  readonly get: SqlStatement;
  readonly set: SqlStatement;
  readonly delete: SqlStatement;
  readonly listAll: SqlStatement;
  readonly listRange: SqlStatement;
  readonly deleteAll: SqlStatement;
  readonly deleteRange: SqlStatement;
}

/** Creates or checks the schema and prepares the statements, once per database. */
function setUp(db: SqlDatabase): Statements {
  // Pragmas one by one: bun:sqlite runs only the first statement of a string.
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = FULL");
  // Another process (a backup, an operator's sqlite3 shell) may briefly hold the lock.
  db.exec("PRAGMA busy_timeout = 5000");
  const version = (db.prepare("PRAGMA user_version").get() as { user_version?: unknown })
    .user_version;
  if (version !== 0 && version !== FORMAT_VERSION) {
    throw new Error(`storage: unknown format version ${String(version)}`);
  }
  db.exec(
    "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID",
  );
  db.exec(`PRAGMA user_version = ${FORMAT_VERSION}`);
  return {
    get: db.prepare("SELECT value FROM kv WHERE key = ?"),
    set: db.prepare(
      "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    ),
    delete: db.prepare("DELETE FROM kv WHERE key = ?"),
    listAll: db.prepare("SELECT key, value FROM kv ORDER BY key"),
    listRange: db.prepare("SELECT key, value FROM kv WHERE key >= ? AND key < ? ORDER BY key"),
    deleteAll: db.prepare("DELETE FROM kv"),
    deleteRange: db.prepare("DELETE FROM kv WHERE key >= ? AND key < ?"),
  };
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/** {@link Storage} over any synchronous SQLite driver; see the module comment. */
export class SqliteStorage implements Storage {
  readonly #db: SqlDatabase;
  readonly #q: Statements;
  /** Promises of the writes in the open transaction; `null` when none is open. */
  #waiters: Waiter[] | null = null;
  #closed = false;

  /** Sets up the schema on `db`, which the storage then owns. */
  constructor(db: SqlDatabase) {
    this.#db = db;
    try {
      this.#q = setUp(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  // Every method does its work synchronously, through `now`: writes take effect in call order,
  // and a read sees every write called before it, awaited or not.

  get(key: StorageKey): Promise<Uint8Array | undefined> {
    return now(() => {
      const encoded = encodeKey(key);
      this.#read();
      const row = this.#q.get.get(encoded);
      // bun:sqlite answers a missing row with null, node:sqlite with undefined.
      return row == null ? undefined : rowValue(row);
    });
  }

  set(key: StorageKey, value: Uint8Array): Promise<void> {
    return now(() => {
      const encoded = encodeKey(key);
      checkValue(value);
      return this.#write(() => this.#q.set.run(encoded, value)); // binding copies the bytes
    });
  }

  delete(key: StorageKey): Promise<void> {
    return now(() => {
      const encoded = encodeKey(key);
      return this.#write(() => this.#q.delete.run(encoded));
    });
  }

  list(prefix: StorageKey): Promise<StorageEntry[]> {
    return now(() => {
      const lower = encodeKey(prefix);
      this.#read();
      const rows = lower === ""
        ? this.#q.listAll.all()
        : this.#q.listRange.all(lower, upper(lower));
      return rows.map(rowEntry);
    });
  }

  deletePrefix(prefix: StorageKey): Promise<void> {
    return now(() => {
      const lower = encodeKey(prefix);
      return this.#write(() =>
        lower === "" ? this.#q.deleteAll.run() : this.#q.deleteRange.run(lower, upper(lower))
      );
    });
  }

  /** Commits pending writes and closes the database; later calls do nothing. */
  close(): Promise<void> {
    return now(() => {
      if (this.#closed) return;
      this.#commit();
      this.#closed = true;
      this.#db.close();
    });
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error("storage is closed");
  }

  #read(): void {
    this.#checkOpen();
    this.#commit();
  }

  /** Runs `apply` now, in the open transaction or a new one; resolves once that commits. */
  #write(apply: () => unknown): Promise<void> {
    this.#checkOpen();
    if (this.#waiters === null) {
      this.#db.exec("BEGIN IMMEDIATE");
      this.#waiters = [];
      queueMicrotask(() => this.#commit());
    }
    try {
      apply();
    } catch (error) {
      // Settle the batch now: some errors (I/O, disk full) roll back the whole transaction, and
      // later writes must not run outside one.
      this.#commit();
      throw error;
    }
    const waiters = this.#waiters;
    return new Promise<void>((resolve, reject) => waiters.push({ resolve, reject }));
  }

  /** Commits the open transaction, if any, and settles its writes' promises. */
  #commit(): void {
    const waiters = this.#waiters;
    if (waiters === null) return;
    this.#waiters = null;
    try {
      this.#db.exec("COMMIT");
    } catch (error) {
      try {
        this.#db.exec("ROLLBACK");
      } catch {
        // SQLite may already have rolled back on its own; the writes fail either way.
      }
      for (const w of waiters) w.reject(error);
      return;
    }
    for (const w of waiters) w.resolve();
  }
}

/** Runs `fn` at once and returns its result as a promise, a throw as a rejection. */
function now<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The smallest string above every key that starts with `lower` (an encoded, non-empty key). */
function upper(lower: string): string {
  return lower.slice(0, -1) + ABOVE_TERMINATOR;
}

/** Opens (creating if needed) the database at `path`; ":memory:" gives a private, volatile one. */
export async function openSqliteStorage(path: string): Promise<Storage> {
  // Imported here, not at the top, so the Bun adapter can share SqliteStorage without loading it.
  const { DatabaseSync } = await import("node:sqlite");
  return new SqliteStorage(new DatabaseSync(path));
}
