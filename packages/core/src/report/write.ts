/**
 * Writes the report files of an out directory from its `results.jsonl` and the run's summary.
 */
import { access, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readBaselineExcerpts } from '../compare/details.js';
import type { ComparisonDetails } from '../compare/details.js';
import type { CaseRecord, Summary } from '../types.js';
import { readRecords } from './jsonl.js';
import { writeJunit } from './junit.js';
import { ReportCollector } from './collect.js';
import { DEFAULT_MAX_FAILURE_ROWS, renderMarkdown } from './markdown.js';
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
 * side, read from `baseline-cases.jsonl`) and the first fixes.
 *
 * @returns The report's Markdown text (the same as `report.md`).
 * @throws Error naming the file and line when `results.jsonl` holds an invalid record.
 */
export async function writeReports(
  outDir: string,
  summary: Summary,
  options: WriteReportsOptions = {},
): Promise<{ markdown: string }> {
  await writeSummaryFile(outDir, summary);
  const resultsFile = options.resultsPath ?? join(outDir, 'results.jsonl');
  const source = (await exists(resultsFile)) ? readRecords(resultsFile) : noRecords();
  const collector = new ReportCollector(maxFailuresOf(options), summary.comparison !== undefined);
  async function* collected(): AsyncIterable<CaseRecord> {
    for await (const record of source) {
      collector.add(record);
      yield record;
    }
  }
  await writeAtomic(join(outDir, 'junit.xml'), (tmp) => writeJunit(tmp, collected(), summary));
  return writeMarkdownFile(outDir, summary, collector, options);
}

/** Writes `summary.json` (pretty, 2 spaces) atomically. */
export async function writeSummaryFile(outDir: string, summary: Summary): Promise<void> {
  await writeAtomic(join(outDir, 'summary.json'), (tmp) =>
    writeFile(tmp, `${JSON.stringify(summary, null, 2)}\n`),
  );
}

/** Renders `report.md` from what `collector` gathered and writes it atomically. */
export async function writeMarkdownFile(
  outDir: string,
  summary: Summary,
  collector: ReportCollector,
  options: WriteReportsOptions = {},
): Promise<{ markdown: string }> {
  let comparison: ComparisonDetails | undefined;
  if (summary.comparison !== undefined) {
    const excerpts = await readBaselineExcerpts(outDir);
    comparison = {
      regressions: collector.regressions.map((record) => ({
        record,
        baseline: excerpts.get(record.id) ?? null,
      })),
      fixes: collector.fixes,
    };
  }
  const markdown = renderMarkdown(summary, collector.failures, {
    artifactUrl: options.artifactUrl,
    commit: options.commit,
    runUrl: options.runUrl,
    groups: collector.groups.groups(),
    maxFailures: maxFailuresOf(options),
    comparison,
    flaky: collector.flaky,
  });
  await writeAtomic(join(outDir, 'report.md'), (tmp) => writeFile(tmp, markdown));
  return { markdown };
}

/** How many failing records the report lists. */
export function maxFailuresOf(options: Pick<WriteReportsOptions, 'maxFailures'>): number {
  return Math.max(0, Math.floor(options.maxFailures ?? DEFAULT_MAX_FAILURE_ROWS));
}

/** Writes `file` through `write(tmp)`, then renames it into place; a failure leaves no `.tmp` behind. */
export async function writeAtomic(file: string, write: (tmp: string) => Promise<void>): Promise<void> {
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
