/**
 * The kept cases of a JSONL file, read again from the file as the run asks for them: between validation and the run
 * only three numbers per kept case are held (its line, its position, a CRC-32 of its text), outside the JavaScript
 * heap, so memory does not grow with the file and a shard holds nothing of the other shards' cases. The file is
 * read front to back; each kept line must still have the text that was validated (its CRC-32 matches), else the
 * read stops with an error naming the line (the file changed under the run), before that case can be submitted.
 */
import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import type { Case } from '../types.js';
import { parseCase } from './parse-case.js';

/** Bytes read at once. */
const CHUNK = 1 << 20;
const NEWLINE = 0x0a;

/** Kept cases of the JSONL file at `path`, by line. */
export class FileCases {
  readonly #path: string;
  #lines = new Uint32Array(1 << 10);
  #indexes = new Uint32Array(1 << 10);
  #crcs = new Uint32Array(1 << 10);
  #size = 0;

  constructor(path: string) {
    this.#path = path;
  }

  /** How many cases are kept. */
  get size(): number {
    return this.#size;
  }

  /** Keeps the case at position `index` of the file, validated from `text`, the whole of line `line`. */
  add(line: number, index: number, text: string): void {
    const n = this.#size++;
    if (n === this.#lines.length) {
      this.#lines = grown(this.#lines);
      this.#indexes = grown(this.#indexes);
      this.#crcs = grown(this.#crcs);
    }
    this.#lines[n] = line;
    this.#indexes[n] = index;
    this.#crcs[n] = crc32(text);
  }

  /**
   * Gives back the room held for more cases (up to half of the three arrays, as they grow by doubling); call it when
   * the file has been read. 300,000 cases: 6 MiB held, 3.4 MiB after.
   */
  fit(): void {
    this.#lines = this.#lines.slice(0, this.#size);
    this.#indexes = this.#indexes.slice(0, this.#size);
    this.#crcs = this.#crcs.slice(0, this.#size);
  }

  /** The kept cases, in file order, read from the file on each call. */
  cases(): AsyncIterable<Case> {
    return { [Symbol.asyncIterator]: () => this.#read() };
  }

  async *#read(): AsyncGenerator<Case> {
    if (this.#size === 0) return;
    const file = await open(this.#path, 'r');
    try {
      const chunk = Buffer.allocUnsafe(CHUNK);
      // The start of a line that began in an earlier chunk (only a kept line's bytes are gathered).
      let carry: Buffer[] = [];
      let line = 1;
      let next = 0;
      for (let position = 0; next < this.#size;) {
        const { bytesRead } = await file.read(chunk, 0, CHUNK, position);
        position += bytesRead;
        if (bytesRead === 0) {
          // A last line without a newline.
          if (line === this.#lines[next] && carry.length > 0) {
            yield this.#case(next++, Buffer.concat(carry).toString('utf8'));
          }
          if (next < this.#size) throw this.#changed(this.#lines[next]!, 'the file now ends before it');
          return;
        }
        const bytes = chunk.subarray(0, bytesRead);
        let start = 0;
        for (let end = bytes.indexOf(NEWLINE); end !== -1; end = bytes.indexOf(NEWLINE, start)) {
          if (line === this.#lines[next]) {
            const text =
              carry.length === 0
                ? bytes.toString('utf8', start, end)
                : Buffer.concat([...carry, bytes.subarray(start, end)]).toString('utf8');
            yield this.#case(next++, text);
            if (next === this.#size) return;
          }
          if (carry.length > 0) carry = [];
          line++;
          start = end + 1;
        }
        if (start < bytesRead && line === this.#lines[next]) carry.push(Buffer.from(bytes.subarray(start)));
      }
    } finally {
      await file.close();
    }
  }

  /** Kept case `n` from the text of its line. */
  #case(n: number, raw: string): Case {
    const line = this.#lines[n]!;
    let text = raw;
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (crc32(text) !== this.#crcs[n]) throw this.#changed(line, 'its text is not what was validated');
    const parsed = parseCase(JSON.parse(text), this.#indexes[n]!);
    if ('issues' in parsed) throw this.#changed(line, 'it is no longer a valid case');
    return parsed.case;
  }

  #changed(line: number, why: string): Error {
    return new Error(`${this.#path}:${line} changed after the dataset was checked (${why}): run again`);
  }
}

function grown(array: Uint32Array): Uint32Array<ArrayBuffer> {
  const next = new Uint32Array(Math.max(1 << 10, array.length * 2));
  next.set(array);
  return next;
}
