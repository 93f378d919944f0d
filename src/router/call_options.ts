/**
 * Reading and checking CALL options once, before routing (spec sections "Progressive Call
 * Results", "Progressive Call Invocations", "Call Timeout", "Caller Identification",
 * "Sharded Registration", "Payload Passthru Mode").
 * @module
 */
import { type Dict, isEmptyDict } from "../wamp/validate.ts";
import { passthruOptions } from "./passthru.ts";
import { describe } from "./value_text.ts";

export interface CallOptions {
  readonly receiveProgress: boolean;
  /** This CALL starts (or continues) a progressive call invocation. */
  readonly progress: boolean;
  /** Milliseconds; 0 = no timeout. */
  readonly timeout: number;
  readonly discloseMe: boolean;
  /** Set for `runmode: "partition"` calls. */
  readonly rkey: string | undefined;
  /** ppt_* options to copy into INVOCATION.Details, when the call uses passthru. */
  readonly ppt: Dict | undefined;
}

/** Most calls carry no options at all; they share one answer. */
const NO_OPTIONS: CallOptions = Object.freeze({
  receiveProgress: false,
  progress: false,
  timeout: 0,
  discloseMe: false,
  rkey: undefined,
  ppt: undefined,
});

/** Parsed options, or the reason they are invalid (answered with `wamp.error.invalid_argument`). */
export function parseCallOptions(options: Dict): CallOptions | string {
  // The parser's closure captures `options`, which gives its function a scope object on every
  // call: the common empty case returns before reaching it.
  return isEmptyDict(options) ? NO_OPTIONS : parseGiven(options);
}

function parseGiven(options: Dict): CallOptions | string {
  const bool = (key: string): boolean | string => {
    const v = options[key];
    if (v === undefined) return false;
    return typeof v === "boolean" ? v : `option ${key} must be a boolean`;
  };
  const receiveProgress = bool("receive_progress");
  if (typeof receiveProgress === "string") return receiveProgress;
  const progress = bool("progress");
  if (typeof progress === "string") return progress;
  const discloseMe = bool("disclose_me");
  if (typeof discloseMe === "string") return discloseMe;
  const timeout = options["timeout"] ?? 0;
  if (typeof timeout !== "number" || !Number.isInteger(timeout) || timeout < 0) {
    return "option timeout must be a non-negative integer (milliseconds)";
  }
  let rkey: string | undefined;
  const runmode = options["runmode"];
  if (runmode !== undefined) {
    if (runmode !== "partition") return `option runmode must be "partition", found ${describe(runmode)}`;
    const k = options["rkey"];
    if (typeof k !== "string") return 'option rkey (a string) is required with runmode "partition"';
    rkey = k;
  }
  const ppt = passthruOptions(options);
  if (ppt.kind === "invalid") return ppt.message;
  return {
    receiveProgress,
    progress,
    timeout,
    discloseMe,
    rkey,
    ppt: ppt.kind === "ppt" ? ppt.details : undefined,
  };
}
