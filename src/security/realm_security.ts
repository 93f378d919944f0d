/**
 * One realm's security: the model in memory, kept in Storage. It is the realm's CredentialStore
 * (what the authenticators read) and its Authorizer (what every request is checked against).
 *
 * Every change is checked against the model, written through Storage, and applied in memory
 * only once the write resolved: what a caller was told succeeded survives a crash, and the
 * router never acts on a change that was not stored. Changes run one at a time, so two
 * concurrent calls cannot both pass a check that only one of them may pass.
 * @module
 */
import type { Action, Authorizer } from "../auth/authorizer.ts";
import type { CredentialStore, JwtTicketSettings, UserRecord } from "../auth/credentials.ts";
import type { Identity } from "../auth/types.ts";
import type { Storage } from "../platform/storage.ts";
import { PatternIndex } from "../router/pattern_index.ts";
import {
  E_ALREADY_EXISTS,
  E_IN_USE,
  E_NO_SUCH_GRANT,
  E_NO_SUCH_GROUP,
  E_NO_SUCH_REALM,
  E_NO_SUCH_SOURCE,
  E_NO_SUCH_USER,
  SecurityError,
} from "./errors.ts";
import { ACTION_BIT, expandGrant, type GrantEntry, grantKey, type GrantSpec, type GrantView, grantView } from "./grant.ts";
import { allows, GrantIndex } from "./grant_index.ts";
import { type GroupChanges, type GroupEntry, type GroupView, groupView, refuseCycle } from "./group.ts";
import { type ModelSnapshot, type RealmSettings, SecurityModel } from "./model.ts";
import { ANONYMOUS } from "./names.ts";
import type { SecretDeriver } from "./secrets.ts";
import type { SourceEntry } from "./source.ts";
import { SecurityStore } from "./store.ts";
import {
  credentialsFor,
  toUserRecord,
  updatedCredentials,
  type UserChanges,
  type UserEntry,
  type UserInput,
  type UserView,
  userView,
} from "./user.ts";

/** The index of a subject that may do nothing (a disabled user). */
const NOTHING = new PatternIndex<number>();

