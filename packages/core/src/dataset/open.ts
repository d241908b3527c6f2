/**
 * Opening a dataset (SPEC section 3): JSONL/NDJSON, a JSON array, or CSV, from a file or standard input. The
 * source is checked in one read: hashed, decoded, validated and counted in the same pass. Every problem is
 * collected and thrown at once as one {@link DatasetError}; otherwise the cases that pass the filter (all of them,
 * or one shard's) are kept, and only those. A JSONL file keeps only where its kept cases are (a few numbers each,
 * see `file-cases.ts`): {@link Dataset.cases} reads them from the file again, checking each is the text validated.
 * Other sources keep the cases themselves (`kept.ts`).
 */
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { DatasetError, type DatasetIssue } from '../errors.js';
import { inShard, type ShardRef } from '../shard.js';
import type { Case } from '../types.js';
import { csvEntries } from './csv.js';
import { FileCases } from './file-cases.js';
import { IdIndex } from './id-index.js';
import { IssueCollector, safeIssue } from './issues.js';
import { jsonEntries } from './json.js';
import { jsonlEntries } from './jsonl.js';
import { decodeLines, type Entry, type Line } from './lines.js';
import { KeptCases } from './kept.js';
import { parseCase } from './parse-case.js';

/** The file formats a dataset can have, chosen by extension (or given, for standard input). */
export type DatasetFormat = 'jsonl' | 'json' | 'csv';

/** What is known about a dataset once it has been validated. */
export interface DatasetInfo {
  /** The path as given to {@link openDataset} (`-` for standard input). */
  readonly path: string;
  readonly format: DatasetFormat;
  /** Number of cases that {@link Dataset.cases} yields (after the `filter` and `shard`, when given). */
  readonly size: number;
}

/** A validated dataset. */
export interface Dataset extends DatasetInfo {
  /** Number of cases in the file, before any `filter` or `shard`. */
  readonly total: number;
  /** Hex SHA-256 of the source's bytes: shards of one dataset are merged only when it matches. */
  readonly sha256: string;
  /**
   * Yields the kept cases in file order (`Case.index` is the position in the file, also when a `filter`
   * skips some). May be called any number of times. A JSONL file is read again (only its kept lines are parsed);
   * a line whose text is no longer what was validated ends the iteration with an error naming it. Standard input
   * and the other formats are not read again.
   */
  cases(): AsyncIterable<Case>;
}

/** Options of {@link openDataset}. */
export interface OpenDatasetOptions {
  /** Keeps only the cases it returns `true` for; every case is validated all the same. @default keep all */
  readonly filter?: ((c: Case) => boolean) | undefined;
  /** Keeps only the cases of this shard (by id, as `inShard`); combines with `filter`. @default every shard */
  readonly shard?: ShardRef | undefined;
  /**
   * The format, instead of the one the extension names; required when the path is `-` (standard input).
   * @default chosen by the file's extension
   */
  readonly format?: DatasetFormat | undefined;
  /** What `-` reads: the bytes of the dataset, read once. @default process.stdin */
  readonly stdin?: AsyncIterable<Uint8Array | string> | undefined;
}

/** Extensions accepted by {@link openDataset}, with their format. */
export const DATASET_EXTENSIONS: Readonly<Record<string, DatasetFormat>> = {
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.json': 'json',
  '.csv': 'csv',
};

/** The path that means standard input. */
const STDIN = '-';
/** How standard input is named in messages. */
const STDIN_NAME = '<stdin>';

/**
 * Reads and validates a dataset in one pass, from a file or, with path `-`, from standard input (read once,
 * to its end; give `format`). Returns a {@link Dataset} that holds only its kept cases (a shard's, for a shard run),
 * and for a JSONL file only where they are; the ids of all cases are held while the file is checked (to find
 * duplicates), compactly.
 *
 * @throws DatasetError listing every problem in the file (at most 100, then a count), also for a missing,
 * empty or unsupported file; messages name `file:line: field` and escape control characters.
 */
