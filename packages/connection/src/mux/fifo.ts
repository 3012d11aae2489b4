/**
 * A first-in first-out list whose shift() costs the same however long the list is. An array's
 * shift() moves every element once the array is large (V8 trims the front in place only for small
 * ones): a channel holding a million small writes took minutes to send them.
 * @module
 */

/** Drop the consumed front once it is this long and at least half the storage. */
const COMPACT_AFTER = 1024;

export class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The item `i` places from the front (0: the next one out), or undefined. */
  at(i: number): T | undefined {
    return this.items[this.head + i];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head] as T;
    this.items[this.head] = undefined as T; // let it be collected
    this.head++;
    if (this.head === this.items.length) this.clear();
    else if (this.head >= COMPACT_AFTER && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }

  /** Whether `item` is still queued, searching from the back (where a just-pushed item is). */
  includesFromEnd(item: T): boolean {
    for (let i = this.items.length - 1; i >= this.head; i--) if (this.items[i] === item) return true;
    return false;
  }
}
