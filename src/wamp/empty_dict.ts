/**
 * The one empty dict shared by the decoders and the router: what an empty map in a message's
 * head reads to (Options and Details are read, never changed, by the router: it saves an object
 * per message), and the Details of a router message that has none. Frozen, so a receiver that
 * tried to change it fails loudly. Being one object lets an encoder know it at a glance.
 * @module
 */
export const EMPTY_DICT: Readonly<Record<string, unknown>> = Object.freeze({});
