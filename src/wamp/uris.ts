/**
 * Reserved URIs the router sends (spec "Predefined URIs"). Where the spec text and deployed
 * routers disagree, the comment says which one we follow.
 * @module
 */

export const E_INVALID_URI = "wamp.error.invalid_uri";
export const E_NO_SUCH_PROCEDURE = "wamp.error.no_such_procedure";
export const E_PROCEDURE_ALREADY_EXISTS = "wamp.error.procedure_already_exists";
export const E_NO_SUCH_REGISTRATION = "wamp.error.no_such_registration";
export const E_NO_SUCH_SUBSCRIPTION = "wamp.error.no_such_subscription";
export const E_INVALID_ARGUMENT = "wamp.error.invalid_argument";
/** The spec's basic RPC text once says `cancelled`; its URI list and every router use `canceled`. */
export const E_CANCELED = "wamp.error.canceled";
export const E_PROTOCOL_VIOLATION = "wamp.error.protocol_violation";
export const E_NOT_AUTHORIZED = "wamp.error.not_authorized";
export const E_NO_SUCH_REALM = "wamp.error.no_such_realm";
export const E_PAYLOAD_SIZE_EXCEEDED = "wamp.error.payload_size_exceeded";

export const CLOSE_SYSTEM_SHUTDOWN = "wamp.close.system_shutdown";
export const CLOSE_REALM = "wamp.close.close_realm";
/** Reply to a client's GOODBYE (spec; Nexus and Bondy do the same). */
export const CLOSE_GOODBYE_AND_OUT = "wamp.close.goodbye_and_out";
export const CLOSE_KILLED = "wamp.close.killed";
export const E_FEATURE_NOT_SUPPORTED = "wamp.error.feature_not_supported";
export const E_TIMEOUT = "wamp.error.timeout";
export const E_NO_SUCH_SESSION = "wamp.error.no_such_session";
