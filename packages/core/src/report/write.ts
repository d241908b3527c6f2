/**
 * Writes the report files of an out directory from its `results.jsonl` and the run's summary.
 */
import { access, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_COMPARED_IDS, readBaselineExcerpts } from '../compare/details.js';
import type { ComparisonDetails } from '../compare/details.js';
import type { CaseRecord, Summary } from '../types.js';
import { readRecords } from './jsonl.js';
import { writeJunit } from './junit.js';
import { FailureGroups } from './groups.js';
import { DEFAULT_MAX_FAILURE_ROWS, MAX_FLAKY_ROWS, renderMarkdown } from './markdown.js';
import { isFlaky } from '../engine/repeats.js';
import type { ReportCommit } from './markdown.js';

/** Options of {@link writeReports}. */
export interface WriteReportsOptions {
  /** Link to the uploaded results artifact, shown in the report. @default none */
  readonly artifactUrl?: string | undefined;
  /** The commit the run tested, shown in the report. @default none */
  readonly commit?: ReportCommit | undefined;
  /** Link to the CI run, shown in the report. @default none */
  readonly runUrl?: string | undefined;
  /** Most failing cases listed in the report. @default 50 */
  readonly maxFailures?: number | undefined;
  /** Where the records are read from. @default `${outDir}/results.jsonl` */
  readonly resultsPath?: string | undefined;
}

/**
 * Writes `summary.json` (pretty, 2 spaces), `report.md` and `junit.xml` into `outDir`, reading the records
 * back from `${outDir}/results.jsonl` as a stream (a missing file counts as no records). Each file is written
 * atomically: to `name.tmp`, then renamed. Memory stays bounded: only the first `maxFailures` failing
 * records are kept for the report; every failing record is counted in the failures by reason. When
 * `summary.comparison` is set, the report also shows the first regressions (this run's record beside the baseline's
 * side, read from `baseline-cases.jsonl`) and the first fixes; with `summary.repeat`, the first flaky cases.
 *
 * @returns The report's Markdown text (the same as `report.md`).
 * @throws Error naming the file and line when `results.jsonl` holds an invalid record.
 */
export async function writeReports(
  outDir: string,
  summary: Summary,
  options: WriteReportsOptions = {},
): Promise<{ markdown: string }> {
  const maxFailures = Math.max(0, Math.floor(options.maxFailures ?? DEFAULT_MAX_FAILURE_ROWS));
  await writeAtomic(join(outDir, 'summary.json'), (tmp) =>
    writeFile(tmp, `${JSON.stringify(summary, null, 2)}\n`),
  );

  const resultsFile = options.resultsPath ?? join(outDir, 'results.jsonl');
  const source = (await exists(resultsFile)) ? readRecords(resultsFile) : noRecords();
  const failures: CaseRecord[] = [];
  const groups = new FailureGroups();
  const compared = summary.comparison !== undefined;
  const regressions: CaseRecord[] = [];
  const fixes: CaseRecord[] = [];
  const flaky: CaseRecord[] = [];
  async function* collectFailures(): AsyncIterable<CaseRecord> {
    for await (const record of source) {
      groups.add(record);
      if (record.repeats !== undefined && flaky.length < MAX_FLAKY_ROWS && isFlaky(record.repeats))
        flaky.push(record);
      if (!record.passed && failures.length < maxFailures) failures.push(record);
      if (compared && record.baseline !== undefined && record.baseline !== null) {
        if (record.baseline.passed && !record.passed && regressions.length < MAX_COMPARED_IDS)
          regressions.push(record);
        if (!record.baseline.passed && record.passed && fixes.length < MAX_COMPARED_IDS) fixes.push(record);
      }
      yield record;
    }
  }
  await writeAtomic(join(outDir, 'junit.xml'), (tmp) => writeJunit(tmp, collectFailures(), summary));

  let comparison: ComparisonDetails | undefined;
  if (compared) {
    const excerpts = await readBaselineExcerpts(outDir);
    comparison = {
      regressions: regressions.map((record) => ({ record, baseline: excerpts.get(record.id) ?? null })),
      fixes,
    };
  }
  const markdown = renderMarkdown(summary, failures, {
    artifactUrl: options.artifactUrl,
    commit: options.commit,
    runUrl: options.runUrl,
    groups: groups.groups(),
    maxFailures,
    comparison,
    flaky,
  });
  await writeAtomic(join(outDir, 'report.md'), (tmp) => writeFile(tmp, markdown));
  return { markdown };
}

async function writeAtomic(file: string, write: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = `${file}.tmp`;
  try {
    await write(tmp);
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

async function* noRecords(): AsyncIterable<CaseRecord> {}
