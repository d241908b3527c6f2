/**
 * The ids of a dataset seen so far, each with the line it was first used on, to find duplicates in the one pass
 * over the file. Every case's id is kept (a duplicate may pair a case of this shard with one of another), so it is
 * kept compactly and outside the JavaScript heap: the ids' UTF-8 bytes one after another in one buffer, two numbers
 * per id, and an open-addressing table of positions. A live heap that does not grow with the file keeps the garbage
 * collector's thresholds, and so peak memory, where they are for a small file.
 */

const EMPTY = 0;

/** Ids and their first lines; {@link IdIndex.firstLine} adds one and tells whether it was seen before. */
export class IdIndex {
  /** UTF-8 bytes of every id, in the order added. */
  #text = Buffer.allocUnsafe(1 << 16);
  #used = 0;
  /** Where id `n` (0-based, in the order added) starts in `#text`; it ends where id `n + 1` starts. */
  #starts = new Uint32Array(1 << 10);
  #lines = new Uint32Array(1 << 10);
  #count = 0;
  /** Open addressing, linear probing: id number + 1, or {@link EMPTY}. Never more than half full. */
  #slots = new Int32Array(1 << 11);

  /** How many distinct ids were added. */
  get size(): number {
    return this.#count;
  }

  /**
   * Adds `id`, first used on `line`, unless it was added before.
   * @returns the line it was first used on when it was added before, else -1.
   */
  firstLine(id: string, line: number): number {
    // The id's bytes go after the others; they are kept only if the id is new.
    const start = this.#used;
    this.#reserve(id.length * 3);
    const end = start + this.#text.write(id, start, 'utf8');
    const mask = this.#slots.length - 1;
    for (let slot = hashOf(this.#text, start, end) & mask; ; slot = (slot + 1) & mask) {
      const held = this.#slots[slot]!;
      if (held === EMPTY) {
        this.#add(slot, start, end, line);
        return -1;
      }
      const n = held - 1;
      const from = this.#starts[n]!;
      const to = n + 1 < this.#count ? this.#starts[n + 1]! : start;
      if (to - from === end - start && this.#text.compare(this.#text, from, to, start, end) === 0) {
        return this.#lines[n]!;
      }
    }
  }

  #add(slot: number, start: number, end: number, line: number): void {
    const n = this.#count++;
    if (n === this.#starts.length) {
      this.#starts = grown(this.#starts);
      this.#lines = grown(this.#lines);
    }
    this.#starts[n] = start;
    this.#lines[n] = line;
    this.#used = end;
    this.#slots[slot] = n + 1;
    if (this.#count * 2 > this.#slots.length) this.#rehash();
  }

  #reserve(bytes: number): void {
    if (this.#used + bytes <= this.#text.length) return;
    const text = Buffer.allocUnsafe(Math.max(this.#text.length * 2, this.#used + bytes));
    this.#text.copy(text, 0, 0, this.#used);
    this.#text = text;
  }

  #rehash(): void {
    const slots = new Int32Array(this.#slots.length * 2);
    const mask = slots.length - 1;
    for (let n = 0; n < this.#count; n++) {
      const from = this.#starts[n]!;
      const to = n + 1 < this.#count ? this.#starts[n + 1]! : this.#used;
      let slot = hashOf(this.#text, from, to) & mask;
      while (slots[slot] !== EMPTY) slot = (slot + 1) & mask;
      slots[slot] = n + 1;
    }
    this.#slots = slots;
  }
}

/** FNV-1a over bytes `[start, end)` of `bytes`. */
function hashOf(bytes: Buffer, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash >>> 0;
}

function grown(array: Uint32Array): Uint32Array<ArrayBuffer> {
  const next = new Uint32Array(array.length * 2);
  next.set(array);
  return next;
}
