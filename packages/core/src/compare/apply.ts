/**
 * The comparison as a step after a run or a merge: it reads the out directory the run wrote, compares it with the
 * baseline, and writes the directory again with the comparison in it (each record's `baseline`,
 * `summary.comparison`, the gate with `max_new_failures`, the report's comparison section, junit's regressions).
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { evaluateGate } from '../gate.js';
import { readRecords, serializeRecord } from '../report/jsonl.js';
import { writeReports } from '../report/write.js';
import type { Comparison, GateOptions, Summary } from '../types.js';
import { compareWithBaseline } from './compare.js';
import type { CompareOptions } from './compare.js';
import { writeBaselineExcerpts } from './details.js';

/** Options of {@link applyBaseline}. */
export interface ApplyBaselineOptions extends Omit<CompareOptions, 'current'> {
  /**
   * Most regressions the gate allows. The other thresholds stay as the run's `summary.json` records them.
   * @default unset: regressions are reported, not gated
   */
  readonly maxNewFailures?: number | undefined;
  /** Link to the uploaded results artifact, shown in the report. @default none */
  readonly artifactUrl?: string | undefined;
}

/** What {@link applyBaseline} resolves with. */
export interface ApplyBaselineResult {
  /** The rewritten `summary.json`. */
  readonly summary: Summary;
  readonly comparison: Comparison;
  /** The text of the rewritten `report.md`. */
  readonly markdown: string;
  readonly outDir: string;
}

const writtenSummarySchema = z.looseObject({
  total: z.number().int().nonnegative(),
  passed: z.number().int().nonnegative(),
  errored: z.number().int().nonnegative(),
  gate: z.looseObject({
    max_failure_rate: z.number(),
    max_failures: z.number().nullable(),
    max_error_rate: z.number().nullable(),
    min_cases: z.number(),
  }),
  workflow: z.looseObject({
    deployment_name: z.string().nullable(),
    deployment_id: z.string().nullable(),
    release_tag: z.string(),
  }),
  shard: z.looseObject({ index: z.number(), count: z.number() }).nullable(),
  dataset: z.looseObject({ path: z.string(), cases: z.number(), sha256: z.string().optional() }),
});

/**
 * Compares the run written in `outDir` with the baseline in `baselineDir` and rewrites `outDir`'s `results.jsonl`
 * (each record with its `baseline`), `summary.json` (with `comparison`, and the gate applied again with
 * `maxNewFailures`), `report.md`, `junit.xml`, plus `baseline-cases.jsonl` (the baseline's side of the regressions,
 * for the report). Each file is replaced atomically. Calling it again with another baseline replaces the comparison.
 *
 * @param outDir - The out directory of a finished run or merge.
 * @param baselineDir - The out directory of an earlier run or merge.
 * @param options - See {@link ApplyBaselineOptions}.
 * @throws {@link ConfigError} naming the file when either directory is missing or damaged, or when the baseline
 *   ran another deployment (unless `anyWorkflow`); Error naming the file and line for an invalid record.
 */
export async function applyBaseline(
  outDir: string,
  baselineDir: string,
  options: ApplyBaselineOptions = {},
): Promise<ApplyBaselineResult> {
  const summary = await readWrittenSummary(outDir);
  const resultsFile = join(outDir, 'results.jsonl');
  const result = await compareWithBaseline(readRecords(resultsFile), baselineDir, {
    ...options,
    current: summary,
  });
  const { comparison } = result;

  const tmp = `${resultsFile}.tmp`;
  try {
    const out = createWriteStream(tmp);
    const closed = once(out, 'close');
    try {
      for await (const record of readRecords(resultsFile)) {
        const line = serializeRecord({ ...record, baseline: result.baselineOf(record.id) });
        if (!out.write(`${line}\n`)) await once(out, 'drain');
      }
    } finally {
      out.end();
    }
    await closed;
    await rename(tmp, resultsFile);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  await writeBaselineExcerpts(outDir, result.regressed);

  const thresholds: GateOptions = {
    maxFailureRate: summary.gate.max_failure_rate,
    maxFailures: summary.gate.max_failures ?? undefined,
    maxErrorRate: summary.gate.max_error_rate ?? undefined,
    minCases: summary.gate.min_cases,
    maxNewFailures: options.maxNewFailures,
  };
  const gate = evaluateGate(
    {
      total: summary.total,
      passed: summary.passed,
      errored: summary.errored,
      regressions: { count: comparison.regressions, ids: comparison.regressed_ids },
    },
    thresholds,
  );
  const compared: Summary = { ...summary, gate, verdict: gate.passed ? 'pass' : 'fail', comparison };
  const { markdown } = await writeReports(outDir, compared, { artifactUrl: options.artifactUrl });
  return { summary: compared, comparison, markdown, outDir };
}

async function readWrittenSummary(outDir: string): Promise<Summary> {
  const file = join(outDir, 'summary.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`${outDir} holds no finished run to compare: ${file} is missing`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(`${file} is damaged: not valid JSON`);
  }
  const parsed = writtenSummarySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `${file} is damaged: ${issue?.path.join('.') || 'summary'}: ${issue?.message ?? ''}`,
    );
  }
  // The file was written by this library from a Summary; the fields the comparison reads were checked above.
  return json as Summary;
}
