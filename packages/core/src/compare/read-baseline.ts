/**
 * Reading a baseline: the out directory of an earlier run or merge (`summary.json` + `results.jsonl`). The schemas
 * here are lenient on purpose: only the fields a comparison needs are required, and unknown fields (a newer
 * version's, `repeats`) are ignored, so a baseline written by another release of this tool still reads.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { CASE_STATUSES } from '../types.js';
import type { CaseStatus } from '../types.js';

const baselineSummarySchema = z.looseObject({
  total: z.number().int().nonnegative(),
  run_id: z.string(),
  finished_at: z.string(),
  workflow: z.looseObject({
    deployment_name: z.string().nullable(),
    deployment_id: z.string().nullable(),
    release_tag: z.string(),
  }),
  shard: z.looseObject({ index: z.number().int().positive(), count: z.number().int().positive() }).nullable(),
  dataset: z.looseObject({
    path: z.string(),
    cases: z.number().int().nonnegative(),
    sha256: z.string().optional(),
  }),
  latency_ms: z
    .looseObject({ p50: z.number().nullable(), p95: z.number().nullable() })
    .optional()
    .default({ p50: null, p95: null }),
});

/** The parts of a baseline's `summary.json` a comparison reads. */
export type BaselineSummary = z.infer<typeof baselineSummarySchema>;

const baselineCaseSchema = z.looseObject({
  index: z.number().int().nonnegative(),
  id: z.string(),
  status: z.enum(CASE_STATUSES),
  passed: z.boolean(),
  outputs: z.record(z.string(), z.unknown()).nullable().optional().default(null),
  error: z.looseObject({ message: z.string(), code: z.string() }).nullable().optional().default(null),
});

/** One case of a baseline's `results.jsonl`, as a comparison reads it. */
export interface BaselineCase {
  readonly index: number;
  readonly id: string;
  readonly status: CaseStatus;
  readonly passed: boolean;
  readonly outputs: Readonly<Record<string, unknown>> | null;
  readonly error: { readonly message: string; readonly code: string } | null;
}

/**
 * Reads and checks `{dir}/summary.json` of a baseline.
 *
 * @throws {@link ConfigError} naming the file when it is missing, not JSON, or lacks a field (and which).
 */
export async function readBaselineSummary(dir: string): Promise<BaselineSummary> {
  const file = join(dir, 'summary.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `--baseline: ${dir} is not a vellum-batch out directory: ${file} ${missingOr(error)}`,
      { cause: error },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`--baseline: ${file} is damaged: not valid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  const parsed = baselineSummarySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `--baseline: ${file} is damaged: ${issue?.path.join('.') || 'summary'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

/**
 * Streams the cases of `{dir}/results.jsonl` of a baseline, one at a time (blank lines skipped).
 *
 * @throws {@link ConfigError} naming the file when it is missing, and the file and 1-based line when a line is
 *   not a record.
 */
export async function* readBaselineCases(dir: string): AsyncGenerator<BaselineCase> {
  const file = join(dir, 'results.jsonl');
  const input = createReadStream(file, { encoding: 'utf8' });
  // Surface a missing file as the ConfigError below rather than as an unhandled stream error.
  const opened = new Promise<void>((resolve, reject) => {
    input.once('open', () => resolve());
    input.once('error', reject);
  });
  try {
    await opened;
  } catch (error) {
    input.destroy();
    throw new ConfigError(
      `--baseline: ${dir} is not a complete vellum-batch out directory: ${file} ${missingOr(error)}`,
      { cause: error },
    );
  }
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber += 1;
      if (line.trim() === '') continue;
      yield parseBaselineLine(line, `${file}:${lineNumber}`);
    }
  } finally {
    lines.close();
    input.destroy();
  }
}

function parseBaselineLine(line: string, where: string): BaselineCase {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (error) {
    throw new ConfigError(`--baseline: ${where}: not valid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  const parsed = baselineCaseSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `--baseline: ${where}: not a valid record: ${issue?.path.join('.') || 'record'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const c = parsed.data;
  return { index: c.index, id: c.id, status: c.status, passed: c.passed, outputs: c.outputs, error: c.error };
}

function missingOr(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'is missing';
  return `cannot be read (${(error as Error).message})`;
}
