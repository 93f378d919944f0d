import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "../_support/harness.ts";

// The core's one rule (../shared/design/architecture.md): src/ and mod.ts use Web-standard
// globals only, so the same files run on Bun, Deno, Node and edge runtimes.
const FORBIDDEN: Array<[RegExp, string]> = [
  [/from\s+["']node:/, "a node:* import"],
  [/import\(\s*["']node:/, "a node:* import"],
  [/\brequire\(/, "require()"],
  [/\bDeno\./, "the Deno namespace"],
  [/\bBun\./, "the Bun namespace"],
  [/\bprocess\./, "process"],
  [/\bBuffer\b/, "Buffer"],
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

test("src/ and mod.ts use no runtime API", () => {
  const root = new URL("../../", import.meta.url).pathname;
  const problems: string[] = [];
  for (const file of [...files(join(root, "src")), join(root, "mod.ts")]) {
    readFileSync(file, "utf8").split("\n").forEach((line, i) => {
      const code = line.replace(/\/\/.*$/, "");
      if (/^\s*\*/.test(code)) return; // doc comment lines
      for (const [re, what] of FORBIDDEN) {
        if (re.test(code)) problems.push(`${file.slice(root.length)}:${i + 1}: ${what}: ${line.trim()}`);
      }
    });
  }
  assert.deepEqual(problems, []);
});
