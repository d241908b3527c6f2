/**
 * Webhooks end to end: the testkit sends signed deliveries (some dropped, some doubled, some forged) to a real
 * receiver from `startWebhookServer`, which feeds the engine in hybrid mode.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeVellum } from '@vellum-batch/testkit';
import type { FakeVellum } from '@vellum-batch/testkit';
import { createClient } from '../src/client.js';
import { runBatch } from '../src/engine/run.js';
import { startWebhookServer } from '../src/receiver.js';
import type { WebhookServer } from '../src/receiver.js';
import { signWebhook } from '../src/webhook.js';
import type { Case, CaseRecord } from '../src/types.js';

const SECRET = 'whsec_e2e';
let dir: string;
let fake: FakeVellum | null = null;
let receiver: WebhookServer;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-webhooks-'));
  receiver = await startWebhookServer({ secret: SECRET, path: '/vellum/webhook' });
});
afterEach(async () => {
  await fake?.close();
  fake = null;
  await receiver.close();
  await rm(dir, { recursive: true, force: true });
});

function cases(n: number): Case[] {
  return Array.from({ length: n }, (_, i) => ({
    index: i,
    id: `w-${i}`,
    inputs: [{ name: 'q', type: 'STRING', value: `q${i}` }],
    expected: { q: `q${i}` },
    assertions: [],
    metadata: {},
  }));
}

async function post(body: string, headers: Record<string, string>): Promise<number> {
  const res = await fetch(receiver.url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  await res.text();
  return res.status;
}

describe('the webhook receiver', () => {
  it('refuses forged, stale and altered deliveries with 401 and never passes them on', async () => {
    const heard: unknown[] = [];
    receiver.subscribe((c) => heard.push(c));
    const body = JSON.stringify({
      id: 'e1',
      name: 'workflow.execution.fulfilled',
      span_id: 'x',
      body: { outputs: {} },
    });
    const now = Math.floor(Date.now() / 1000);
    const sign = (b: string, t: number, secret = SECRET) =>
      signWebhook({ secret, method: 'POST', url: receiver.url, rawBody: b, timestamp: t });
    expect(
      await post(body, {
        'x-vellum-timestamp': String(now),
        'x-vellum-signature': sign(body, now, 'forged'),
      }),
    ).toBe(401);
    expect(
      await post(body, {
        'x-vellum-timestamp': String(now - 61),
        'x-vellum-signature': sign(body, now - 61),
      }),
    ).toBe(401);
    const altered = body.replace('"x"', '"y"');
    expect(
      await post(altered, { 'x-vellum-timestamp': String(now), 'x-vellum-signature': sign(body, now) }),
    ).toBe(401);
    expect(heard).toHaveLength(0);
    expect(
      await post(body, { 'x-vellum-timestamp': String(now), 'x-vellum-signature': sign(body, now) }),
    ).toBe(202);
    expect(
      await post(body, { 'x-vellum-timestamp': String(now), 'x-vellum-signature': sign(body, now) }),
    ).toBe(200);
    expect(heard).toHaveLength(1);
    expect(receiver.stats).toEqual({ accepted: 1, duplicates: 1, refused: 3, ignored: 0 });
    expect(
      await post('not json', {
        'x-vellum-timestamp': String(now),
        'x-vellum-signature': sign('not json', now),
      }),
    ).toBe(400);
    const big = 'x'.repeat(2_000_000);
    expect(await post(big, { 'x-vellum-timestamp': String(now), 'x-vellum-signature': sign(big, now) })).toBe(
      413,
    );
  });
});

describe('hybrid tracking with the testkit sending webhooks', () => {
  it('finishes 1,000 cases correctly with 10% of deliveries dropped and 10% doubled, fewer polls than executions', async () => {
    fake = await startFakeVellum({
      apiKey: 'k',
      deployments: ['wf'],
      concurrency: 100,
      durationMs: { min: 100, max: 300 },
      webhook: {
        url: receiver.url,
        secret: SECRET,
        dropRate: 0.1,
        duplicateRate: 0.1,
        badSignatureRate: 0.02,
      },
    });
    const client = createClient({ apiKey: 'k', baseUrl: fake.url });
    const n = 1000;
    try {
      const { summary } = await runBatch({
        client,
        dataset: { path: 'memory', size: n, cases: () => cases(n) },
        workflow: { deploymentName: 'wf' },
        outDir: dir,
        concurrency: 200,
        track: 'hybrid',
        completions: receiver,
        initialDurationEstimateMs: 200,
      });
      expect(summary.passed).toBe(n);
    } finally {
      await client.close();
    }
    const records = (await readFile(join(dir, 'results.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as CaseRecord);
    expect(records).toHaveLength(n);
    for (const record of records)
      expect(record.outputs).toEqual(fake.byExternalId(record.external_id)!.outputs);
    const webhooks = fake.stats.webhooks;
    const perExecution = fake.stats.requests.status / n;
    console.log(
      `hybrid: ${fake.stats.requests.status} status requests for ${n} executions (${perExecution.toFixed(2)} each); ` +
        `webhooks sent ${webhooks.sent}, dropped ${webhooks.dropped}, doubled ${webhooks.duplicated}, refused ${webhooks.failed}; ` +
        `receiver ${JSON.stringify(receiver.stats)}`,
    );
    expect(webhooks.dropped).toBeGreaterThan(50);
    expect(webhooks.duplicated).toBeGreaterThan(50);
    expect(receiver.stats.refused).toBe(webhooks.failed);
    // Counts, not a real-time ratio (how far below depends on timing): a dropped delivery leaves its execution
    // to a poll, so there is at least one poll for each; polling alone needs at least one status request per
    // execution (n). Hybrid stays below that because a delivery comes within ms of the finish while the engine waits
    // at least a second of silence before it polls: only a stall of about a second per execution could reach n.
    expect(fake.stats.requests.status).toBeGreaterThanOrEqual(webhooks.dropped);
    expect(fake.stats.requests.status).toBeLessThan(n);
  });
});
