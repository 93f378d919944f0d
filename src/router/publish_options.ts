/**
 * PUBLISH.Options the broker acts on, read and type-checked once per publication:
 * `acknowledge`, `exclude_me` (spec "Publisher Exclusion"), `disclose_me` (spec "Publisher
 * Identification"), `retain` (spec "Event Retention"), the black/white lists (spec "Subscriber
 * Black- and Whitelisting") and `ppt_*` (spec "Payload Passthru Mode"). Unknown keys are
 * ignored, as the spec asks of every Options dict.
 * @module
 */
import type { Session } from "../session/session.ts";
import type { Dict } from "../wamp/validate.ts";
import { passthruOptions } from "./passthru.ts";
import { parseSubscriberFilter, type SubscriberFilter } from "./subscriber_filter.ts";
import { describe } from "./value_text.ts";

export interface PublishOptions {
  readonly acknowledge: boolean;
  /** Default true: the publisher does not receive its own event. */
  readonly excludeMe: boolean;
  readonly discloseMe: boolean;
  readonly retain: boolean;
  readonly filter: SubscriberFilter | undefined;
  /** The `ppt_*` options as given, copied into EVENT.Details unchanged; undefined when absent. */
  readonly ppt: Dict | undefined;
}

export function parsePublishOptions(options: Dict): { options: PublishOptions } | { error: string } {
  const flags: Record<"exclude_me" | "disclose_me" | "retain", boolean | undefined> = {
    exclude_me: undefined,
    disclose_me: undefined,
    retain: undefined,
  };
  for (const key of ["exclude_me", "disclose_me", "retain"] as const) {
    const v = options[key];
    if (v !== undefined && typeof v !== "boolean") {
      return { error: `PUBLISH.Options.${key} must be a boolean, found ${describe(v)}` };
    }
    flags[key] = v;
  }
  const parsed = parseSubscriberFilter(options);
  if ("error" in parsed) return parsed;
  // Spec "Payload Passthru Mode": ppt_* are strings and ppt_scheme is required; the router
  // checks nothing else about them, nor looks at the payload.
  const ppt = passthruOptions(options);
  if (ppt.kind === "invalid") return { error: `PUBLISH.Options: ${ppt.message}` };
  return {
    options: {
      // A non-boolean `acknowledge` is not an error we could report: only `true` asks for an answer.
      acknowledge: options["acknowledge"] === true,
      excludeMe: flags.exclude_me !== false,
      discloseMe: flags.disclose_me === true,
      retain: flags.retain === true,
      filter: parsed.filter,
      ppt: ppt.kind === "ppt" ? ppt.details : undefined,
    },
  };
}

/**
 * The EVENT.Details a publication contributes for every subscriber: the publisher's identity
 * when it asked for disclosure, and the ppt_* attributes. Subscription-specific keys (`topic`,
 * `retained`) are added per subscription.
 */
export function publicationDetails(opts: PublishOptions, publisher: Session): Dict {
  const details: Dict = {};
  if (opts.discloseMe) {
    details["publisher"] = publisher.id;
    if (publisher.auth) {
      details["publisher_authid"] = publisher.auth.authid;
      details["publisher_authrole"] = publisher.auth.authrole;
    }
  }
  if (opts.ppt) Object.assign(details, opts.ppt);
  return details;
}
