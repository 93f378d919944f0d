/**
 * Builders for the router's outbound messages that several parts share.
 * @module
 */
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
 * The trailing Arguments/ArgumentsKw of a message. Spec "Message Definitions": an empty
 * ArgumentsKw is omitted, and Arguments is omitted only when ArgumentsKw is too.
 */
export function payload(args: unknown[] | undefined, kwargs: Dict | undefined): unknown[] {
  if (kwargs !== undefined && !isEmptyDict(kwargs)) return [args ?? [], kwargs];
  if (args !== undefined && args.length > 0) return [args];
  return [];
}

/** ERROR for a client request, with a human-readable explanation as the first argument. */
export function errorMessage(requestType: number, requestId: number, uri: string, explanation?: string): unknown[] {
  return explanation === undefined
    ? [C.ERROR, requestType, requestId, {}, uri]
    : [C.ERROR, requestType, requestId, {}, uri, [explanation]];
}
