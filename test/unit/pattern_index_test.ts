import assert from "node:assert/strict";
import { test } from "../_support/harness.ts";
import { SeededRandom } from "../_support/seeded_random.ts";
import { matchPolicyOf, PatternIndex } from "../../src/router/pattern_index.ts";
import { topicMatches } from "../../src/router/topic_match.ts";
import type { MatchPolicy } from "../../src/wamp/uri_check.ts";

const sorted = (xs: string[]) => [...xs].sort();

test("pattern index: matchPolicyOf reads the match option", () => {
  assert.equal(matchPolicyOf({}), "exact");
  assert.equal(matchPolicyOf({ match: "exact" }), "exact");
  assert.equal(matchPolicyOf({ match: "prefix" }), "prefix");
  assert.equal(matchPolicyOf({ match: "wildcard" }), "wildcard");
  assert.equal(matchPolicyOf({ match: "regex" }), undefined);
  assert.equal(matchPolicyOf({ match: null }), undefined);
  assert.equal(matchPolicyOf({ match: 1 }), undefined);
});

test("pattern index: exact entries match only their own URI", () => {
  const ix = new PatternIndex<string>();
  ix.set("a.b", "exact", "E1");
  ix.set("a.b.c", "exact", "E2");
  assert.deepEqual(ix.matches("a.b"), ["E1"]);
  assert.deepEqual(ix.matches("a.b.c"), ["E2"]);
  assert.deepEqual(ix.matches("a"), []);
  assert.equal(ix.get("a.b", "exact"), "E1");
  assert.equal(ix.get("a.b", "prefix"), undefined, "keys are (uri, policy)");
  assert.equal(ix.size, 2);
});

test("pattern index: prefix entries are plain string prefixes, including the URI itself", () => {
  const ix = new PatternIndex<string>();
  ix.set("com.app", "prefix", "P1");
  ix.set("com.app.user", "prefix", "P2");
  ix.set("com.app.", "prefix", "P3");
  assert.deepEqual(sorted(ix.matches("com.app.user.created")), ["P1", "P2", "P3"]);
  assert.deepEqual(sorted(ix.matches("com.app")), ["P1"]);
  assert.deepEqual(sorted(ix.matches("com.apple")), ["P1"], "not component-wise: com.app matches com.apple");
  assert.deepEqual(sorted(ix.matches("com.app.userx")), ["P1", "P2", "P3"]);
  assert.deepEqual(ix.matches("com.ap"), []);
  assert.deepEqual(ix.matches("org.app"), []);
});

test("pattern index: wildcard entries match whole components with equal component count", () => {
  const ix = new PatternIndex<string>();
  ix.set("com.myapp..userevent", "wildcard", "W1");
  ix.set("..", "wildcard", "W2");
  ix.set("com..", "wildcard", "W3");
  ix.set("com.myapp.foo.userevent", "wildcard", "W4"); // no empty component: behaves as exact
  assert.deepEqual(sorted(ix.matches("com.myapp.foo.userevent")), ["W1", "W4"]);
  assert.deepEqual(sorted(ix.matches("com.myapp.bar.userevent")), ["W1"]);
  assert.deepEqual(ix.matches("com.myapp.foo.userevent.bar"), [], "more components");
  assert.deepEqual(ix.matches("com.myapp.foo.user"), []);
  assert.deepEqual(ix.matches("com.myapp2.foo.userevent"), []);
  assert.deepEqual(sorted(ix.matches("a.b.c")), ["W2"]);
  assert.deepEqual(sorted(ix.matches("com.x.y")), ["W2", "W3"]);
  assert.deepEqual(ix.matches("a.b"), []);
});

test("pattern index: matches returns every policy together", () => {
  const ix = new PatternIndex<string>();
  ix.set("a.b.c", "exact", "E");
  ix.set("a.b", "prefix", "P");
  ix.set("a..c", "wildcard", "W");
  ix.set("x", "exact", "X");
  assert.deepEqual(sorted(ix.matches("a.b.c")), ["E", "P", "W"]);
  assert.deepEqual(sorted([...ix.values()]), ["E", "P", "W", "X"]);
  assert.equal(ix.size, 4);
});

