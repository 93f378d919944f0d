/**
 * SASLprep (RFC 4013), which WAMP-SCRAM applies to passwords before the KDF (spec "WAMP-SCRAM",
 * "Username/Password String Normalization"). This covers the profile's mapping (§2.1: non-ASCII
 * spaces to U+0020, "commonly mapped to nothing" removed), NFKC normalization (§2.2) and the
 * prohibited output (§2.3: controls, private use, non-characters, surrogates, tagging and
 * change-display characters). It does not check the bidirectional rule (§2.5), so a few
 * right-to-left strings that RFC 4013 refuses are accepted here; for ASCII, the common case,
 * the result is the input.
 * @module
 */

/** RFC 3454 C.1.2 non-ASCII space characters. */
const NON_ASCII_SPACE = /[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/g;
/** RFC 3454 B.1 commonly mapped to nothing. */
const MAPPED_TO_NOTHING = /[\u00AD\u034F\u1806\u180B-\u180D\u200C\u200D\u2060\uFE00-\uFE0F\uFEFF]/g;
/**
 * RFC 3454 C.2.1/C.2.2 controls, C.3 private use (BMP part), C.4 non-characters (BMP part),
 * C.5 surrogates (lone ones survive `normalize`), C.6/C.7/C.8 inappropriate characters.
 */
const PROHIBITED =
  /[\u0000-\u001F\u007F-\u009F\u06DD\u070F\u180E\u200E\u200F\u202A-\u202E\u2028\u2029\u2060-\u2063\u206A-\u206F\u2FF0-\u2FFB\uD800-\uDFFF\uE000-\uF8FF\uFDD0-\uFDEF\uFFF9-\uFFFF]|[\u{1D173}-\u{1D17A}\u{E0001}\u{E0020}-\u{E007F}\u{F0000}-\u{FFFFD}\u{100000}-\u{10FFFD}]/u;

/** The prepared string, or undefined when it contains a prohibited character. */
export function saslprep(input: string): string | undefined {
  if (/^[\x20-\x7E]*$/.test(input)) return input;
  const mapped = input.replace(NON_ASCII_SPACE, " ").replace(MAPPED_TO_NOTHING, "").normalize("NFKC");
  if (PROHIBITED.test(mapped)) return undefined;
  // Non-characters U+xFFFE/U+xFFFF in the supplementary planes (C.4).
  for (const ch of mapped) {
    const cp = ch.codePointAt(0)!;
    if (cp > 0xffff && (cp & 0xfffe) === 0xfffe) return undefined;
  }
  return mapped;
}
