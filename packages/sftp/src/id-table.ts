/**
 * A map from request ids (u32) to values, for the requests in flight. A JS Map or Set that lives
 * long and sees an insert and a delete per request rebuilds its hash table every few dozen
 * requests (deleted entries fill it up), and V8 allocates the table of an old Map in the old
 * generation: on a bulk transfer that was the allocation which kept restarting full garbage
 * collections. This table is open addressing with linear probing and backward-shift deletion:
 * deletes leave no tombstones, so it only allocates when it grows, and it never shrinks.
 * @module
 */

const EMPTY = -1;
const INITIAL_CAPACITY = 64;

export class IdTable<V> {
  /** Slot -> id, or EMPTY. Ids are u32, so they fit a Float64Array exactly. */
  private keys: Float64Array;
  private values: (V | undefined)[];
  private mask: number;
  private count = 0;

  constructor(capacity = INITIAL_CAPACITY) {
    let n = INITIAL_CAPACITY;
    while (n < capacity * 2) n *= 2;
    this.keys = new Float64Array(n).fill(EMPTY);
    this.values = new Array<V | undefined>(n).fill(undefined);
    this.mask = n - 1;
  }

  get size(): number {
    return this.count;
  }

  has(id: number): boolean {
    return this.slotOf(id) >= 0;
  }

  get(id: number): V | undefined {
    const slot = this.slotOf(id);
    return slot >= 0 ? this.values[slot] : undefined;
  }

  /** Adds or replaces the value under `id` (a u32). */
  set(id: number, value: V): void {
    if (!Number.isInteger(id) || id < 0 || id > 0xffff_ffff) throw new RangeError(`IdTable: id must be a u32, got ${id}`);
    let slot = this.home(id);
    for (;;) {
      const key = this.keys[slot] as number;
      if (key === id) {
        this.values[slot] = value;
        return;
      }
      if (key === EMPTY) break;
      slot = (slot + 1) & this.mask;
    }
    if ((this.count + 1) * 2 > this.keys.length) {
      this.grow();
      this.set(id, value);
      return;
    }
    this.keys[slot] = id;
    this.values[slot] = value;
    this.count++;
  }

  /** Removes `id`; returns its value, or undefined when it was not there. */
  delete(id: number): V | undefined {
    let slot = this.slotOf(id);
    if (slot < 0) return undefined;
    const value = this.values[slot];
    this.count--;
    // Backward shift: move later members of the probe run into the hole when the hole lies
    // between their home slot and where they sit, so every lookup still finds them.
    for (let next = (slot + 1) & this.mask; ; next = (next + 1) & this.mask) {
      const key = this.keys[next] as number;
      if (key === EMPTY) break;
      const home = this.home(key);
      const distanceHole = (slot - home) & this.mask;
      const distanceNext = (next - home) & this.mask;
      if (distanceHole < distanceNext) {
        this.keys[slot] = key;
        this.values[slot] = this.values[next];
        slot = next;
      }
    }
    this.keys[slot] = EMPTY;
    this.values[slot] = undefined;
    return value;
  }

  /** The ids and their values, in no particular order. */
  *entries(): IterableIterator<[number, V]> {
    for (let slot = 0; slot < this.keys.length; slot++) {
      const key = this.keys[slot] as number;
      if (key !== EMPTY) yield [key, this.values[slot] as V];
    }
  }

  clear(): void {
    this.keys.fill(EMPTY);
    this.values.fill(undefined);
    this.count = 0;
  }

  private slotOf(id: number): number {
    for (let slot = this.home(id); ; slot = (slot + 1) & this.mask) {
      const key = this.keys[slot] as number;
      if (key === id) return slot;
      if (key === EMPTY) return -1;
    }
  }

  /** Ids are mostly consecutive; a multiplicative hash spreads runs of them anyway. */
  private home(id: number): number {
    return (Math.imul(id, 0x9e3779b1) >>> 0) & this.mask;
  }

  private grow(): void {
    const keys = this.keys;
    const values = this.values;
    const n = keys.length * 2;
    this.keys = new Float64Array(n).fill(EMPTY);
    this.values = new Array<V | undefined>(n).fill(undefined);
    this.mask = n - 1;
    this.count = 0;
    for (let slot = 0; slot < keys.length; slot++) {
      const key = keys[slot] as number;
      if (key !== EMPTY) this.set(key, values[slot] as V);
    }
  }
}
