/**
 * `results.jsonl`: one {@link CaseRecord} per line (SPEC section 4), written and read back as a stream.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { ASSERTION_OPS, CASE_STATUSES } from '../types.js';
import type { AssertionResult, CaseRecord } from '../types.js';

/**
 * One record as one JSON line (no trailing newline), keys in SPEC order:
 * `index, id, external_id, execution_id, status, passed, outputs, error, assertions, attempts,
 * submitted_at, finished_at, latency_ms, execution_detail_url`, then `repeats` and `baseline` when set. An
 * assertion whose `actual` is `undefined` (the output was missing) has no `actual` key.
 */
export function serializeRecord(record: CaseRecord): string {
  return JSON.stringify({
    index: record.index,
    id: record.id,
    external_id: record.external_id,
    execution_id: record.execution_id,
    status: record.status,
    passed: record.passed,
    outputs: record.outputs,
    error: record.error === null ? null : { message: record.error.message, code: record.error.code },
    assertions: record.assertions.map(serializeAssertion),
    attempts: record.attempts,
    submitted_at: record.submitted_at,
    finished_at: record.finished_at,
    latency_ms: record.latency_ms,
    execution_detail_url: record.execution_detail_url,
    // Only a run with --repeat carries it.
    repeats: record.repeats?.map((r) => ({
      execution_id: r.execution_id,
      external_id: r.external_id,
      status: r.status,
      passed: r.passed,
      latency_ms: r.latency_ms,
    })),
    // Only a run compared with a baseline carries it (JSON.stringify drops an undefined key).
    baseline:
      record.baseline === undefined || record.baseline === null
        ? record.baseline
        : { status: record.baseline.status, passed: record.baseline.passed },
  });
}

function serializeAssertion(a: AssertionResult): Record<string, unknown> {
  // JSON.stringify drops keys whose value is undefined.
  return {
    output: a.output,
    op: a.op,
    expected: a.expected,
    actual: a.actual,
    passed: a.passed,
    message: a.message,
  };
}

const assertionSchema = z.object({
  output: z.string(),
  op: z.enum(ASSERTION_OPS),
  expected: z.unknown().optional(),
  actual: z.unknown().optional(),
  passed: z.boolean(),
  message: z.string().optional(),
});

const isoDate = z.string().min(1);

const recordSchema = z.object({
  index: z.number().int().nonnegative(),
  id: z.string(),
  external_id: z.string(),
  execution_id: z.string().nullable(),
  status: z.enum(CASE_STATUSES),
  passed: z.boolean(),
  outputs: z.record(z.string(), z.unknown()).nullable(),
  error: z.object({ message: z.string(), code: z.string() }).nullable(),
  assertions: z.array(assertionSchema),
  attempts: z.number().int().nonnegative(),
  submitted_at: isoDate.nullable(),
  finished_at: isoDate,
  latency_ms: z.number().nonnegative().nullable(),
  execution_detail_url: z.string().nullable(),
  baseline: z
    .object({ status: z.enum(CASE_STATUSES), passed: z.boolean() })
    .nullable()
    .optional(),
  repeats: z
    .array(
      z.object({
        execution_id: z.string().nullable(),
        external_id: z.string(),
        status: z.enum(CASE_STATUSES),
        passed: z.boolean(),
        latency_ms: z.number().nonnegative().nullable(),
      }),
    )
    .optional(),
});

/**
 * Parses one line of `results.jsonl` into a record.
 *
 * @throws Error with the zod issue (field path and message) when the line is not a valid record.
 */
export function parseRecord(line: string): CaseRecord {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (error) {
    throw new Error(`not valid JSON (${(error as Error).message})`, { cause: error });
  }
  const result = recordSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? '' : `${issue.path.join('.')}: `;
    throw new Error(`not a valid record: ${where}${issue?.message ?? 'invalid'}`, { cause: result.error });
  }
  const { baseline, repeats, ...r } = result.data;
  return {
    ...r,
    ...(baseline === undefined ? {} : { baseline }),
    ...(repeats === undefined ? {} : { repeats }),
    assertions: r.assertions.map((a): AssertionResult => {
      const out: AssertionResult = {
        output: a.output,
        op: a.op,
        expected: a.expected,
        actual: a.actual,
        passed: a.passed,
      };
      return a.message === undefined ? out : { ...out, message: a.message };
    }),
  };
}

/**
 * Reads `results.jsonl` back, one record at a time, without loading the whole file. Blank lines are skipped.
 *
 * @throws Error naming the file and the 1-based line when a line is not a valid record.
 */
export async function* readRecords(file: string): AsyncIterable<CaseRecord> {
  const input = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber += 1;
      if (line.trim() === '') continue;
      let record: CaseRecord;
      try {
        record = parseRecord(line);
      } catch (error) {
        throw new Error(`${file}:${lineNumber}: ${(error as Error).message}`, { cause: error });
      }
      yield record;
    }
  } finally {
    lines.close();
    input.destroy();
  }
}
