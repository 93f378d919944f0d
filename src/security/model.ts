/**
 * A realm's security model in memory: settings, users, groups, grants and sources, with the
 * lookups the authenticators and the authorizer need. No checks and no IO here: RealmSecurity
 * validates a change, persists it, and only then applies it through these methods.
 * @module
 */
import type { JwtTicketSettings } from "../auth/credentials.ts";
import { type GrantEntry, grantKey } from "./grant.ts";
import type { GroupEntry } from "./group.ts";
import { type SourceEntry, SourceTable } from "./source.ts";
import type { UserEntry } from "./user.ts";

/** Where a realm's model came from: the configuration file, or junction.realm.add. */
export type RealmOrigin = "config" | "admin";

export interface RealmSettings {
  readonly name: string;
  readonly origin: RealmOrigin;
  readonly jwt?: JwtTicketSettings;
  /** Present when anonymous sessions are allowed; they get this authrole. */
  readonly anonymous?: { readonly role: string };
}

/** A whole model, as seeded from the configuration or read back from storage. */
export interface ModelSnapshot {
  readonly settings: RealmSettings;
  readonly users: readonly UserEntry[];
  readonly groups: readonly GroupEntry[];
  readonly grants: readonly GrantEntry[];
  readonly sources: readonly SourceEntry[];
}

export class SecurityModel {
  settings: RealmSettings;
  readonly users = new Map<string, UserEntry>();
  readonly groups = new Map<string, GroupEntry>();
  /** grantKey -> grant. */
  readonly grants = new Map<string, GrantEntry>();
  /** "kind\0name" -> grantKey -> grant: the grants of one principal. */
  readonly #byPrincipal = new Map<string, Map<string, GrantEntry>>();
  readonly sources = new Map<string, SourceEntry>();
  #sourceTable: SourceTable | undefined;

  constructor(snapshot: ModelSnapshot) {
    this.settings = snapshot.settings;
    for (const u of snapshot.users) this.users.set(u.authid, u);
    for (const g of snapshot.groups) this.groups.set(g.name, g);
    for (const g of snapshot.grants) this.putGrant(g);
    for (const s of snapshot.sources) this.sources.set(s.cidr, s);
  }

  snapshot(): ModelSnapshot {
    return {
      settings: this.settings,
      users: [...this.users.values()],
      groups: [...this.groups.values()],
      grants: [...this.grants.values()],
      sources: [...this.sources.values()],
    };
  }

  readonly parentsOf = (group: string): readonly string[] | undefined => this.groups.get(group)?.groups;

  grantsOf(kind: "role" | "user", name: string): Iterable<GrantEntry> {
    return this.#byPrincipal.get(`${kind}\u0000${name}`)?.values() ?? [];
  }

  putGrant(g: GrantEntry): void {
    const key = grantKey(g);
    this.grants.set(key, g);
    const p = `${g.principal.kind}\u0000${g.principal.name}`;
    let m = this.#byPrincipal.get(p);
    if (!m) this.#byPrincipal.set(p, (m = new Map()));
    m.set(key, g);
  }

  deleteGrant(g: GrantEntry): void {
    const key = grantKey(g);
    this.grants.delete(key);
    const p = `${g.principal.kind}\u0000${g.principal.name}`;
    const m = this.#byPrincipal.get(p);
    m?.delete(key);
    if (m?.size === 0) this.#byPrincipal.delete(p);
  }

  putSource(s: SourceEntry): void {
    this.sources.set(s.cidr, s);
    this.#sourceTable = undefined;
  }

  deleteSource(cidr: string): void {
    this.sources.delete(cidr);
    this.#sourceTable = undefined;
  }

  get sourceTable(): SourceTable {
    return (this.#sourceTable ??= new SourceTable(this.sources.values()));
  }
}

export function emptySnapshot(settings: RealmSettings): ModelSnapshot {
  return { settings, users: [], groups: [], grants: [], sources: [] };
}
