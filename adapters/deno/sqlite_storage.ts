/**
 * Durable {@link Storage} on Deno. Deno 2.x implements `node:sqlite` (`DatabaseSync`), so Deno
 * runs the Node adapter unchanged rather than a second copy; the shared part cannot live in
 * `adapters/_shared`, which may use no runtime API, and `node:sqlite` is one.
 * @module
 */
export { openSqliteStorage } from "../node/sqlite_storage.ts";
