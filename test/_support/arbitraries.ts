/**
 * fast-check arbitraries shared by the serializer property tests.
 * @module
 */
import fc from "fast-check";

/**
 * Nested WAMP payload values: `leaf`s, and lists and dicts of them (dict keys from `key`).
 * Small depth, at most 5 entries per list or dict.
 */
export function valueTree(leaf: fc.Arbitrary<unknown>, key: fc.Arbitrary<string>): fc.Arbitrary<unknown> {
  return fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: "small" },
      leaf,
      fc.array(tie("node"), { maxLength: 5 }),
      fc.dictionary(key, tie("node"), { maxKeys: 5, noNullPrototype: true }),
    ),
  })).node;
}
