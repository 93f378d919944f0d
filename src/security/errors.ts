/**
 * Why a change to a security model was refused. Each carries a URI the admin API answers with,
 * so a WAMP client can tell "no such user" from "bad argument" without parsing the message.
 * @module
 */

export const E_INVALID_ARGUMENT = "wamp.error.invalid_argument";
export const E_NO_SUCH_REALM = "junction.error.no_such_realm";
export const E_NO_SUCH_USER = "junction.error.no_such_user";
export const E_NO_SUCH_GROUP = "junction.error.no_such_group";
export const E_NO_SUCH_GRANT = "junction.error.no_such_grant";
export const E_NO_SUCH_SOURCE = "junction.error.no_such_source";
export const E_ALREADY_EXISTS = "junction.error.already_exists";
/** A group still has members (users or groups) and cannot be deleted. */
export const E_IN_USE = "junction.error.in_use";
/** Group membership would make a group (transitively) a member of itself. */
export const E_CYCLE = "junction.error.group_cycle";
/** The operation is not allowed on this realm (configured in the file, the admin realm itself, open). */
export const E_NOT_ALLOWED = "junction.error.not_allowed";

export class SecurityError extends Error {
  readonly uri: string;
  constructor(uri: string, message: string) {
    super(message);
    this.name = "SecurityError";
    this.uri = uri;
  }
}

export function invalid(message: string): SecurityError {
  return new SecurityError(E_INVALID_ARGUMENT, message);
}
