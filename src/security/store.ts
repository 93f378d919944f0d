/**
 * A realm's security model in Storage, one entry per record so a change writes one key:
 *
 *     ["security", realm, "realm"]                              settings; its presence = "a model exists"
 *     ["security", realm, "user", authid]                       a user (derived keys only)
 *     ["security", realm, "group", name]                        a group
 *     ["security", realm, "grant", "role"|"user", name, match, uri]   a grant's actions
 *     ["security", realm, "source", cidr]                       a source
 *
 * Values are JSON text (the project's JSON convention, so binary metadata survives) with a
 * format version. Fields added since (credentials.scram.autobahn) are optional, so records
 * written without them still load as format 1. A whole model is written settings-last: a crash half-way leaves no settings
 * entry, the realm counts as unseeded, and the next start seeds it again from scratch.
 * @module
 */
import { jsonSerializer } from "../serializer/json.ts";
import type { Storage, StorageKey } from "../platform/storage.ts";
import { isDict } from "../wamp/validate.ts";
import { ACTION_BIT, actionNames, ALL_ACTIONS, type GrantEntry } from "./grant.ts";
import type { GroupEntry } from "./group.ts";
import type { ModelSnapshot, RealmSettings } from "./model.ts";
import type { SourceEntry } from "./source.ts";
import type { UserEntry } from "./user.ts";

const FORMAT = 1;
const ROOT = "security";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function encode(record: object): Uint8Array {
  return encoder.encode(jsonSerializer.encode([{ v: FORMAT, ...record }]) as string);
}

function decode(key: StorageKey, bytes: Uint8Array): Record<string, unknown> {
  const v = (jsonSerializer.decode(decoder.decode(bytes)) as unknown[])[0];
  if (!isDict(v) || v["v"] !== FORMAT) {
    throw new Error(`security store: ${key.join("/")}: unknown record format ${isDict(v) ? String(v["v"]) : typeof v}`);
  }
  const { v: _version, ...rest } = v;
  return rest;
}

export class SecurityStore {
  readonly #storage: Storage;
  readonly #realm: string;

  constructor(storage: Storage, realm: string) {
    this.#storage = storage;
    this.#realm = realm;
  }

  /** The names and settings of every realm with a model in `storage`. */
  static async realms(storage: Storage): Promise<RealmSettings[]> {
    const out: RealmSettings[] = [];
    for (const e of await storage.list([ROOT])) {
      if (e.key.length === 3 && e.key[2] === "realm") out.push(decode(e.key, e.value) as unknown as RealmSettings);
    }
    return out;
  }

  /** The stored model, or undefined when this realm has none (never seeded, or deleted). */
  async load(): Promise<ModelSnapshot | undefined> {
    const entries = await this.#storage.list([ROOT, this.#realm]);
    const marker = entries.find((e) => e.key.length === 3 && e.key[2] === "realm");
    if (!marker) return undefined;
    const users: UserEntry[] = [];
    const groups: GroupEntry[] = [];
    const grants: GrantEntry[] = [];
    const sources: SourceEntry[] = [];
    for (const e of entries) {
      const kind = e.key[2];
      const r = decode(e.key, e.value);
      if (kind === "user") users.push(r as unknown as UserEntry);
      else if (kind === "group") groups.push(r as unknown as GroupEntry);
      else if (kind === "source") sources.push(r as unknown as SourceEntry);
      else if (kind === "grant") grants.push(grantFrom(e.key, r));
    }
    return { settings: decode(marker.key, marker.value) as unknown as RealmSettings, users, groups, grants, sources };
  }

  /** Replaces whatever is stored for the realm by `model` (seeding, junction.realm.add). */
  async writeAll(model: ModelSnapshot): Promise<void> {
    await this.deleteAll();
    await Promise.all([
      ...model.users.map((u) => this.putUser(u)),
      ...model.groups.map((g) => this.putGroup(g)),
      ...model.grants.map((g) => this.putGrant(g)),
      ...model.sources.map((s) => this.putSource(s)),
    ]);
    await this.putSettings(model.settings);
  }

  /** Forgets the realm: settings first, so a crash half-way leaves an unseeded realm. */
  async deleteAll(): Promise<void> {
    await this.#storage.delete(this.#key("realm"));
    await this.#storage.deletePrefix([ROOT, this.#realm]);
  }

  putSettings(s: RealmSettings): Promise<void> {
    return this.#storage.set(this.#key("realm"), encode(s));
  }

  putUser(u: UserEntry): Promise<void> {
    return this.#storage.set(this.#key("user", u.authid), encode(u));
  }

  deleteUser(authid: string): Promise<void> {
    return this.#storage.delete(this.#key("user", authid));
  }

  putGroup(g: GroupEntry): Promise<void> {
    return this.#storage.set(this.#key("group", g.name), encode(g));
  }

  deleteGroup(name: string): Promise<void> {
    return this.#storage.delete(this.#key("group", name));
  }

  putGrant(g: GrantEntry): Promise<void> {
    return this.#storage.set(this.#grantKey(g), encode({ actions: actionNames(g.actions) }));
  }

  deleteGrant(g: GrantEntry): Promise<void> {
    return this.#storage.delete(this.#grantKey(g));
  }

  putSource(s: SourceEntry): Promise<void> {
    return this.#storage.set(this.#key("source", s.cidr), encode(s));
  }

  deleteSource(cidr: string): Promise<void> {
    return this.#storage.delete(this.#key("source", cidr));
  }

  #key(...rest: string[]): StorageKey {
    return [ROOT, this.#realm, ...rest];
  }

  #grantKey(g: GrantEntry): StorageKey {
    return this.#key("grant", g.principal.kind, g.principal.name, g.match, g.uri);
  }
}

function grantFrom(key: StorageKey, r: Record<string, unknown>): GrantEntry {
  const [, , , kind, name, match, uri] = key;
  const actions = Array.isArray(r["actions"]) ? r["actions"] : [];
  let mask = 0;
  for (const a of actions) mask |= a === "*" ? ALL_ACTIONS : (ACTION_BIT as Record<string, number>)[a as string] ?? 0;
  if ((kind !== "role" && kind !== "user") || name === undefined || uri === undefined ||
    (match !== "exact" && match !== "prefix" && match !== "wildcard")) {
    throw new Error(`security store: ${key.join("/")}: not a grant key`);
  }
  return { principal: { kind, name }, uri, match, actions: mask };
}
