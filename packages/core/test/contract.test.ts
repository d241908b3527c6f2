/**
 * The client against Vellum's published contract, during real batches: every request the client sends and every
 * answer the testkit gives is parsed with the official SDK's serialization schemas in strict mode (`checkExchange`),
 * with rejections, lost submit answers, refused reuses, lookups by external id and a resume. The host split is proven
 * with two listeners, and lost answers are found again with queued executions left out of the list.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeVellum } from '@vellum-batch/testkit';
import type { FakeExchange, FakeVellum, FakeVellumOptions } from '@vellum-batch/testkit';
import { checkExchange } from '../../testkit/test/contract-check.js';
import { createClient } from '../src/client.js';
import { runBatch } from '../src/engine/run.js';
import type { RunBatchOptions } from '../src/engine/options.js';
import type { Case } from '../src/types.js';

let dir: string;
let fake: FakeVellum | null = null;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-contract-'));
});
afterEach(async () => {
  await fake?.close();
  fake = null;
  await rm(dir, { recursive: true, force: true });
});

function cases(n: number): Case[] {
  return Array.from({ length: n }, (_, index) => ({
    index,
    id: `c${index}`,
    inputs: [
      { name: 'q', type: 'STRING' as const, value: `q${index}` },
      { name: 'n', type: 'NUMBER' as const, value: index },
      { name: 'history', type: 'CHAT_HISTORY' as const, value: [{ role: 'USER', text: 'hi' }] },
      ...(index % 9 === 4 ? [{ name: 'fake_reject', type: 'STRING' as const, value: 'refused' }] : []),
    ],
    expected: { q: `q${index}` },
    assertions: [],
    metadata: { owner: 'contract' },
  }));
}

async function start(options: FakeVellumOptions, exchanges: FakeExchange[]): Promise<FakeVellum> {
  fake = await startFakeVellum({
    apiKey: 'k',
    deployments: ['wf'],
    durationMs: { min: 5, max: 60 },
    onExchange: (e) => exchanges.push(e),
    ...options,
  });
  return fake;
}

function run(server: FakeVellum, list: Case[], extra: Partial<RunBatchOptions> = {}) {
  const client = createClient({
    apiKey: 'k',
    baseUrl:
      server.predictUrl === server.apiUrl ? server.url : { predict: server.predictUrl, api: server.apiUrl },
    retry: { baseDelayMs: 2, maxDelayMs: 20 },
  });
  return runBatch({
    client,
    dataset: { path: 'cases.jsonl', size: list.length, sha256: 'x', cases: () => list },
    workflow: { deploymentName: 'wf' },
    outDir: dir,
    initialDurationEstimateMs: 20,
    ...extra,
  }).finally(() => client.close());
}

describe("Vellum's published contract", () => {
  it('every exchange of batches with rejections, lost answers, lookups and a resume parses with the SDK, strictly', async () => {
    const exchanges: FakeExchange[] = [];
    const server = await start(
      {
        concurrency: 6,
        listQueued: false,
        faults: { dropAfterAcceptRate: 0.08, rateLimitRate: 0.05, retryAfterSeconds: 0 },
      },
      exchanges,
    );
    const list = cases(60);
    const abort = new AbortController();
    let records = 0;
    await run(server, list, {
      concurrency: 12,
      signal: abort.signal,
      onEvent: (e) => e.type === 'record' && ++records === 20 && abort.abort(),
    });
    const resumed = await run(server, list, { mode: 'resume', concurrency: 12 });
    expect(resumed.summary.total).toBe(60);
    expect(resumed.summary.submit_failed).toBe(0);
    expect(server.stats.executionsCreated).toBe(60);

    const schemas = new Map<string, number>();
    const failures: string[] = [];
    for (const exchange of exchanges) {
      const check = checkExchange(exchange);
      for (const name of [check.schema, check.requestSchema]) {
        if (name !== null) schemas.set(name, (schemas.get(name) ?? 0) + 1);
      }
      if (!check.ok)
        failures.push(`${exchange.method} ${exchange.path} ${exchange.status}: ${check.errors.join('; ')}`);
    }
    console.log(
      `contract: ${exchanges.length} exchanges parsed: ${JSON.stringify(Object.fromEntries(schemas))}`,
    );
    expect(failures).toEqual([]);
    for (const name of [
      'ExecuteWorkflowAsyncRequest',
      'ExecuteWorkflowAsyncResponse',
      'CheckWorkflowExecutionStatusResponse',
      'WorkflowDeploymentRead',
      'WorkflowDeploymentEventExecutionsResponse',
    ]) {
      expect(schemas.get(name) ?? 0, name).toBeGreaterThan(0);
    }
  });

  it('sends executions and statuses to predict only, deployments and lists to api only', async () => {
    const exchanges: FakeExchange[] = [];
    const server = await start({ splitHosts: true, faults: { dropAfterAcceptRate: 0.2 } }, exchanges);
    const result = await run(server, cases(30));
    expect(result.summary.total).toBe(30);
    expect(server.stats.executionsCreated).toBe(30);
    const { predict, api } = server.stats.requestsByHost;
    expect(predict.events + predict.deployments + predict.other).toBe(0);
    expect(api.submit + api.status + api.other).toBe(0);
    expect(api.deployments).toBeGreaterThan(0);
    expect(api.events).toBeGreaterThan(0);
    expect(predict.submit).toBeGreaterThanOrEqual(30);
  });

  it('with 8% of submit answers lost and queued executions unlisted: one correct record per case, none doubled', async () => {
    const exchanges: FakeExchange[] = [];
    const server = await start(
      { concurrency: 4, listQueued: false, faults: { dropAfterAcceptRate: 0.08 } },
      exchanges,
    );
    const result = await run(server, cases(100), { concurrency: 16 });
    expect(server.stats.faultsInjected.dropped).toBeGreaterThan(0);
    expect(result.summary.submit_failed).toBe(0);
    expect(server.stats.executionsCreated).toBe(100);
    expect(result.summary.fulfilled + result.summary.rejected).toBe(100);
  });

  it('a second run under a used prefix adopts none of the first run executions', async () => {
    const exchanges: FakeExchange[] = [];
    const server = await start({}, exchanges);
    await run(server, cases(10), { externalIdPrefix: 'shared-' });
    await rm(join(dir, 'journal.jsonl'));
    const second = await run(server, cases(10), { externalIdPrefix: 'shared-' });
    expect(server.stats.executionsCreated).toBe(10);
    expect(second.summary.submit_failed).toBe(10);
    expect(second.summary.passed).toBe(0);
  });
});
