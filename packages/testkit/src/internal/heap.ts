/** A binary min-heap keyed by a number, ties broken by insertion order (stable, deterministic). */
export class MinHeap<T> {
  readonly #keys: number[] = [];
  readonly #order: number[] = [];
  readonly #items: T[] = [];
  #counter = 0;

  /** Number of items in the heap. */
  get size(): number {
    return this.#items.length;
  }

  /** The smallest key, or `undefined` when empty. */
  peekKey(): number | undefined {
    return this.#keys[0];
  }

  /** Adds `item` with `key`. O(log n). */
  push(key: number, item: T): void {
    this.#keys.push(key);
    this.#order.push(this.#counter++);
    this.#items.push(item);
    this.#up(this.#items.length - 1);
  }

  /** Removes and returns the item with the smallest key. O(log n). */
  pop(): T | undefined {
    const n = this.#items.length;
    if (n === 0) return undefined;
    const top = this.#items[0];
    const lastKey = this.#keys.pop()!;
    const lastOrder = this.#order.pop()!;
    const lastItem = this.#items.pop()!;
    if (n > 1) {
      this.#keys[0] = lastKey;
      this.#order[0] = lastOrder;
      this.#items[0] = lastItem;
      this.#down(0);
    }
    return top;
  }

  /** Removes everything. */
  clear(): void {
    this.#keys.length = 0;
    this.#order.length = 0;
    this.#items.length = 0;
  }

  #less(i: number, j: number): boolean {
    const ki = this.#keys[i]!;
    const kj = this.#keys[j]!;
    return ki < kj || (ki === kj && this.#order[i]! < this.#order[j]!);
  }

  #swap(i: number, j: number): void {
    const k = this.#keys[i]!;
    this.#keys[i] = this.#keys[j]!;
    this.#keys[j] = k;
    const o = this.#order[i]!;
    this.#order[i] = this.#order[j]!;
    this.#order[j] = o;
    const it = this.#items[i]!;
    this.#items[i] = this.#items[j]!;
    this.#items[j] = it;
  }

  #up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    const n = this.#items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.#less(l, m)) m = l;
      if (r < n && this.#less(r, m)) m = r;
      if (m === i) return;
      this.#swap(i, m);
      i = m;
    }
  }
}

/** A FIFO queue with O(1) amortised push and shift. */
export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  /** Number of queued items. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Appends an item. */
  push(item: T): void {
    this.#items.push(item);
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Removes everything. */
  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}
