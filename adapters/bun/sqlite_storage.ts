/**
 * Durable {@link Storage} on Bun's built-in `bun:sqlite`. The schema, key encoding, durability
 * and group commit are the Node adapter's {@link SqliteStorage} (driver-independent, no runtime
 * API), so one database file serves all three runtimes.
 *
 * `bun:sqlite` is declared locally, as `bun_api.ts` does for `Bun`, so this file also compiles
 * where bun-types are absent (`tsc -p tsconfig.json` reaches it through the tests).
 * @module
 */
import type { Storage } from "../../src/platform/storage.ts";
import { SqliteStorage, type SqlParam } from "../node/sqlite_storage.ts";
// @ts-ignore: resolves only where bun-types are loaded (tsconfig.bun.json). Elsewhere it is
// `any` and the conformance probe at the bottom checks nothing, which is what we want there.
import type * as RealBunSqlite from "bun:sqlite";

export interface BunSqliteStatement {
  run(...params: SqlParam[]): unknown;
  /** `null` when there is no row. */
  get(...params: SqlParam[]): unknown;
  all(...params: SqlParam[]): unknown[];
}

export interface BunSqliteDatabase {
  exec(sql: string): unknown;
  prepare(sql: string): BunSqliteStatement;
  close(throwOnError?: boolean): void;
}

export interface BunSqliteModule {
  Database: new (
    filename: string,
    options?: { create?: boolean; strict?: boolean },
  ) => BunSqliteDatabase;
}

/** Opens (creating if needed) the database at `path`; ":memory:" gives a private, volatile one. */
export async function openSqliteStorage(path: string): Promise<Storage> {
  // A computed specifier keeps bun:sqlite out of type-checks that have no bun-types.
  const { Database } = (await import("bun:sqlite" as string)) as BunSqliteModule;
  return new SqliteStorage(new Database(path, { create: true, strict: true }));
}

// Under tsconfig.bun.json this fails to compile if the real bun:sqlite no longer fits the slice.
export const conformsToBunSqlite: (real: typeof RealBunSqlite) => BunSqliteModule = (real) => real;
