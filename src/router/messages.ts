/**
 * Builders for the router's outbound messages that several parts share.
 * @module
 */
import { type Args, EncodedValue, type Kwargs } from "../serializer/encoded.ts";
import * as C from "../wamp/codes.ts";
import { type Dict, isEmptyDict } from "../wamp/validate.ts";

/**
 * How many elements precede the payload in the client messages that carry one, for
 * `Session.inboundTail`: [CALL, Request, Options, Procedure, ...], [YIELD, Request, Options, ...],
 * [ERROR, INVOCATION, Request, Details, Error, ...], [PUBLISH, Request, Options, Topic, ...].
 */
export const CALL_FIXED = 4;
export const YIELD_FIXED = 3;
export const ERROR_FIXED = 5;
export const PUBLISH_FIXED = 4;

/**
 * Appends the trailing Arguments/ArgumentsKw to `message` and returns how many elements it
 * added. Spec "Message Definitions": an empty ArgumentsKw is omitted, and Arguments is omitted
 * only when ArgumentsKw is too. Building the message in place spares the hot paths (INVOCATION,
 * RESULT, EVENT) an array and a spread per message.
 */
export function appendPayload(message: unknown[], args: Args | undefined, kwargs: Kwargs | undefined): number {
  if (kwargs !== undefined && !(kwargs instanceof EncodedValue ? kwargs.empty : isEmptyDict(kwargs))) {
    message.push(args ?? [], kwargs);
    return 2;
  }
  if (args !== undefined && !(args instanceof EncodedValue ? args.empty : args.length === 0)) {
    message.push(args);
    return 1;
  }
  return 0;
}

/**
 * The Details of a router message that has none: one frozen object shared by all of them, as
 * the encoders only read it (and an internal receiver that tried to change it would fail loudly).
 */
export const NO_DETAILS: Dict = Object.freeze({});

/** ERROR for a client request, with a human-readable explanation as the first argument. */
export function errorMessage(requestType: number, requestId: number, uri: string, explanation?: string): unknown[] {
  return explanation === undefined
    ? [C.ERROR, requestType, requestId, {}, uri]
    : [C.ERROR, requestType, requestId, {}, uri, [explanation]];
}
