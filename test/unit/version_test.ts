import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "../_support/harness.ts";
import { VERSION } from "../../src/version.ts";

const root = new URL("../../", import.meta.url);

test("version: src/version.ts matches package.json and deno.json", async () => {
  for (const manifest of ["package.json", "deno.json"]) {
    const { version } = JSON.parse(await readFile(new URL(manifest, root), "utf8")) as { version: string };
    assert.equal(VERSION, version, `${manifest} says ${version}, src/version.ts says ${VERSION}`);
  }
});
