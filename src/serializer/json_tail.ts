/**
 * Cutting the trailing elements out of a JSON message's text, for payload forwarding without
 * re-encoding (types.ts `RawTail`). The text already passed JSON.parse, so the scanner only
 * has to find element boundaries: it tracks strings (with escapes) and bracket depth.
 * @module
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Index just past the string whose opening quote is at `i`; -1 if it never closes. */
function skipString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === BACKSLASH) j++;
    else if (c === QUOTE) return j + 1;
  }
  return -1;
}

/** Index just past the value starting at `i`; -1 on text that is not what JSON.parse accepted. */
function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return skipString(text, i);
  if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text.charCodeAt(j);
      if (d === QUOTE) {
        j = skipString(text, j) - 1;
        if (j < 0) return -1;
      } else if (d === OPEN_ARRAY || d === OPEN_OBJECT) depth++;
      else if ((d === CLOSE_ARRAY || d === CLOSE_OBJECT) && --depth === 0) return j + 1;
    }
    return -1;
  }
  // A number or a literal: runs to the next delimiter.
  let j = i;
  while (j < text.length) {
    const d = text.charCodeAt(j);
    if (d === COMMA || d === CLOSE_ARRAY || d === CLOSE_OBJECT || isSpace(d)) break;
    j++;
  }
  return j > i ? j : -1;
}

/**
 * The text of a top-level JSON array from its element `from` to the end (closing bracket
 * included), or undefined when the text is not shaped as expected.
 */
export function jsonTailText(text: string, from: number): string | undefined {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_ARRAY) return undefined;
  i++;
  for (let k = 0; k < from; k++) {
    i = skipValue(text, skipSpace(text, i));
    if (i < 0) return undefined;
    i = skipSpace(text, i);
    if (text.charCodeAt(i) !== COMMA) return undefined;
    i++;
  }
  i = skipSpace(text, i);
  return i < text.length && text.charCodeAt(i) !== CLOSE_ARRAY ? text.slice(i) : undefined;
}

/** `head` is the JSON text of the message's leading elements (an array); `tail` continues it. */
export function joinJsonTail(head: string, tail: string): string {
  // head ends with "]"; an empty head ("[]") would take no comma.
  return head.length === 2 ? "[" + tail : head.slice(0, -1) + "," + tail;
}
