/**
 * A journal's record lines as `results.jsonl` needs them. A record is journaled as `{"t":"rec","i":N,"r":R}` (with
 * repeats `{"t":"rec","i":N,"rep":K,"r":R}`; a provisional one ends `,"p":1}`), where `R` is exactly `serializeRecord(record)`: the line `JSON.stringify` would
 * write, with the record's keys in the order of `results.jsonl`. At the end of a run `R`'s bytes are copied to the
 * results as they are; a line written by an earlier process (found on resume) is parsed and serialized, as its key
 * order is not known.
 */
import { readSync } from 'node:fs';
import { serializeRecord } from '../report/jsonl.js';
import type { RecordLine } from '../report/out-dir.js';
import type { CaseRecord } from '../types.js';
import type { EntryUnit, RecordEntry } from './journal.js';

/** How a record line was written: by an earlier process, or by this one (final or provisional). */
export const LINE_KIND = { unknown: 0, final: 1, provisional: 2 } as const;
/** One of {@link LINE_KIND}. */
export type LineKind = (typeof LINE_KIND)[keyof typeof LINE_KIND];

const FINAL_SUFFIX = '}';
const PROVISIONAL_SUFFIX = ',"p":1}';

/** The journal line (without its line break) of `record`, the record of `unit` (its case, and repeat if any). */
export function recordLine(record: CaseRecord, provisional: boolean, unit: EntryUnit): string {
  return `${prefix(unit)}${serializeRecord(record)}${provisional ? PROVISIONAL_SUFFIX : FINAL_SUFFIX}`;
}

/**
 * The record of each slot that has one (a case, or with repeats one repeat of a case), in slot order, with its
 * `results.jsonl` line, read from the journal open as `fd` (`offsets[s] < 0`: slot `s` has no record; `unitOf(s)`
 * is what its line was written with). A line of bytes is valid until the next one is asked for.
 */
export function* recordLines(
  fd: number,
  offsets: Float64Array,
  lengths: Uint32Array,
  kinds: Uint8Array,
  unitOf: (slot: number) => EntryUnit,
): Generator<RecordLine> {
  const reader = new WindowReader(fd);
  for (let index = 0; index < offsets.length; index++) {
    const offset = offsets[index]!;
    if (offset < 0) continue;
    const length = lengths[index]!;
    const { buffer, at } = reader.read(offset, length);
    const kind = kinds[index]!;
    if (kind === LINE_KIND.unknown) {
      const record = (JSON.parse(buffer.toString('utf8', at, at + length)) as RecordEntry).r;
      yield { record, line: serializeRecord(record) };
      continue;
    }
    const start = at + prefix(unitOf(index)).length;
    const end = at + length - (kind === LINE_KIND.provisional ? PROVISIONAL_SUFFIX : FINAL_SUFFIX).length;
    const record = JSON.parse(buffer.toString('utf8', start, end)) as CaseRecord;
    yield { record, line: buffer.subarray(start, end) };
  }
}

/** What comes before the record in the line of `unit`: `{"t":"rec","i":3,"r":` (with repeats `…"i":3,"rep":2,"r":`). */
function prefix(unit: EntryUnit): string {
  return unit.rep === undefined
    ? `{"t":"rec","i":${unit.i},"r":`
    : `{"t":"rec","i":${unit.i},"rep":${unit.rep},"r":`;
}

const WINDOW_MIN = 4 * 1024;
const WINDOW_MAX = 1024 * 1024;

/**
 * Reads lines of a file at given offsets through one window buffer. Records in index order mostly lie in file order
 * (a case's record is written soon after its submit), so one read serves many; when they do not, the window shrinks
 * to about one record, so no read fetches much more than it needs.
 */
class WindowReader {
  readonly #fd: number;
  #buffer = Buffer.allocUnsafe(WINDOW_MAX);
  #size = WINDOW_MIN;
  /** The window: file bytes `[#start, #end)` are `#buffer[0, #end - #start)`. */
  #start = 0;
  #end = 0;
  #hits = 0;

  constructor(fd: number) {
    this.#fd = fd;
  }

  /** The `length` bytes at `offset`: they are `buffer[at, at + length)`, until the next read. */
  read(offset: number, length: number): { buffer: Buffer; at: number } {
    if (offset < this.#start || offset + length > this.#end) {
      // Grow the window while it serves several lines per read, shrink it while it does not.
      this.#size =
        this.#hits >= 4 ? Math.min(WINDOW_MAX, this.#size * 2) : Math.max(WINDOW_MIN, this.#size >> 1);
      this.#hits = 0;
      const want = Math.max(length, this.#size);
      if (want > this.#buffer.length) this.#buffer = Buffer.allocUnsafe(want);
      let got = 0;
      while (got < want) {
        const n = readSync(this.#fd, this.#buffer, got, want - got, offset + got);
        if (n === 0) break;
        got += n;
      }
      if (got < length) throw new Error(`journal ended inside a record at byte ${offset}`);
      this.#start = offset;
      this.#end = offset + got;
    }
    this.#hits++;
    return { buffer: this.#buffer, at: offset - this.#start };
  }
}
