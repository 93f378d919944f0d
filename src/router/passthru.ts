/**
 * Payload Passthru Mode (spec "Payload Passthru Mode"): `ppt_*` options of CALL, PUBLISH and
 * YIELD are copied unchanged into INVOCATION, EVENT and RESULT details, and the payload is
 * forwarded without being inspected.
 * @module
 */
import { type Dict, isEmptyDict } from "../wamp/validate.ts";

const PPT_KEYS = ["ppt_scheme", "ppt_serializer", "ppt_cipher", "ppt_keyid"] as const;

export type PassthruResult =
  /** No ppt_* option: a normal payload. */
  | { kind: "none" }
  | { kind: "ppt"; details: Dict }
  | { kind: "invalid"; message: string };

const NONE: PassthruResult = Object.freeze({ kind: "none" });

export function passthruOptions(options: Dict): PassthruResult {
  if (isEmptyDict(options)) return NONE;
  let details: Dict | undefined;
  for (const key of PPT_KEYS) {
    const v = options[key];
    if (v === undefined) continue;
    if (typeof v !== "string") return { kind: "invalid", message: `option ${key} must be a string` };
    (details ??= {})[key] = v;
  }
  if (!details) return { kind: "none" };
  if (typeof details["ppt_scheme"] !== "string" || details["ppt_scheme"] === "") {
    return { kind: "invalid", message: "ppt_scheme is required when any ppt_* option is given" };
  }
  return { kind: "ppt", details };
}

/**
 * Whether a peer announced payload passthru for a role. The spec's flag is
 * `payload_passthru_mode`; Autobahn and Crossbar announce the same feature as
 * `payload_transparency` (checklist "Inconsistencies inside the spec"), so either counts.
 */
export function announcesPassthru(session: { hasFeature(role: string, feature: string): boolean }, role: string): boolean {
  return session.hasFeature(role, "payload_passthru_mode") || session.hasFeature(role, "payload_transparency");
}
