/**
 * Builders for the router's outbound messages that several parts share.
 * @module
 */
import * as C from "../wamp/codes.ts";
import type { Dict } from "../wamp/validate.ts";

/**
 * The trailing Arguments/ArgumentsKw of a message. Spec "Message Definitions": an empty
 * ArgumentsKw is omitted, and Arguments is omitted only when ArgumentsKw is too.
 */
export function payload(args: unknown[] | undefined, kwargs: Dict | undefined): unknown[] {
  if (kwargs !== undefined && Object.keys(kwargs).length > 0) return [args ?? [], kwargs];
  if (args !== undefined && args.length > 0) return [args];
  return [];
}

/** ERROR for a client request, with a human-readable explanation as the first argument. */
export function errorMessage(requestType: number, requestId: number, uri: string, explanation?: string): unknown[] {
  return explanation === undefined
    ? [C.ERROR, requestType, requestId, {}, uri]
    : [C.ERROR, requestType, requestId, {}, uri, [explanation]];
}
