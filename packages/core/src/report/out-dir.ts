/**
 * The last step of a run or a merge, in one pass over the records (in index order): each record's line goes to
 * `results.jsonl` and its `testcase` to `junit.xml`, while the summary and the report gather what they need. Then
 * `summary.json`, `junit.xml` (the suite's counts first, so its cases wait in a side file until the counts are known)
 * and `report.md` are written, and `results.jsonl` appears last (renamed from its `.tmp`): an out dir that has results
 * also has its report. A failed write leaves no `.tmp` behind.
 *
 * A record source that already holds each record's `results.jsonl` line (the journal keeps them so) passes its
 * lines as they are ({@link RecordLines}): the records are not serialized again.
 */
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CaseRecord, Summary } from '../types.js';
import { ReportCollector } from './collect.js';
import { FileSink } from './file-sink.js';
import { serializeRecord } from './jsonl.js';
import { JUNIT_TAIL, junitCase, junitClassname, junitHead } from './junit.js';
import { SummaryBuilder, type SummaryMeta } from './summary.js';
import { maxFailuresOf, writeAtomic, writeMarkdownFile, writeSummaryFile } from './write.js';

/** What {@link finishOutDir} wrote. */
export interface FinishedOutDir {
  readonly summary: Summary;
  readonly markdown: string;
}

/** A record and its `results.jsonl` line: exactly `serializeRecord(record)`, without the line break. */
export interface RecordLine {
  readonly record: CaseRecord;
  /** Text, or its UTF-8 bytes (read before the next line is asked for: a source may reuse them). */
  readonly line: string | Uint8Array;
}

/** Records that can also be had with their lines already serialized. */
export interface RecordLines {
  lines(): Iterable<RecordLine> | AsyncIterable<RecordLine>;
}

type Records = Iterable<CaseRecord> | AsyncIterable<CaseRecord>;

/**
 * Writes the result files of `outDir` from `records`, sorted by index. When `records` also offers
 * {@link RecordLines}, its lines are written as they are.
 * @throws the file system's error when a file cannot be written (nothing half-written is left).
 */
export async function finishOutDir(
  outDir: string,
  records: Records | (Records & RecordLines),
  meta: SummaryMeta,
): Promise<FinishedOutDir> {
  return finishOutDirFromLines(outDir, hasLines(records) ? records.lines() : serialized(records), meta);
}

/**
 * {@link finishOutDir} from records with their lines, sorted by index (the fast path: no record is serialized).
 * @throws the file system's error when a file cannot be written (nothing half-written is left).
 */
export async function finishOutDirFromLines(
  outDir: string,
  lines: Iterable<RecordLine> | AsyncIterable<RecordLine>,
  meta: SummaryMeta,
): Promise<FinishedOutDir> {
  const resultsPath = join(outDir, 'results.jsonl');
  const resultsTmp = `${resultsPath}.tmp`;
  const casesTmp = join(outDir, 'junit.xml.cases.tmp');
  const builder = new SummaryBuilder();
  const collector = new ReportCollector(maxFailuresOf({}), meta.comparison !== undefined);
  const classname = junitClassname(meta.workflow);
  try {
    const results = await FileSink.create(resultsTmp);
    let cases: FileSink | null = null;
    try {
      cases = await FileSink.create(casesTmp);
      const take = (item: RecordLine): Promise<void> | undefined => {
        builder.add(item.record);
        collector.add(item.record);
        return addAll(results, item.line, '\n', cases!, junitCase(item.record, classname));
      };
      // A turn of the event loop only when a file is written, not per record.
      if (Symbol.iterator in lines) {
        for (const item of lines) {
          const wrote = take(item);
          if (wrote !== undefined) await wrote;
        }
      } else {
        for await (const item of lines) {
          const wrote = take(item);
          if (wrote !== undefined) await wrote;
        }
      }
      await results.close();
      await cases.close();
    } finally {
      await results.abort();
      await cases?.abort();
    }
    const summary = builder.build(meta);
    await writeSummaryFile(outDir, summary);
    await writeAtomic(join(outDir, 'junit.xml'), (tmp) => writeJunitFile(tmp, summary, casesTmp));
    const { markdown } = await writeMarkdownFile(outDir, summary, collector);
    await rename(resultsTmp, resultsPath);
    return { summary, markdown };
  } catch (error) {
    await rm(resultsTmp, { force: true }).catch(() => undefined);
    throw error;
  } finally {
    await rm(casesTmp, { force: true }).catch(() => undefined);
  }
}

/** `junit.xml`: its head (the counts of `summary`), the cases gathered in `casesFile`, its tail. */
async function writeJunitFile(file: string, summary: Summary, casesFile: string): Promise<void> {
  const out = await FileSink.create(file);
  try {
    await out.add(junitHead(summary));
    await out.addFile(casesFile);
    await out.add(JUNIT_TAIL);
    await out.close();
  } finally {
    await out.abort();
  }
}

/** Adds the parts to their sinks in order; a promise only when one of them had to write. */
function addAll(
  results: FileSink,
  line: string | Uint8Array,
  newline: string,
  cases: FileSink,
  testcase: string,
): Promise<void> | undefined {
  const first = results.add(line);
  if (first !== undefined) {
    return first.then(async () => {
      await results.add(newline);
      await cases.add(testcase);
    });
  }
  const second = results.add(newline);
  if (second !== undefined) return second.then(() => cases.add(testcase));
  return cases.add(testcase);
}

function hasLines(records: Records | (Records & RecordLines)): records is Records & RecordLines {
  return typeof (records as Partial<RecordLines>).lines === 'function';
}

async function* serialized(records: Records): AsyncGenerator<RecordLine> {
  for await (const record of records) yield { record, line: serializeRecord(record) };
}
