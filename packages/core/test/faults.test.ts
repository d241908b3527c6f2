/**
 * The chaos suite: the engine against the fake with every fault on at once (429 with Retry-After, 5xx on submit
 * and status, submit answers dropped after the execution was created, status lag, executions that never finish),
 * over many seeds. Whatever happens on the wire: one record per case, one execution per case, and the records
 * say what the server knows.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeVellum } from '@vellum-batch/testkit';
import { createClient } from '../src/client.js';
import { runBatch } from '../src/engine/run.js';
import type { Case, CaseRecord } from '../src/types.js';

const SEEDS = 50;
const CASES = 60;
const totals = {
  retries: 0,
  dropped: 0,
  rateLimited: 0,
  serverErrors: 0,
  lagged: 0,
  timedOut: 0,
  duplicates: 0,
  outcomeUnknown: 0,
};

function cases(): Case[] {
  return Array.from({ length: CASES }, (_, i) => ({
    index: i,
    id: `chaos-${i}`,
    inputs: [
      { name: 'q', type: 'STRING', value: `q${i}` },
      ...(i % 13 === 4 ? [{ name: 'fake_reject', type: 'STRING' as const, value: 'refused' }] : []),
    ],
    expected: { q: `q${i}` },
    assertions: [],
    metadata: {},
  }));
}

async function chaosRun(seed: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), `vb-chaos-${seed}-`));
  const fake = await startFakeVellum({
    apiKey: 'k',
    deployments: ['wf'],
    concurrency: 12,
    durationMs: { min: 1, max: 20 },
    seed,
    faults: {
      rateLimitRate: 0.1,
      retryAfterSeconds: 0,
      serverErrorRate: 0.05,
      dropAfterAcceptRate: 0.03,
      statusLagMs: 30,
      neverFinishRate: 0.02,
    },
  });
  const client = createClient({
    apiKey: 'k',
    baseUrl: fake.url,
    retry: { baseDelayMs: 2, maxDelayMs: 20, maxRetries: 8 },
  });
  try {
    const { summary } = await runBatch({
      client,
      dataset: { path: 'chaos', size: CASES, cases },
      workflow: { deploymentName: 'wf' },
      outDir: dir,
      concurrency: 24,
      executionTimeoutMs: 1_500,
      initialDurationEstimateMs: 10,
    });
    const records = (await readFile(join(dir, 'results.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as CaseRecord);
    expect(
      records.map((r) => r.index),
      `seed ${seed}`,
    ).toEqual(Array.from({ length: CASES }, (_, i) => i));
    const executions = [...fake.executions()];
    const externalIds = new Set(executions.map((e) => e.externalId));
    // A case whose submits kept getting no usable answer (5xx, a dropped answer) while its lookups found nothing ends
    // SUBMIT_OUTCOME_UNKNOWN (resumable), without an execution. Since a case gives up only after 60 s of such
    // failures that is not expected at these rates (it was, once in a few full-suite runs, when 4 tries in about a
    // second were the bound), but the fake's seeded draws follow the order requests arrive in, which load changes.
    const unknown = records.filter((r) => r.error?.code === 'SUBMIT_OUTCOME_UNKNOWN');
    for (const record of unknown) {
      expect(record, `seed ${seed}: ${record.id}`).toMatchObject({
        status: 'SUBMIT_FAILED',
        execution_id: null,
      });
      expect(fake.byExternalId(record.external_id), `seed ${seed}: ${record.id}`).toBeUndefined();
    }
    totals.outcomeUnknown += unknown.length;
    expect(executions, `seed ${seed}: executions created`).toHaveLength(CASES - unknown.length);
    expect(externalIds.size, `seed ${seed}: distinct external ids`).toBe(CASES - unknown.length);
    totals.duplicates += executions.length - externalIds.size;
    for (const record of records) {
      if (record.error?.code === 'SUBMIT_OUTCOME_UNKNOWN') continue;
      const truth = fake.byExternalId(record.external_id);
      expect(truth, `seed ${seed}: ${record.id} has an execution`).toBeDefined();
      expect(record.execution_id).toBe(truth!.id);
      if (truth!.neverFinishes) {
        expect(record.status, `seed ${seed}: ${record.id}`).toBe('TIMED_OUT');
        totals.timedOut += 1;
      } else {
        expect(record.status, `seed ${seed}: ${record.id}`).toBe(truth!.status);
        expect(record.outputs).toEqual(truth!.status === 'FULFILLED' ? truth!.outputs : null);
        expect(record.error).toEqual(truth!.error);
      }
    }
    expect(summary.total).toBe(CASES);
    totals.retries += summary.api_calls.retries;
    totals.dropped += fake.stats.faultsInjected.dropped;
    totals.rateLimited += fake.stats.faultsInjected.rateLimited;
    totals.serverErrors += fake.stats.faultsInjected.serverErrors;
    totals.lagged += fake.stats.faultsInjected.lagged404;
  } finally {
    await client.close();
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  }
}

describe('chaos: every fault at once', () => {
  afterAll(() => {
    console.log(
      `chaos: ${SEEDS} seeds x ${CASES} cases: ${totals.retries} retries, ${totals.rateLimited} 429s, ` +
        `${totals.serverErrors} 5xx, ${totals.dropped} dropped submit answers reconciled, ${totals.lagged} lagging 404s, ` +
        `${totals.timedOut} never-finishing executions timed out, ${totals.outcomeUnknown} submits given up as ` +
        `outcome unknown, ${totals.duplicates} duplicate executions`,
    );
  });

  it(`keeps one record and one execution per case over ${SEEDS} seeds`, async () => {
    for (let first = 1; first <= SEEDS; first += 5) {
      await Promise.all(Array.from({ length: 5 }, (_, i) => chaosRun(first + i)));
    }
    expect(totals.duplicates).toBe(0);
    expect(totals.dropped).toBeGreaterThan(0);
    expect(totals.rateLimited).toBeGreaterThan(0);
    expect(totals.timedOut).toBeGreaterThan(0);
  }, 180_000);
});
