/**
 * The run journal (`journal.jsonl`): append-only, one JSON object per line. Entries are gathered and written with one
 * synchronous positioned `write(2)` per turn of the event loop; a submit waits for {@link JournalWriter.durable}, so
 * its intent is in the file before the request leaves. What a crash can lose is at most the last turn's execution
 * ids and records, which a resume recovers (a lost id is found again by external id, a lost record polled again). It is the single store of a run:
 * final records are written here as they arrive, and `results.jsonl` is produced from it at the end, sorted by index,
 * by reading each record back at its offset (so a run of 100,000 cases holds two numbers per case, not the records).
 * A record is journaled as its `results.jsonl` line, so those bytes are copied to the results as they are
 * (`journal-lines.ts`), never parsed and serialized again.
 */
import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import type { RecordLine, RecordLines } from '../report/out-dir.js';
import type { CaseRecord, WorkflowRef } from '../types.js';
import { LINE_KIND, recordLine, recordLines } from './journal-lines.js';
import { slotUnit } from './units.js';

/** First line of a journal. */
export interface JournalHeader {
  readonly t: 'run';
  readonly v: 1;
  readonly run_id: string;
  readonly external_id_prefix: string;
  /** The dataset file, its case count (of this shard) and, when known, the SHA-256 of its bytes. */
  readonly dataset: { readonly path: string; readonly cases: number; readonly sha256?: string | undefined };
  readonly workflow: WorkflowRef;
  readonly shard: { readonly index: number; readonly count: number } | null;
  readonly started_at: string;
  /** 1 for a first run; each `--retry-failed` starts a new journal with the next number. */
  readonly attempt?: number;
  /** With `--repeat N --min-pass K`: `{count: N, min_pass: K}`; absent when the cases run once. */
  readonly repeat?: { readonly count: number; readonly min_pass: number };
}

/**
 * Where an entry belongs: case `i`, and with repeats (count > 1) its repeat `rep` (1-based). A line without `rep` is
 * of repeat 1: journals written without repeats read as before.
 */
export interface EntryUnit {
  readonly i: number;
  readonly rep?: number;
}

/** Written just before a submit request goes out. */
export interface IntentEntry extends EntryUnit {
  readonly t: 'intent';
  readonly ext: string;
}

/** Written as soon as a submit returned an execution id (or the id was found by reconciliation). */
export interface SubmittedEntry extends EntryUnit {
  readonly t: 'sub';
  readonly exec: string;
  readonly at: string;
}

/**
 * The record of one case (with repeats: of one repeat): final, or (`p: 1`) provisional, where a stop left it; a later
 * record replaces it.
 */
export interface RecordEntry extends EntryUnit {
  readonly t: 'rec';
  readonly r: CaseRecord;
  readonly p?: 1;
}

/** Any journal line. */
export type JournalEntry = JournalHeader | IntentEntry | SubmittedEntry | RecordEntry;

/**
 * An open journal file being appended to. Its indexes are unit slots (see `units.ts`): the case index without
 * repeats; with repeats, each line is written with its case index and repeat.
 */
export class JournalWriter {
  readonly path: string;
  #fd: number;
  /** Logical end of the journal, buffered entries included. */
  #offset: number;
  /** Where the next flush writes: the end of what is in the file. */
  #written: number;
  /** Lines appended since the last flush, each with its newline; written as one buffer. */
  #pending: string[] = [];
  #flushScheduled = false;
  #waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  /** Byte offset and length of each unit's record line, by slot; -1 when the unit has none yet. */
  #recordOffsets: Float64Array;
  #recordLengths: Uint32Array;
  /** How each case's record line was written: a `LINE_KIND`. */
  #recordKinds: Uint8Array;
  /** The first write error: from then on nothing more is written (a later line after a torn one would damage it). */
  #failure: Error | null = null;
  /** Told once, at the first write error. */
  onError: ((error: Error) => void) | null = null;
  /** Repeats of each case (1 without repeats). */
  readonly #repeats: number;

  private constructor(path: string, fd: number, offset: number, cases: number, repeats: number) {
    this.path = path;
    this.#fd = fd;
    this.#offset = offset;
    this.#written = offset;
    this.#repeats = repeats;
    this.#recordOffsets = new Float64Array(Math.max(16, cases * repeats)).fill(-1);
    this.#recordLengths = new Uint32Array(this.#recordOffsets.length);
    this.#recordKinds = new Uint8Array(this.#recordOffsets.length);
  }