export async function openDataset(path: string, options: OpenDatasetOptions = {}): Promise<Dataset> {
  const fromStdin = path === STDIN;
  const name = fromStdin ? STDIN_NAME : path;
  const format = options.format ?? (fromStdin ? null : formatOf(path));
  if (format === null) throw new DatasetError(name, [formatIssue(path, fromStdin)]);
  if (!fromStdin) await checkReadable(path);

  const hash = createHash('sha256');
  const chunks = fromStdin ? (options.stdin ?? process.stdin) : readChunks(path);
  const keep = keeper(options);
  const collector = new IssueCollector();
  const ids = new IdIndex();
  const kept = !fromStdin && format === 'jsonl' ? new FileCases(path) : new KeptCases();
  let total = 0;
  try {
    for await (const entry of readEntries(decodeLines(chunks, hash), format)) {
      if (entry.kind === 'issue') {
        collector.add(entry.issue);
        continue;
      }
      total++;
      const parsed = parseCase(entry.raw, entry.index);
      if ('issues' in parsed) {
        for (const issue of parsed.issues) collector.add({ line: entry.line, ...issue });
        continue;
      }
      const id = parsed.case.id;
      const first = ids.firstLine(id, entry.line);
      if (first >= 0) {
        collector.add({
          line: entry.line,
          field: 'id',
          message: `duplicate id "${id}" (first used on line ${first})`,
        });
      }
      if (collector.count === 0 && keep(parsed.case)) {
        if (kept instanceof FileCases) kept.add(entry.line, entry.index, entry.text!);
        else kept.add(parsed.case, entry.text);
      }
    }
  } catch (error) {
    const message = `cannot be read: ${(error as Error).message}`;
    throw new DatasetError(name, [safeIssue({ line: null, field: null, message })]);
  }
  if (total === 0 && collector.count === 0) {
    collector.add({
      line: null,
      field: null,
      message: `contains no cases${format === 'csv' ? ' (a header row and at least one row are needed)' : ''}`,
    });
  }
  if (collector.count > 0) throw new DatasetError(name, collector.issues());
  if (kept instanceof FileCases) kept.fit();

  const sha256 = hash.digest('hex');
  return {
    path,
    format,
    size: kept.size,
    total,
    sha256,
    cases: () => kept.cases(),
  };
}

/**
 * Loads a whole dataset into memory (validated as by {@link openDataset}). Convenient for small files.
 *
 * @throws DatasetError listing every problem in the file.
 */
export async function loadDataset(path: string): Promise<Case[]> {
  const dataset = await openDataset(path);
  const cases: Case[] = [];
  for await (const c of dataset.cases()) cases.push(c);
  return cases;
}

/**
 * The bytes of the file at `path`, 1 MB at a time, in one buffer reused for every read (each chunk is consumed
 * before the next is asked for): no 1 MB of garbage per read.
 */
async function* readChunks(path: string): AsyncGenerator<Buffer> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await file.close();
  }
}

function keeper(options: OpenDatasetOptions): (c: Case) => boolean {
  const { filter, shard } = options;
  const ofShard = shard === undefined ? undefined : inShard(shard);
  return (c) => (ofShard === undefined || ofShard(c)) && (filter === undefined || filter(c));
}

function readEntries(lines: AsyncIterable<Line>, format: DatasetFormat): AsyncGenerator<Entry> {
  switch (format) {
    case 'jsonl':
      return jsonlEntries(lines);
    case 'json':
      return jsonEntries(lines);
    case 'csv':
      return csvEntries(lines);
  }
}

function formatOf(path: string): DatasetFormat | null {
  return DATASET_EXTENSIONS[extname(path).toLowerCase()] ?? null;
}

function formatIssue(path: string, fromStdin: boolean): DatasetIssue {
  const accepted = Object.keys(DATASET_EXTENSIONS).join(', ');
  if (fromStdin) {
    return {
      line: null,
      field: null,
      message: 'standard input has no extension: give its format (jsonl, json or csv)',
    };
  }
  const ext = extname(path);
  return {
    line: null,
    field: null,
    message: `${ext === '' ? 'has no extension' : `has the unsupported extension "${ext}"`}: use one of ${accepted}`,
  };
}

async function checkReadable(path: string): Promise<void> {
  let message: string | null = null;
  try {
    const info = await stat(path);
    if (info.isDirectory()) message = 'is a directory, not a dataset file';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    message = code === 'ENOENT' ? 'file not found' : `cannot be read: ${(error as Error).message}`;
  }
  if (message !== null) throw new DatasetError(path, [safeIssue({ line: null, field: null, message })]);
}
