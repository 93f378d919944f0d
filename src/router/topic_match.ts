/**
 * Whether one pattern matches one concrete topic, for the places that test a single pair
 * (retained events for a new subscription, history configuration) rather than search an
 * index. Same rules as PatternIndex (spec "Pattern-based Subscription").
 * @module
 */
import type { MatchPolicy } from "../wamp/uri_check.ts";

export function topicMatches(pattern: string, match: MatchPolicy, topic: string): boolean {
  switch (match) {
    case "exact":
      return pattern === topic;
    case "prefix":
      // A plain string prefix: "com.a" matches "com.a.b" and "com.ab" (spec example
      // "com.myapp.topic.emergency-low").
      return topic.startsWith(pattern);
    case "wildcard": {
      const want = pattern.split(".");
      const got = topic.split(".");
      if (want.length !== got.length) return false;
      // An empty pattern component matches any one (non-empty) component.
      return want.every((w, i) => w === "" ? got[i] !== "" : w === got[i]);
    }
  }
}