  /** Makes room for slot `index` (cases of a shard carry their position in the whole file). */
  #ensure(index: number): void {
    if (index < this.#recordOffsets.length) return;
    const size = Math.max(index + 1, this.#recordOffsets.length * 2);
    const offsets = new Float64Array(size).fill(-1);
    offsets.set(this.#recordOffsets);
    const lengths = new Uint32Array(size);
    lengths.set(this.#recordLengths);
    const kinds = new Uint8Array(size);
    kinds.set(this.#recordKinds);
    this.#recordOffsets = offsets;
    this.#recordLengths = lengths;
    this.#recordKinds = kinds;
  }

  /** Creates (truncates) the journal at `path` and writes its header. */
  static create(path: string, header: JournalHeader): JournalWriter {
    const fd = openSync(path, 'w+');
    const writer = new JournalWriter(path, fd, 0, header.dataset.cases, header.repeat?.count ?? 1);
    writer.#append(header);
    writer.flush();
    return writer;
  }

  /**
   * Opens an existing journal for appending (resume); `cases` sizes the record index; `repeats` is its header's
   * repeat count.
   */
  static reopen(path: string, validBytes: number, cases: number, repeats = 1): JournalWriter {
    const fd = openSync(path, 'r+');
    // Cut off a line torn by a crash mid-write, so the next entry starts on a line of its own.
    if (fstatSync(fd).size > validBytes) ftruncateSync(fd, validBytes);
    return new JournalWriter(path, fd, validBytes, cases, repeats);
  }

  /** Notes where an already-written record of slot `index` lies (resume). */
  indexRecord(index: number, offset: number, length: number): void {
    this.#ensure(index);
    this.#recordOffsets[index] = offset;
    this.#recordLengths[index] = length;
    this.#recordKinds[index] = LINE_KIND.unknown;
  }

  /** The submit of slot `index` under `externalId` is about to go out. */
  intent(index: number, externalId: string): void {
    this.#append({ t: 'intent', ...this.#unit(index), ext: externalId });
  }

  /** Slot `index` has its execution. */
  submitted(index: number, executionId: string, at: Date): void {
    this.#append({ t: 'sub', ...this.#unit(index), exec: executionId, at: at.toISOString() });
  }

  /**
   * Journals the record of slot `slot` (its case's `record.index` without repeats); `provisional` marks one a stop
   * left (the next run takes the unit up again).
   */
  record(record: CaseRecord, provisional = false, slot = record.index): void {
    const at = this.#appendLine(recordLine(record, provisional, this.#unit(slot)));
    this.#ensure(slot);
    this.#recordOffsets[slot] = at.offset;
    this.#recordLengths[slot] = at.length;
    this.#recordKinds[slot] = provisional ? LINE_KIND.provisional : LINE_KIND.final;
  }

  /** The latest record of slot `slot`, read back from the file, or null when it has none. */
  recordAt(slot: number): CaseRecord | null {
    const offset = slot < this.#recordOffsets.length ? this.#recordOffsets[slot]! : -1;
    if (offset < 0) return null;
    this.flush();
    if (this.#failure !== null) throw this.#failure;
    return readRecordAt(this.#fd, offset, this.#recordLengths[slot]!);
  }

  /** The `i` (and with repeats `rep`) of slot `slot`'s lines. */
  #unit(slot: number): EntryUnit {
    if (this.#repeats === 1) return { i: slot };
    const { index, repeat } = slotUnit(slot, this.#repeats);
    return { i: index, rep: repeat };
  }

  /** The first write error, or null. */
  get failure(): Error | null {
    return this.#failure;
  }

  /**
   * Yields the latest record of each slot in slot order (with repeats: each repeat of each case, in (case, repeat)
   * order), read back from the file; slots without one are skipped.
   * @throws the write error when the journal could not be written.
   */
  records(): Iterable<CaseRecord> & RecordLines {
    return {
      [Symbol.iterator]: () => this.#records(),
      lines: () => this.#lines(),
    };
  }

  *#records(): Generator<CaseRecord> {
    for (const { record } of this.#lines()) yield record;
  }

  /** Each record with its `results.jsonl` line (see `recordLines`). */
  *#lines(): Generator<RecordLine> {
    this.flush();
    if (this.#failure !== null) throw this.#failure;
    yield* recordLines(this.#fd, this.#recordOffsets, this.#recordLengths, this.#recordKinds, (slot) =>
      this.#unit(slot),
    );
  }

  close(): void {
    this.flush();
    if (this.#fd >= 0) {
      try {
        closeSync(this.#fd);
      } catch {
        // a close error after a write error says nothing new
      }
      this.#fd = -1;
    }
  }

  /** Resolves once everything appended so far is in the file; rejects when it cannot be written. */
  durable(): Promise<void> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (this.#pending.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Writes every buffered entry now, in one write. Never throws: a write error is kept and told once. */
  flush(): void {
    if (this.#pending.length > 0 && this.#fd >= 0 && this.#failure === null) {
      // One buffer per flush: the lines are joined and encoded once, not encoded one by one and copied again.
      const data = Buffer.from(this.#pending.join(''));
      this.#pending = [];
      let done = 0;
      try {
        while (done < data.length) {
          // Positioned writes: a reopened journal's file position is not its end.
          done += writeSync(this.#fd, data, done, data.length - done, this.#written + done);
        }
        this.#written += data.length;
      } catch (error) {
        this.#fail(error);
      }
    }
    if (this.#failure !== null) this.#pending = [];
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) {
      if (this.#failure === null) waiter.resolve();
      else waiter.reject(this.#failure);
    }
  }

  #fail(error: unknown): void {
    const cause = error instanceof Error ? error : new Error(String(error));
    this.#failure = cause;
    this.onError?.(cause);
  }

  #append(entry: JournalEntry): { offset: number; length: number } {
    return this.#appendLine(JSON.stringify(entry));
  }

  #appendLine(text: string): { offset: number; length: number } {
    const line = `${text}\n`;
    const bytes = Buffer.byteLength(line);
    this.#pending.push(line);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        this.flush();
      });
    }
    const offset = this.#offset;
    this.#offset += bytes;
    return { offset, length: bytes - 1 };
  }
}

/** Reads the record line of `length` bytes at `offset` of the journal open as `fd`. */
export function readRecordAt(fd: number, offset: number, length: number): CaseRecord {
  const buffer = Buffer.allocUnsafe(length);
  let read = 0;
  while (read < length) {
    const n = readSync(fd, buffer, read, length - read, offset + read);
    if (n === 0) throw new Error(`journal ended inside a record at byte ${offset}`);
    read += n;
  }
  return (JSON.parse(buffer.toString('utf8')) as RecordEntry).r;
}