test("pattern index: best() prefers exact, then the longest prefix, then the wildcard with the most leading literals", () => {
  const ix = new PatternIndex<string>();
  ix.set("a..c.d", "wildcard", "W-late");
  ix.set("a.b..d", "wildcard", "W-later");
  ix.set("...d", "wildcard", "W-first");
  assert.deepEqual(ix.best("a.b.c.d"), { value: "W-later", match: "wildcard" });
  assert.deepEqual(ix.best("a.x.c.d"), { value: "W-late", match: "wildcard" });
  assert.deepEqual(ix.best("z.x.c.d"), { value: "W-first", match: "wildcard" });
  assert.equal(ix.best("a.b.c"), undefined);
  ix.set("a", "prefix", "P-short");
  ix.set("a.b.c", "prefix", "P-long");
  assert.deepEqual(ix.best("a.b.c.d"), { value: "P-long", match: "prefix" }, "a prefix beats any wildcard");
  assert.deepEqual(ix.best("a.b.x.d"), { value: "P-short", match: "prefix" });
  ix.set("a.b.c.d", "exact", "E");
  assert.deepEqual(ix.best("a.b.c.d"), { value: "E", match: "exact" });
  ix.delete("a.b.c.d", "exact");
  ix.delete("a.b.c", "prefix");
  assert.deepEqual(ix.best("a.b.c.d"), { value: "P-short", match: "prefix" });
  ix.delete("a", "prefix");
  assert.deepEqual(ix.best("a.b.c.d"), { value: "W-later", match: "wildcard" });
});

test("pattern index: best() backtracks when the literal branch has no entry at the right depth", () => {
  const ix = new PatternIndex<string>();
  ix.set("a.b.c.x", "wildcard", "deep-literal"); // literal path a.b.c, but needs x last
  ix.set("a..c.", "wildcard", "fallback");
  assert.deepEqual(ix.best("a.b.c.d"), { value: "fallback", match: "wildcard" });
  assert.deepEqual(ix.best("a.b.c.x"), { value: "deep-literal", match: "wildcard" });
});

test("pattern index: set replaces, delete removes and prunes; deleting unknown keys is harmless", () => {
  const ix = new PatternIndex<string>();
  ix.set("p", "prefix", "P1");
  ix.set("p", "prefix", "P2");
  ix.set("w..", "wildcard", "W1");
  ix.set("w..", "wildcard", "W2");
  ix.set("q", "prefix", "Q"); // another prefix of the same length
  assert.equal(ix.size, 3);
  assert.deepEqual(sorted(ix.matches("p.x")), ["P2"]);
  assert.deepEqual(ix.matches("w.a.b"), ["W2"], "the replaced wildcard value is gone from the trie");
  ix.delete("p", "prefix");
  assert.deepEqual(ix.matches("p.x"), []);
  assert.deepEqual(ix.matches("q.x"), ["Q"], "the other prefix of that length still matches");
  ix.delete("q", "prefix");
  assert.deepEqual(ix.matches("q.x"), []);
  ix.delete("w..", "wildcard");
  assert.deepEqual(ix.matches("w.a.b"), []);
  assert.equal(ix.best("w.a.b"), undefined);
  ix.delete("nothing", "exact");
  ix.delete("nothing", "prefix");
  ix.delete("no..thing", "wildcard");
  assert.equal(ix.size, 0);
  // Re-adding after deletes works (the trie nodes were pruned, not left broken).
  ix.set("w..", "wildcard", "W3");
  assert.deepEqual(ix.matches("w.a.b"), ["W3"]);
  ix.set("w.a.", "wildcard", "W4");
  ix.delete("w..", "wildcard");
  assert.deepEqual(ix.matches("w.a.b"), ["W4"], "deleting a sibling keeps the shared path");
});

