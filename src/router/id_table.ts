/**
 * Values by request id, for ids that mostly come in sequence: a session's own request ids count
 * up from 1 (spec "IDs"), and so do the INVOCATION ids the router gives each callee. A
 * direct-mapped array of slots holds most entries; ids that collide go to a Map. Unlike a Map,
 * adding and removing an entry in a slot allocates nothing, and the call path does both on each
 * side for every call.
 * @module
 */

const FIRST_SLOTS = 16;
/**
 * A table this large shrinks back to FIRST_SLOTS when it empties; smaller ones keep their size,
 * as a callee whose calls in flight come and go would otherwise grow and shrink all the time.
 */
const SHRINK_ABOVE = 256;

export class IdTable<V> {
  /** The id in each slot; 0 for an empty one (ids are at least 1). */
  #keys: number[] = [];
  #values: (V | undefined)[] = [];
  #mask = 0;
  /** Entries whose slot was taken; never holds an id that is also in a slot. */
  #spill: Map<number, V> | undefined;
  #size = 0;

  constructor() {
    this.#reset(FIRST_SLOTS);
  }

  get size(): number {
    return this.#size;
  }

  get(id: number): V | undefined {
    // `&` takes an id's low 32 bits (ids reach 2^53), enough to spread ids that count up.
    const i = id & this.#mask;
    if (this.#keys[i] === id) return this.#values[i];
    return this.#spill?.get(id);
  }

  has(id: number): boolean {
    return this.#keys[id & this.#mask] === id || (this.#spill?.has(id) ?? false);
  }

  set(id: number, value: V): void {
    const i = id & this.#mask;
    const k = this.#keys[i];
    if (k === id) {
      this.#values[i] = value;
      return;
    }
    const spill = this.#spill;
    if (spill?.has(id)) {
      spill.set(id, value);
      return;
    }
    this.#size++;
    if (k === 0) {
      this.#keys[i] = id;
      this.#values[i] = value;
      return;
    }
    (this.#spill ??= new Map()).set(id, value);
    // Many collisions mean many entries at once: more slots spread them again.
    if (this.#spill.size > (this.#mask + 1) >> 2) this.#grow();
  }

  delete(id: number): boolean {
    const i = id & this.#mask;
    if (this.#keys[i] === id) {
      this.#keys[i] = 0;
      this.#values[i] = undefined;
    } else if (!this.#spill?.delete(id)) {
      return false;
    }
    // A burst of calls grew the table; once they are all done it gives the room back.
    if (--this.#size === 0 && this.#mask + 1 > SHRINK_ABOVE) this.#reset(FIRST_SLOTS);
    return true;
  }

  /** The values in the order of their ids (for sequential ids: the order they were added). */
  values(): V[] {
    const entries: [number, V][] = [];
    for (let i = 0; i <= this.#mask; i++) {
      if (this.#keys[i] !== 0) entries.push([this.#keys[i]!, this.#values[i]!]);
    }
    if (this.#spill) for (const e of this.#spill) entries.push(e);
    return entries.sort((a, b) => a[0] - b[0]).map((e) => e[1]);
  }

  #grow(): void {
    const keys = this.#keys;
    const values = this.#values;
    const spill = this.#spill;
    this.#reset(2 * (this.#mask + 1));
    for (let i = 0; i < keys.length; i++) if (keys[i] !== 0) this.set(keys[i]!, values[i]!);
    if (spill) for (const [id, v] of spill) this.set(id, v);
  }

  #reset(slots: number): void {
    this.#keys = new Array<number>(slots).fill(0);
    this.#values = new Array<V | undefined>(slots).fill(undefined);
    this.#mask = slots - 1;
    this.#spill = undefined;
    this.#size = 0;
  }
}
