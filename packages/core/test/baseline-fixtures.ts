/**
 * Test helpers: out directories written the way the engine writes them (results.jsonl + summary.json + reports).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serializeRecord } from '../src/report/jsonl.js';
import { SummaryBuilder } from '../src/report/summary.js';
import type { SummaryMeta } from '../src/report/summary.js';
import { writeReports } from '../src/report/write.js';
import type { CaseRecord, Summary } from '../src/types.js';

/** A record of case `id`; a failing one fails its assertion on `answer`. */
export function record(
  index: number,
  id: string,
  passed: boolean,
  answer = passed ? 'refund sent' : 'no',
): CaseRecord {
  return {
    index,
    id,
    external_id: `vb-x-${id}`,
    execution_id: `exec-${id}`,
    status: 'FULFILLED',
    passed,
    outputs: { answer },
    error: null,
    assertions: [{ output: 'answer', op: 'contains', expected: 'refund', actual: answer, passed }],
    attempts: 1,
    submitted_at: '2026-01-01T00:00:00.000Z',
    finished_at: '2026-01-01T00:00:02.000Z',
    latency_ms: 1000 + index,
    execution_detail_url: `https://app.vellum.ai/executions/${id}`,
  };
}

/** Meta of a run of the deployment `support-assistant`. */
export function meta(overrides: Partial<SummaryMeta> = {}): SummaryMeta {
  return {
    workflow: { deployment_name: 'support-assistant', deployment_id: null, release_tag: 'LATEST' },
    shard: null,
    runId: 'run-now',
    externalIdPrefix: 'vb-x-',
    dataset: { path: 'cases.jsonl', cases: 10, sha256: 'aaaa' },
    startedAt: new Date('2026-01-02T00:00:00.000Z'),
    finishedAt: new Date('2026-01-02T00:00:30.000Z'),
    apiCalls: { submit: 10, status: 20, retries: 0 },
    stopped: null,
    gate: { maxFailureRate: 1 },
    ...overrides,
  };
}

/** Writes an out directory holding `records` with a summary built from `meta`. */
export async function writeOutDir(
  dir: string,
  records: readonly CaseRecord[],
  summaryMeta: SummaryMeta = meta(),
): Promise<Summary> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'results.jsonl'), records.map((r) => `${serializeRecord(r)}\n`).join(''));
  const builder = new SummaryBuilder();
  for (const r of records) builder.add(r);
  const summary = builder.build(summaryMeta);
  await writeReports(dir, summary);
  return summary;
}
