/**
 * Subscriber black- and whitelisting (spec "Subscriber Black- and Whitelisting"): the six
 * PUBLISH options `eligible`, `eligible_authid`, `eligible_authrole`, `exclude`,
 * `exclude_authid`, `exclude_authrole`. A subscriber receives the event iff it is in every
 * present eligible list and in no present exclude list; an empty eligible list admits nobody.
 * @module
 */
import { type Dict, isId } from "../wamp/validate.ts";
import { describe } from "./value_text.ts";

/** Who may receive one publication. Absent lists do not restrict. */
export interface SubscriberFilter {
  readonly eligible?: ReadonlySet<number>;
  readonly eligibleAuthid?: ReadonlySet<string>;
  readonly eligibleAuthrole?: ReadonlySet<string>;
  readonly exclude?: ReadonlySet<number>;
  readonly excludeAuthid?: ReadonlySet<string>;
  readonly excludeAuthrole?: ReadonlySet<string>;
}

/** The identity a filter looks at: a live session, or a requester of event history. */
export interface Receiver {
  readonly id: number;
  readonly auth?: { readonly authid: string; readonly authrole: string } | undefined;
}

const ID_KEYS = [["eligible", "eligible"], ["exclude", "exclude"]] as const;
const STRING_KEYS = [
  ["eligible_authid", "eligibleAuthid"],
  ["eligible_authrole", "eligibleAuthrole"],
  ["exclude_authid", "excludeAuthid"],
  ["exclude_authrole", "excludeAuthrole"],
] as const;

type Mutable = { -readonly [K in keyof SubscriberFilter]: SubscriberFilter[K] };

/**
 * Reads the six options from PUBLISH.Options (or a stored record with the same keys).
 * Returns undefined when none is present, or the text of the first wrong type.
 */
export function parseSubscriberFilter(options: Dict): { filter: SubscriberFilter | undefined } | { error: string } {
  const out: Mutable = {};
  let any = false;
  for (const [key, field] of ID_KEYS) {
    const v = options[key];
    if (v === undefined) continue;
    if (!Array.isArray(v) || !v.every(isId)) {
      return { error: `PUBLISH.Options.${key} must be a list of session ids, found ${describe(v)}` };
    }
    out[field] = new Set(v as number[]);
    any = true;
  }
  for (const [key, field] of STRING_KEYS) {
    const v = options[key];
    if (v === undefined) continue;
    if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
      return { error: `PUBLISH.Options.${key} must be a list of strings, found ${describe(v)}` };
    }
    out[field] = new Set(v as string[]);
    any = true;
  }
  return { filter: any ? out : undefined };
}

/** The filter in its wire form (the PUBLISH.Options keys), for storage. */
export function filterToOptions(filter: SubscriberFilter): Dict {
  const out: Dict = {};
  for (const [key, field] of [...ID_KEYS, ...STRING_KEYS]) {
    const set = filter[field];
    if (set) out[key] = [...set];
  }
  return out;
}

/** Whether the filter restricts by session id, which means nothing after those sessions end. */
export function usesSessionIds(filter: SubscriberFilter | undefined): boolean {
  return filter !== undefined && (filter.eligible !== undefined || filter.exclude !== undefined);
}

/** The six conditions of the spec, ANDed; an absent list is no condition. */
export function admits(filter: SubscriberFilter | undefined, r: Receiver): boolean {
  if (!filter) return true;
  const authid = r.auth?.authid;
  const authrole = r.auth?.authrole;
  if (filter.eligible && !filter.eligible.has(r.id)) return false;
  if (filter.eligibleAuthid && (authid === undefined || !filter.eligibleAuthid.has(authid))) return false;
  if (filter.eligibleAuthrole && (authrole === undefined || !filter.eligibleAuthrole.has(authrole))) return false;
  if (filter.exclude?.has(r.id)) return false;
  if (authid !== undefined && filter.excludeAuthid?.has(authid)) return false;
  if (authrole !== undefined && filter.excludeAuthrole?.has(authrole)) return false;
  return true;
}
