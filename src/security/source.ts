/**
 * Sources: which authentication methods a realm accepts from which networks (Bondy's
 * `bondy_rbac_source`, without the per-user form). A client may use the union of the methods
 * of every source whose range holds its address. A realm without sources accepts every method
 * from anywhere; a client whose address the transport does not tell (an in-process link)
 * matches only ranges that hold every address (`0.0.0.0/0` and `::/0`).
 * @module
 */
import { isDict } from "../wamp/validate.ts";
import { type Cidr, cidrContains, parseCidr } from "./cidr.ts";
import { invalid } from "./errors.ts";
import { AUTHMETHODS, type AuthMethodName, isAuthMethod } from "./names.ts";
import { parseAddress } from "./ip_address.ts";
import { unknownKeys } from "./user.ts";

export interface SourceEntry {
  /** Canonical CIDR text; the source's identity. */
  readonly cidr: string;
  readonly authmethods: readonly AuthMethodName[];
}

interface Compiled {
  readonly range: Cidr;
  readonly authmethods: readonly AuthMethodName[];
}

/** The sources of one realm, compiled for lookups. */
export class SourceTable {
  readonly #compiled: Compiled[];

  constructor(sources: Iterable<SourceEntry>) {
    this.#compiled = [];
    for (const s of sources) {
      // Entries are checked before they are stored; one that does not parse matches nothing.
      const range = parseCidr(s.cidr);
      if (typeof range !== "string") this.#compiled.push({ range, authmethods: s.authmethods });
    }
  }

  /** The methods a client at `address` may use, in AUTHMETHODS order. */
  methodsFor(address: string | undefined): AuthMethodName[] {
    if (this.#compiled.length === 0) return [...AUTHMETHODS];
    const a = address === undefined ? undefined : parseAddress(address);
    const allowed = new Set<AuthMethodName>();
    for (const s of this.#compiled) {
      // IPv4 ranges start at 96 bits (mapped form): /0 over IPv4 is 96, over IPv6 it is 0.
      const everything = s.range.bits === 0 || s.range.text === "0.0.0.0/0";
      if (a ? cidrContains(s.range, a) : everything) for (const m of s.authmethods) allowed.add(m);
    }
    return AUTHMETHODS.filter((m) => allowed.has(m));
  }
}

export function parseSourceInput(v: unknown): SourceEntry {
  if (!isDict(v)) throw invalid("a source must be a dict such as {cidr, authmethods}");
  unknownKeys(v, ["cidr", "authmethods"], "source");
  if (typeof v["cidr"] !== "string") throw invalid(`cidr must be a string such as "10.0.0.0/8" or "::1/128"`);
  const range = parseCidr(v["cidr"]);
  if (typeof range === "string") throw invalid(`cidr: ${range}`);
  const ms = v["authmethods"];
  if (!Array.isArray(ms) || ms.length === 0 || !ms.every(isAuthMethod)) {
    throw invalid(`authmethods must be a non-empty list of ${AUTHMETHODS.map((m) => `"${m}"`).join(", ")}`);
  }
  return { cidr: range.text, authmethods: AUTHMETHODS.filter((m) => ms.includes(m)) };
}
