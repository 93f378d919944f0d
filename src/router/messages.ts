/**
 * Builders for the router's outbound messages that several parts share.
 * @module
 */
import { type Args, EncodedValue, type Kwargs } from "../serializer/encoded.ts";
import * as C from "../wamp/codes.ts";
import { EMPTY_DICT } from "../wamp/empty_dict.ts";
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
 * How many payload elements a message carries for these Arguments/ArgumentsKw. Spec "Message
 * Definitions": an empty ArgumentsKw is omitted, and Arguments is omitted only when ArgumentsKw
 * is too.
 */
export function payloadCount(args: Args | undefined, kwargs: Kwargs | undefined): 0 | 1 | 2 {
  if (kwargs !== undefined && !(kwargs instanceof EncodedValue ? kwargs.empty : isEmptyDict(kwargs))) return 2;
  if (args !== undefined && !(args instanceof EncodedValue ? args.empty : args.length === 0)) return 1;
  return 0;
}

/**
 * Appends the trailing Arguments/ArgumentsKw to `message` and returns how many it added: for
 * the messages off the call and publication path (ERROR, the meta API's own messages).
 */
export function appendPayload(message: unknown[], args: Args | undefined, kwargs: Kwargs | undefined): number {
  const n = payloadCount(args, kwargs);
  if (n === 2) message.push(args ?? [], kwargs);
  else if (n === 1) message.push(args);
  return n;
}

/*
 * RESULT, INVOCATION and EVENT, on the call and publication path, are built at their final
 * length: an array literal grown by push is reallocated, which costs every call an allocation
 * more.
 */

/** [a, b, c] and the payload. */
export function withPayload3(a: unknown, b: unknown, c: unknown, args: Args | undefined, kwargs: Kwargs | undefined): unknown[] {
  switch (payloadCount(args, kwargs)) {
    case 2:
      return [a, b, c, args ?? [], kwargs];
    case 1:
      return [a, b, c, args];
    default:
      return [a, b, c];
  }
}

/** [a, b, c, d] and the payload. */
export function withPayload4(a: unknown, b: unknown, c: unknown, d: unknown, args: Args | undefined, kwargs: Kwargs | undefined): unknown[] {
  switch (payloadCount(args, kwargs)) {
    case 2:
      return [a, b, c, d, args ?? [], kwargs];
    case 1:
      return [a, b, c, d, args];
    default:
      return [a, b, c, d];
  }
}

/** The Details of a router message that has none (wamp/empty_dict.ts). */
export const NO_DETAILS: Dict = EMPTY_DICT;

/** ERROR for a client request, with a human-readable explanation as the first argument. */
export function errorMessage(requestType: number, requestId: number, uri: string, explanation?: string): unknown[] {
  return explanation === undefined
    ? [C.ERROR, requestType, requestId, {}, uri]
    : [C.ERROR, requestType, requestId, {}, uri, [explanation]];
}
