/**
 * Webhook and hybrid tracking in the engine, with a completion feed that plays Vellum's webhooks from the fake
 * server's ground truth: each finish is pushed (or dropped, or pushed twice) a few ms after it happens.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeVellum } from '@vellum-batch/testkit';
import type { FakeVellum } from '@vellum-batch/testkit';
import { createClient } from '../src/client.js';
import type { Completion, CompletionFeed } from '../src/engine/completions.js';
import { runBatch } from '../src/engine/run.js';
import type { Case, CaseRecord } from '../src/types.js';

let dir: string;
let fake: FakeVellum;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-track-'));
});
afterEach(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

/** Pushes a completion for every execution that finished, like Vellum's webhooks; `drop`/`duplicate` every Nth. */
function groundTruthFeed(server: FakeVellum, options: { dropEvery: number; duplicateEvery: number }) {
  const listeners = new Set<(c: Completion) => void>();
  const sent = new Set<string>();
  let finished = 0;
  let dropped = 0;
  let duplicated = 0;
  const timer = setInterval(() => {
    for (const execution of server.executions()) {
      if (execution.finishedAt === null || sent.has(execution.id)) continue;
      sent.add(execution.id);
      finished += 1;
      if (finished % options.dropEvery === 0) {
        dropped += 1;
        continue;
      }
      const completion: Completion = {
        executionId: finished % 2 === 0 ? execution.id : null,
        externalId: execution.externalId,
        status: execution.status === 'FULFILLED' ? 'FULFILLED' : 'REJECTED',
        outputs: execution.outputs,
        error: execution.error,
      };
      const times = finished % options.duplicateEvery === options.duplicateEvery >> 1 ? 2 : 1;
      if (times === 2) duplicated += 1;
      for (let i = 0; i < times; i++) for (const listener of listeners) listener(completion);
    }
  }, 5);
  const feed: CompletionFeed = {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return { feed, stop: () => clearInterval(timer), stats: () => ({ dropped, duplicated }) };
}

function cases(n: number): Case[] {
  return Array.from({ length: n }, (_, i) => ({
    index: i,
    id: `t-${i}`,
    inputs: [
      { name: 'q', type: 'STRING', value: `q${i}` },
      ...(i % 17 === 3 ? [{ name: 'fake_reject', type: 'STRING' as const, value: 'no' }] : []),
    ],
    expected: { q: `q${i}` },
    assertions: [],
    metadata: {},
  }));
}

async function readRecords(): Promise<CaseRecord[]> {
  const text = await readFile(join(dir, 'results.jsonl'), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as CaseRecord);
}

describe('hybrid tracking', () => {
  it('finishes every case correctly with 10% of pushes dropped and 10% doubled, polling only the silent', async () => {
    fake = await startFakeVellum({
      apiKey: 'k',
      deployments: ['wf'],
      concurrency: 40,
      durationMs: { min: 50, max: 150 },
    });
    const webhooks = groundTruthFeed(fake, { dropEvery: 10, duplicateEvery: 10 });
    const client = createClient({ apiKey: 'k', baseUrl: fake.url });
    const n = 400;
    try {
      const { summary } = await runBatch({
        client,
        dataset: { path: 'memory', size: n, cases: () => cases(n) },
        workflow: { deploymentName: 'wf' },
        outDir: dir,
        concurrency: 80,
        track: 'hybrid',
        completions: webhooks.feed,
        initialDurationEstimateMs: 100,
      });
      expect(summary.total).toBe(n);
      expect(webhooks.stats().dropped).toBeGreaterThanOrEqual(39);
      expect(webhooks.stats().duplicated).toBeGreaterThanOrEqual(30);
    } finally {
      webhooks.stop();
      await client.close();
    }
    const records = await readRecords();
    expect(records).toHaveLength(n);
    expect(fake.stats.executionsCreated).toBe(n);
    for (const record of records) {
      const truth = fake.byExternalId(record.external_id)!;
      expect(record.status).toBe(truth.status);
      expect(record.outputs).toEqual(truth.status === 'FULFILLED' ? truth.outputs : null);
    }
    const polls = fake.stats.requests.status;
    console.log(
      `hybrid: ${polls} status requests for ${n} executions (${webhooks.stats().dropped} pushes dropped)`,
    );
    // Counts, not a real-time ratio (how far below depends on timing): an execution whose push was dropped can
    // only end by a poll, so there is at least one poll for each; polling alone needs at least one status request per
    // execution (n). Hybrid stays below that because a push comes within ms of the finish while the engine waits at
    // least a second of silence before it polls: only a stall of about a second per execution could reach n.
    expect(polls).toBeGreaterThanOrEqual(webhooks.stats().dropped);
    expect(polls).toBeLessThan(n);
  });

  it('in webhook mode polls nothing while pushes arrive, and a silent execution once its silence is long', async () => {
    fake = await startFakeVellum({ apiKey: 'k', deployments: ['wf'], durationMs: 20 });
    const webhooks = groundTruthFeed(fake, { dropEvery: 25, duplicateEvery: 1000 });
    const client = createClient({ apiKey: 'k', baseUrl: fake.url });
    try {
      const { summary } = await runBatch({
        client,
        dataset: { path: 'memory', size: 50, cases: () => cases(50) },
        workflow: { deploymentName: 'wf' },
        outDir: dir,
        track: 'webhook',
        completions: webhooks.feed,
        // Far above any scheduling stall on a busy machine, so only the two dropped pushes are ever polled.
        webhookSilenceMs: 2_000,
      });
      expect(summary.total).toBe(50);
      expect(summary.fulfilled + summary.rejected).toBe(50);
    } finally {
      webhooks.stop();
      await client.close();
    }
    expect(webhooks.stats().dropped).toBe(2);
    expect(fake.stats.requests.status).toBe(2);
  });

  it('refuses webhook tracking without a feed', async () => {
    fake = await startFakeVellum({ apiKey: 'k', deployments: ['wf'] });
    const client = createClient({ apiKey: 'k', baseUrl: fake.url });
    await expect(
      runBatch({
        client,
        dataset: { path: 'memory', size: 1, cases: () => cases(1) },
        workflow: { deploymentName: 'wf' },
        outDir: dir,
        track: 'hybrid',
      }),
    ).rejects.toThrow('track hybrid: give the completions feed (a webhook receiver) to listen to');
    await client.close();
    expect(fake.stats.requests.submit).toBe(0);
  });
});