/** A random URI or pattern from a small alphabet so that matches are frequent. */
function randomUri(rand: () => number, allowEmpty: boolean): string {
  const parts: string[] = [];
  const n = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) {
    const r = rand();
    parts.push(allowEmpty && r < 0.3 ? "" : ["a", "b", "c", "ab"][Math.floor(rand() * 4)]!);
  }
  return parts.join(".");
}

test("pattern index: many entries agree with a brute-force matcher, through inserts and deletes", () => {
  const seeded = new SeededRandom(2024);
  const rand = () => {
    const b = seeded.bytes(4);
    return ((b[0]! << 24 | b[1]! << 16 | b[2]! << 8 | b[3]!) >>> 0) / 2 ** 32;
  };
  const ix = new PatternIndex<string>();
  const model = new Map<string, { uri: string; match: MatchPolicy }>();
  const policies: MatchPolicy[] = ["exact", "prefix", "wildcard"];
  for (let round = 0; round < 3_000; round++) {
    const match = policies[Math.floor(rand() * 3)]!;
    const uri = randomUri(rand, match === "wildcard");
    const key = `${match} ${uri}`;
    if (rand() < 0.3 && model.size > 0) {
      const victims = [...model.keys()];
      const victim = victims[Math.floor(rand() * victims.length)]!;
      const v = model.get(victim)!;
      ix.delete(v.uri, v.match);
      model.delete(victim);
    } else {
      ix.set(uri, match, key);
      model.set(key, { uri, match });
    }
    if (round % 50 === 0 || round === 2_999) {
      assert.equal(ix.size, model.size);
      for (let t = 0; t < 20; t++) {
        const topic = randomUri(rand, false);
        const want = [...model].filter(([, v]) => topicMatches(v.uri, v.match, topic)).map(([k]) => k);
        assert.deepEqual(sorted(ix.matches(topic)), sorted(want), `round ${round}, topic ${topic}`);
        const best = ix.best(topic);
        if (want.length === 0) assert.equal(best, undefined);
        else {
          assert.ok(best && want.includes(best.value), `best of ${topic}`);
          const exact = want.find((k) => k.startsWith("exact "));
          const prefixes = want.filter((k) => k.startsWith("prefix ")).sort((x, y) => y.length - x.length);
          if (exact) assert.equal(best.value, exact);
          else if (prefixes.length) assert.equal(best.value, prefixes[0]);
          else assert.equal(best.match, "wildcard");
        }
      }
    }
  }
  assert.ok(model.size > 200, `a large index (${model.size} entries)`);
});

test("pattern index: topicMatches (the single-pair matcher) follows the spec's examples", () => {
  const cases: Array<[string, MatchPolicy, string, boolean]> = [
    ["a.b", "exact", "a.b", true],
    ["a.b", "exact", "a.b.c", false],
    ["com.myapp.topic.emergency", "prefix", "com.myapp.topic.emergency.11", true],
    ["com.myapp.topic.emergency", "prefix", "com.myapp.topic.emergency-low", true],
    ["com.myapp.topic.emergency", "prefix", "com.myapp.topic.emergency", true],
    ["com.myapp.topic.emergency", "prefix", "com.myapp.topic.emerge", false],
    ["com.myapp..userevent", "wildcard", "com.myapp.foo.userevent", true],
    ["com.myapp..userevent", "wildcard", "com.myapp.foo.userevent.bar", false],
    ["com.myapp..userevent", "wildcard", "com.myapp.foo.user", false],
    ["com.myapp..userevent", "wildcard", "com.myapp2.foo.userevent", false],
    ["..", "wildcard", "a..c", false],
  ];
  for (const [pattern, match, topic, want] of cases) {
    assert.equal(topicMatches(pattern, match, topic), want, `${match} ${pattern} ~ ${topic}`);
  }
});
