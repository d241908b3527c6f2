/**
 * The execution ids of the cases that already landed, so that a submit answered with one of them (a broken server
 * answering an id it gave before) is reported, never adopted. Kept compact because it grows with the run: each id is
 * a 64-bit hash (two 32-bit lanes) beside the case's index, in an open-addressed table of typed arrays, 12 bytes a
 * slot at most three quarters full (300,000 ids: 6 MiB, no strings kept; half full it took 12 MiB, and its growth at
 * 262,144 ids was a 6 MB step in a 300,000-case run's RSS). Two different ids share a hash with a chance of about
 * n^2 / 2^65 (300,000 ids: 2.4e-9); such a case would be reported as a duplicate, never adopted wrongly.
 */

const EMPTY = -1;

/** Two independent 32-bit lanes of one string (cyrb53's mixing, without its 53-bit fold). */
function hash64(text: string): [number, number] {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return [h1 >>> 0, h2 >>> 0];
}

/** A set of landed execution ids, each with the index of its case; see the module comment. */
export class LandedExecutionIds {
  #hi = new Uint32Array(1024);
  #lo = new Uint32Array(1024);
  #index = new Int32Array(1024).fill(EMPTY);
  #size = 0;

  /** How many ids are held. */
  get size(): number {
    return this.#size;
  }

  /** Remembers that the case at `caseIndex` landed holding `executionId` (a second landing keeps the first). */
  add(executionId: string, caseIndex: number): void {
    if ((this.#size + 1) * 4 > this.#index.length * 3) this.#grow();
    const [hi, lo] = hash64(executionId);
    if (this.#place(hi, lo, caseIndex)) this.#size += 1;
  }

  /** The index of the case that landed holding `executionId`, or undefined. */
  caseIndexOf(executionId: string): number | undefined {
    const [hi, lo] = hash64(executionId);
    const mask = this.#index.length - 1;
    for (let slot = lo & mask; ; slot = (slot + 1) & mask) {
      const index = this.#index[slot]!;
      if (index === EMPTY) return undefined;
      if (this.#hi[slot] === hi && this.#lo[slot] === lo) return index;
    }
  }

  /** Puts one entry in its slot (linear probing); false when the hash was there already. */
  #place(hi: number, lo: number, caseIndex: number): boolean {
    const mask = this.#index.length - 1;
    for (let slot = lo & mask; ; slot = (slot + 1) & mask) {
      if (this.#index[slot] === EMPTY) {
        this.#hi[slot] = hi;
        this.#lo[slot] = lo;
        this.#index[slot] = caseIndex;
        return true;
      }
      if (this.#hi[slot] === hi && this.#lo[slot] === lo) return false;
    }
  }

  #grow(): void {
    const [hi, lo, index] = [this.#hi, this.#lo, this.#index];
    const capacity = index.length * 2;
    this.#hi = new Uint32Array(capacity);
    this.#lo = new Uint32Array(capacity);
    this.#index = new Int32Array(capacity).fill(EMPTY);
    for (let slot = 0; slot < index.length; slot++) {
      if (index[slot] !== EMPTY) this.#place(hi[slot]!, lo[slot]!, index[slot]!);
    }
  }
}
