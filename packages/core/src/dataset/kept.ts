/**
 * The cases a run will use, held compactly between validation and the run. A JSONL case is kept as its line's
 * UTF-8 bytes, outside the JavaScript heap (in 1 MB slabs), and parsed again when it is yielded: bytes are a
 * fraction of the objects they parse to, and a small heap keeps the garbage collector's thresholds (and so peak
 * memory) low. A JSON or CSV case is kept as the case itself. Parsing the same bytes again gives the same case:
 * nothing can have changed since they were validated.
 */
import type { Case } from '../types.js';
import { parseCase } from './parse-case.js';

const SLAB_BYTES = 1 << 20;

/** Validated cases in file order; {@link KeptCases.cases} yields them any number of times. */
export class KeptCases {
  readonly #cases: (Case | null)[] = [];
  readonly #indexes: number[] = [];
  // For a case kept as bytes: its slab, its start in the slab and its length (-1 for a case kept whole).
  readonly #slabOf: number[] = [];
  readonly #starts: number[] = [];
  readonly #lengths: number[] = [];
  readonly #slabs: Buffer[] = [];
  #used = SLAB_BYTES;

  /** How many cases are kept. */
  get size(): number {
    return this.#cases.length;
  }

  /** Keeps `c`, or the JSON `text` it was parsed from when there is one. */
  add(c: Case, text: string | undefined): void {
    this.#indexes.push(c.index);
    if (text === undefined) {
      this.#cases.push(c);
      this.#slabOf.push(-1);
      this.#starts.push(0);
      this.#lengths.push(0);
      return;
    }
    const length = Buffer.byteLength(text, 'utf8');
    if (this.#used + length > (this.#slabs.at(-1)?.length ?? 0)) {
      this.#slabs.push(Buffer.allocUnsafe(Math.max(SLAB_BYTES, length)));
      this.#used = 0;
    }
    const slab = this.#slabs.length - 1;
    this.#slabs[slab]!.write(text, this.#used, 'utf8');
    this.#cases.push(null);
    this.#slabOf.push(slab);
    this.#starts.push(this.#used);
    this.#lengths.push(length);
    this.#used += length;
  }

  /** The kept cases, in file order. */
  cases(): AsyncIterable<Case> {
    return {
      [Symbol.asyncIterator]: () => {
        let i = 0;
        return {
          next: (): Promise<IteratorResult<Case>> => {
            if (i >= this.#cases.length) return Promise.resolve({ done: true, value: undefined });
            return Promise.resolve({ done: false, value: this.#at(i++) });
          },
        };
      },
    };
  }

  #at(i: number): Case {
    const kept = this.#cases[i];
    if (kept !== null && kept !== undefined) return kept;
    const start = this.#starts[i]!;
    const bytes = this.#slabs[this.#slabOf[i]!]!.toString('utf8', start, start + this.#lengths[i]!);
    const parsed = parseCase(JSON.parse(bytes), this.#indexes[i]!);
    // Cannot happen: the same text passed the same checks when it was kept.
    if ('issues' in parsed) throw new Error(`internal: case ${this.#indexes[i]!} was valid, then was not`);
    return parsed.case;
  }
}
