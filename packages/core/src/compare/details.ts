/**
 * `baseline-cases.jsonl`: the baseline's side of the regressions the report shows (status and a cut of its output),
 * kept in the out directory beside `results.jsonl` so that the report can be written again later (with the artifact
 * link, say) without the baseline at hand. One line per regression, at most 100.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { showValue } from '../report/format.js';
import { CASE_STATUSES } from '../types.js';
import type { CaseRecord, CaseStatus } from '../types.js';
import type { BaselineCase } from './read-baseline.js';

/** The file's name in an out directory. */
export const BASELINE_CASES_FILE = 'baseline-cases.jsonl';

/** Most ids kept in `regressed_ids` and `fixed_ids`, and most regressions whose details are kept for the report. */
export const MAX_COMPARED_IDS = 100;

/** Longest output text kept per case. */
const MAX_OUTPUT = 2_000;

/** The baseline's side of one regression, as the report shows it. */
export interface BaselineExcerpt {
  readonly id: string;
  readonly status: CaseStatus;
  readonly passed: boolean;
  /** Its outputs as JSON (or its error), cut to 2,000 characters. */
  readonly output: string;
}

/** What the report needs to show a comparison beyond `summary.comparison`. */
export interface ComparisonDetails {
  /** The first regressions: this run's record and the baseline's side (null when it was not kept). */
  readonly regressions: readonly {
    readonly record: CaseRecord;
    readonly baseline: BaselineExcerpt | null;
  }[];
  /** The first fixed cases' records. */
  readonly fixes: readonly CaseRecord[];
}

/** A record's (or baseline case's) output in one text: its outputs as JSON, else its error. */
export function outputText(c: Pick<BaselineCase, 'outputs' | 'error'>, max = MAX_OUTPUT): string {
  if (c.outputs !== null) return showValue(c.outputs, max);
  if (c.error !== null) return showValue(`${c.error.code}: ${c.error.message}`, max);
  return 'no output';
}

/** Writes the baseline's side of the regressions into `{outDir}/baseline-cases.jsonl` (atomically). */
export async function writeBaselineExcerpts(outDir: string, cases: readonly BaselineCase[]): Promise<void> {
  const file = join(outDir, BASELINE_CASES_FILE);
  const lines = cases.map((c) =>
    JSON.stringify({ id: c.id, status: c.status, passed: c.passed, output: outputText(c) }),
  );
  const tmp = `${file}.tmp`;
  try {
    await writeFile(tmp, lines.length === 0 ? '' : `${lines.join('\n')}\n`);
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

const excerptSchema = z.object({
  id: z.string(),
  status: z.enum(CASE_STATUSES),
  passed: z.boolean(),
  output: z.string(),
});

/**
 * Reads `{outDir}/baseline-cases.jsonl` by case id. A missing file, or a line that is not an excerpt, leaves those
 * cases without their baseline side: the report still lists them (this file only adds detail).
 */
export async function readBaselineExcerpts(outDir: string): Promise<ReadonlyMap<string, BaselineExcerpt>> {
  let text: string;
  try {
    text = await readFile(join(outDir, BASELINE_CASES_FILE), 'utf8');
  } catch {
    return new Map();
  }
  const excerpts = new Map<string, BaselineExcerpt>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const parsed = excerptSchema.safeParse(JSON.parse(line));
      if (parsed.success) excerpts.set(parsed.data.id, parsed.data);
    } catch {
      // a damaged line only loses its detail
    }
  }
  return excerpts;
}