export class RealmSecurity implements CredentialStore, Authorizer {
  readonly realm: string;
  readonly #store: SecurityStore;
  readonly #deriver: SecretDeriver;
  /** Undefined until loaded or seeded, and after the realm's model is dropped: then nothing is allowed. */
  #model: SecurityModel | undefined;
  readonly #index: GrantIndex;
  readonly #bySession = new WeakMap<Identity, { generation: number; idx: PatternIndex<number> }>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(storage: Storage, realm: string, deriver: SecretDeriver) {
    this.realm = realm;
    this.#store = new SecurityStore(storage, realm);
    this.#deriver = deriver;
    this.#index = new GrantIndex({
      grantsOf: (kind, name) => this.#model?.grantsOf(kind, name) ?? [],
      parentsOf: (g) => this.#model?.parentsOf(g),
    });
  }

  /** Whether the realm has a model (loaded or seeded, not dropped). */
  get active(): boolean {
    return this.#model !== undefined;
  }

  get settings(): RealmSettings | undefined {
    return this.#model?.settings;
  }

  /** Reads the stored model; false when the store has none for this realm. */
  async load(): Promise<boolean> {
    const snap = await this.#store.load();
    if (snap) this.#replace(snap);
    return snap !== undefined;
  }

  /** Replaces the stored model (and then the one in memory) by `snapshot`. */
  seed(snapshot: ModelSnapshot): Promise<void> {
    return this.#serial(async () => {
      await this.#store.writeAll(snapshot);
      this.#replace(snapshot);
    });
  }

  /** Deletes the stored model; afterwards nobody authenticates and nothing is authorized. */
  drop(): Promise<void> {
    return this.#serial(async () => {
      await this.#store.deleteAll();
      this.#model = undefined;
      this.#index.invalidate();
    });
  }

  snapshot(): ModelSnapshot | undefined {
    return this.#model?.snapshot();
  }

  // --- CredentialStore ---

  user(authid: string): UserRecord | undefined {
    const u = this.#model?.users.get(authid);
    return u ? toUserRecord(u) : undefined;
  }

  methodsFor(remoteAddress: string | undefined): readonly string[] {
    const m = this.#model;
    if (!m) return [];
    const methods = m.sourceTable.methodsFor(remoteAddress);
    return m.settings.anonymous ? methods : methods.filter((x) => x !== ANONYMOUS);
  }

  get jwt(): JwtTicketSettings | undefined {
    return this.#model?.settings.jwt;
  }

  get anonymousRole(): string | undefined {
    return this.#model?.settings.anonymous?.role;
  }

  // --- Authorizer ---

  /**
   * Allowed when a grant to the session's authid, to its authrole, to any group of its user, or
   * to any group those belong to (transitively) matches the action and the URI (a JWT session:
   * its authid and the role the token asserts, with that role's groups). Anonymous
   * sessions get the grants of their role and of "anonymous", never those of an authid (an
   * anonymous client may have asked for any authid). A disabled user is refused everything.
   */
  authorize(identity: Identity, action: Action, uri: string): boolean {
    if (!this.#model) return false;
    // A session's identity object lives as long as the session: after the first request, the
    // index is one WeakMap lookup away until the model changes.
    const hit = this.#bySession.get(identity);
    let idx: PatternIndex<number>;
    if (hit && hit.generation === this.#index.generation) idx = hit.idx;
    else {
      idx = this.#indexFor(this.#model, identity);
      this.#bySession.set(identity, { generation: this.#index.generation, idx });
    }
    return allows(idx, uri, ACTION_BIT[action]);
  }

  #indexFor(m: SecurityModel, identity: Identity): PatternIndex<number> {
    if (identity.authmethod === "anonymous") {
      return this.#index.subject(`a\u0000${identity.authrole}`, undefined, () => [identity.authrole, ANONYMOUS]);
    }
    const u = m.users.get(identity.authid);
    if (u && !u.enabled) return NOTHING;
    // A JWT names its own role; the groups of a local user of that authid do not add to it.
    const groups = identity.authprovider === "jwt" ? [] : u?.groups ?? [];
    return this.#index.subject(
      `${identity.authprovider === "jwt" ? "j" : "u"}\u0000${identity.authid}\u0000${identity.authrole}`,
      identity.authid,
      () => [identity.authrole, ...groups],
    );
  }

  // --- reads ---

  users(): UserView[] {
    return [...this.#live().users.values()].map(userView);
  }

  getUser(authid: string): UserView {
    return userView(this.#user(this.#live(), authid));
  }

  groups(): GroupView[] {
    return [...this.#live().groups.values()].map(groupView);
  }

  getGroup(name: string): GroupView {
    return groupView(this.#group(this.#live(), name));
  }

  grants(): GrantView[] {
    return [...this.#live().grants.values()].map(grantView);
  }

  sources(): SourceEntry[] {
    return [...this.#live().sources.values()].map((s) => ({ cidr: s.cidr, authmethods: [...s.authmethods] }));
  }

  // --- users ---

  async addUser(input: UserInput): Promise<UserView> {
    this.#checkUser(this.#live(), input, true);
    // Derivation is slow on purpose (PBKDF2): do it before taking the queue.
    const credentials = await credentialsFor(input, this.#deriver);
    return this.#serial(async () => {
      const m = this.#checkUser(this.#live(), input, true);
      const u: UserEntry = {
        authid: input.authid,
        enabled: input.enabled,
        groups: [...input.groups],
        ...(input.role !== undefined ? { role: input.role } : {}),
        credentials,
        ...(input.metadata ? { metadata: input.metadata } : {}),
      };
      await this.#store.putUser(u);
      m.users.set(u.authid, u);
      this.#index.invalidate();
      return userView(u);
    });
  }

  async updateUser(authid: string, changes: UserChanges): Promise<UserView> {
    const before = this.#user(this.#live(), authid);
    const credentials = changes.password !== undefined || changes.authmethods || changes.cryptosignKeys
      ? await updatedCredentials(before, changes, this.#deriver)
      : undefined;
    return this.#serial(async () => {
      const m = this.#live();
      const current = this.#user(m, authid);
      if (changes.groups) this.#checkGroupsExist(m, changes.groups);
      const role = changes.role === null ? undefined : changes.role ?? current.role;
      const metadata = changes.metadata === null ? undefined : changes.metadata ?? current.metadata;
      const u: UserEntry = {
        authid,
        enabled: changes.enabled ?? current.enabled,
        groups: [...(changes.groups ?? current.groups)],
        ...(role !== undefined ? { role } : {}),
        credentials: credentials ?? current.credentials,
        ...(metadata ? { metadata } : {}),
      };
      await this.#store.putUser(u);
      m.users.set(authid, u);
      this.#index.invalidate();
      return userView(u);
    });
  }

  /** Deletes a user and the grants made to it by authid. */
  deleteUser(authid: string): Promise<void> {
    return this.#serial(async () => {
      const m = this.#live();
      this.#user(m, authid);
      // Grants first: a crash half-way leaves the user without them, never its grants waiting
      // for whoever is created next under the same authid.
      for (const g of [...m.grantsOf("user", authid)]) {
        await this.#store.deleteGrant(g);
        m.deleteGrant(g);
        this.#index.invalidate();
      }
      await this.#store.deleteUser(authid);
      m.users.delete(authid);
      this.#index.invalidate();
    });
  }

  // --- groups ---

  addGroup(g: GroupEntry): Promise<GroupView> {
    return this.#serial(async () => {
      const m = this.#live();
      if (m.groups.has(g.name)) throw new SecurityError(E_ALREADY_EXISTS, `group "${g.name}" already exists in realm "${this.realm}"`);
      this.#checkGroupsExist(m, g.groups);
      refuseCycle(g.name, g.groups, m.parentsOf);
      const entry: GroupEntry = { name: g.name, groups: [...g.groups], ...(g.metadata ? { metadata: g.metadata } : {}) };
      await this.#store.putGroup(entry);
      m.groups.set(entry.name, entry);
      this.#index.invalidate();
      return groupView(entry);
    });
  }

  updateGroup(name: string, changes: GroupChanges): Promise<GroupView> {
    return this.#serial(async () => {
      const m = this.#live();
      const current = this.#group(m, name);
      const groups = changes.groups ?? current.groups;
      this.#checkGroupsExist(m, groups);
      refuseCycle(name, groups, m.parentsOf);
      const metadata = changes.metadata === null ? undefined : changes.metadata ?? current.metadata;
      const entry: GroupEntry = { name, groups: [...groups], ...(metadata ? { metadata } : {}) };
      await this.#store.putGroup(entry);
      m.groups.set(name, entry);
      this.#index.invalidate();
      return groupView(entry);
    });
  }

  /** Refused while users or groups are members; grants to the role stay (a JWT may assert it). */
  deleteGroup(name: string): Promise<void> {
    return this.#serial(async () => {
      const m = this.#live();
      this.#group(m, name);
      const users = [...m.users.values()].filter((u) => u.groups.includes(name)).map((u) => u.authid);
      const groups = [...m.groups.values()].filter((g) => g.groups.includes(name)).map((g) => g.name);
      if (users.length + groups.length > 0) {
        const who = [...users.map((u) => `user "${u}"`), ...groups.map((g) => `group "${g}"`)];
        throw new SecurityError(E_IN_USE, `group "${name}" still has members: ${who.slice(0, 10).join(", ")}${who.length > 10 ? ", ..." : ""}`);
      }
      await this.#store.deleteGroup(name);
      m.groups.delete(name);
      this.#index.invalidate();
    });
  }

  // --- grants ---

  /** Adds the spec's actions to each principal's grant on the pattern; returns the resulting records. */
  addGrant(spec: GrantSpec): Promise<GrantView[]> {
    return this.#serial(async () => {
      const m = this.#live();
      const out: GrantView[] = [];
      for (const g of expandGrant(spec)) {
        const had = m.grants.get(grantKey(g));
        const next: GrantEntry = { ...g, actions: (had?.actions ?? 0) | g.actions };
        await this.#store.putGrant(next);
        m.putGrant(next);
        this.#index.invalidate();
        out.push(grantView(next));
      }
      return out;
    });
  }

  /**
   * Removes the spec's actions from each principal's grant on the pattern (a record left with
   * no action is deleted). Refused, changing nothing, when no principal holds any of them.
   */
  revokeGrant(spec: GrantSpec): Promise<GrantView[]> {
    return this.#serial(async () => {
      const m = this.#live();
      const hits = expandGrant(spec).flatMap((g) => {
        const had = m.grants.get(grantKey(g));
        return had && (had.actions & g.actions) !== 0 ? [{ had, actions: had.actions & ~g.actions }] : [];
      });
      if (hits.length === 0) throw new SecurityError(E_NO_SUCH_GRANT, `no such grant in realm "${this.realm}"`);
      const out: GrantView[] = [];
      for (const { had, actions } of hits) {
        if (actions === 0) {
          await this.#store.deleteGrant(had);
          m.deleteGrant(had);
        } else {
          const next = { ...had, actions };
          await this.#store.putGrant(next);
          m.putGrant(next);
          out.push(grantView(next));
        }
        this.#index.invalidate();
      }
      return out;
    });
  }

  // --- sources ---

  /** Adds a source, or replaces the methods of the source with the same range. */
  addSource(s: SourceEntry): Promise<SourceEntry> {
    return this.#serial(async () => {
      const m = this.#live();
      const entry: SourceEntry = { cidr: s.cidr, authmethods: [...s.authmethods] };
      await this.#store.putSource(entry);
      m.putSource(entry);
      return entry;
    });
  }

  deleteSource(cidr: string): Promise<void> {
    return this.#serial(async () => {
      const m = this.#live();
      if (!m.sources.has(cidr)) throw new SecurityError(E_NO_SUCH_SOURCE, `no source ${cidr} in realm "${this.realm}"`);
      await this.#store.deleteSource(cidr);
      m.deleteSource(cidr);
    });
  }

  // --- helpers ---

  #replace(snap: ModelSnapshot): void {
    this.#model = new SecurityModel(snap);
    this.#index.invalidate();
  }

  #live(): SecurityModel {
    if (!this.#model) throw new SecurityError(E_NO_SUCH_REALM, `realm "${this.realm}" has no security model`);
    return this.#model;
  }

  #user(m: SecurityModel, authid: string): UserEntry {
    const u = m.users.get(authid);
    if (!u) throw new SecurityError(E_NO_SUCH_USER, `no user "${authid}" in realm "${this.realm}"`);
    return u;
  }

  #group(m: SecurityModel, name: string): GroupEntry {
    const g = m.groups.get(name);
    if (!g) throw new SecurityError(E_NO_SUCH_GROUP, `no group "${name}" in realm "${this.realm}"`);
    return g;
  }

  #checkUser(m: SecurityModel, input: UserInput, isNew: boolean): SecurityModel {
    if (isNew && m.users.has(input.authid)) {
      throw new SecurityError(E_ALREADY_EXISTS, `user "${input.authid}" already exists in realm "${this.realm}"`);
    }
    this.#checkGroupsExist(m, input.groups);
    return m;
  }

  #checkGroupsExist(m: SecurityModel, groups: readonly string[]): void {
    for (const g of groups) {
      if (!m.groups.has(g)) throw new SecurityError(E_NO_SUCH_GROUP, `no group "${g}" in realm "${this.realm}"`);
    }
  }

  /** Runs changes one after another; a failed change does not stop the ones queued after it. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
