/**
 * The release version, printed by `--version` and announced as the router agent. Kept in step
 * with `package.json` and `deno.json` by `test/unit/version_test.ts`: the core cannot read
 * either manifest at run time (no file IO, and compiled binaries have no manifest).
 * @module
 */

export const VERSION = "0.1.0";
