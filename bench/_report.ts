/**
 * Result lines: every benchmark prints one JSON object per line on stdout, and the run keeps
 * them for the summary table. Progress notes go to stderr so stdout stays machine-readable.
 * @module
 */
import process from "node:process";

export type Line = { readonly bench: string } & Record<string, string | number | boolean | null>;

export type Emit = (line: Line) => void;

export function printLine(line: Line): void {
  process.stdout.write(JSON.stringify(line) + "\n");
}

export function note(text: string): void {
  process.stderr.write(`# ${text}\n`);
}
