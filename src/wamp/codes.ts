/**
 * WAMP message type codes (spec "Message Codes and Direction").
 * Direction: C = client sends, R = router sends.
 * @module
 */

export const HELLO = 1; //          C
export const WELCOME = 2; //        R
export const ABORT = 3; //          C R
export const CHALLENGE = 4; //      R
export const AUTHENTICATE = 5; //   C
export const GOODBYE = 6; //        C R
export const ERROR = 8; //          C (callee, for INVOCATION) R
export const PUBLISH = 16; //       C
export const PUBLISHED = 17; //     R
export const SUBSCRIBE = 32; //     C
export const SUBSCRIBED = 33; //    R
export const UNSUBSCRIBE = 34; //   C
export const UNSUBSCRIBED = 35; //  R
export const EVENT = 36; //         R
export const CALL = 48; //          C
export const CANCEL = 49; //        C
export const RESULT = 50; //        R
export const REGISTER = 64; //      C
export const REGISTERED = 65; //    R
export const UNREGISTER = 66; //    C
export const UNREGISTERED = 67; //  R
export const INVOCATION = 68; //    R
export const INTERRUPT = 69; //     R
export const YIELD = 70; //         C

export const MESSAGE_NAMES: Readonly<Record<number, string>> = {
  1: "HELLO", 2: "WELCOME", 3: "ABORT", 4: "CHALLENGE", 5: "AUTHENTICATE", 6: "GOODBYE",
  8: "ERROR", 16: "PUBLISH", 17: "PUBLISHED", 32: "SUBSCRIBE", 33: "SUBSCRIBED",
  34: "UNSUBSCRIBE", 35: "UNSUBSCRIBED", 36: "EVENT", 48: "CALL", 49: "CANCEL", 50: "RESULT",
  64: "REGISTER", 65: "REGISTERED", 66: "UNREGISTER", 67: "UNREGISTERED", 68: "INVOCATION",
  69: "INTERRUPT", 70: "YIELD",
};

export function messageName(code: number): string {
  return MESSAGE_NAMES[code] ?? `type ${code}`;
}
