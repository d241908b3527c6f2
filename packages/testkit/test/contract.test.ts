// Contract test: a realistic batch of raw HTTP calls through the fake, every recorded request and answer parsed
// strictly with the official SDK's schemas (vellum-ai 1.14.7) by checkExchange.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeDeploymentId, startFakeVellum, type FakeExchange, type FakeVellum } from '../src/index.js';
import { checkExchange } from './contract-check.js';
import { externalIdFilter, waitUntil } from './helpers.js';

const KEY = 'test-key';
const DEMO = fakeDeploymentId('demo');
const exchanges: FakeExchange[] = [];
let fake: FakeVellum;
let unlisted: FakeVellum;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function send(base: string, method: string, path: string, body?: unknown, key = KEY): Promise<Answer> {
  const init: RequestInit = { method, headers: { 'x-api-key': key, 'content-type': 'application/json' } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(base + path, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function submitBody(externalId: string, extra: Record<string, unknown> = {}): unknown {
  return {
    workflow_deployment_name: 'demo',
    release_tag: 'LATEST',
    external_id: externalId,
    metadata: { 'vellum-batch-run': 'run-1', case: externalId },
    inputs: [
      { name: 'question', type: 'STRING', value: `q ${externalId}` },
      { name: 'n', type: 'NUMBER', value: 3 },
      { name: 'data', type: 'JSON', value: { nested: [1, 'a', null] } },
      { name: 'history', type: 'CHAT_HISTORY', value: [{ role: 'USER', text: 'hi' }] },
      { name: 'picture', type: 'IMAGE', value: { src: 'https://example.com/a.png' } },
      ...((extra['inputs'] as unknown[] | undefined) ?? []),
    ],
  };
}

async function submit(base: string, externalId: string, inputs: unknown[] = [], key = KEY): Promise<Answer> {
  return send(base, 'POST', '/v1/execute-workflow-async', submitBody(externalId, { inputs }), key);
}

function id(answer: Answer): string {
  return answer.body['execution_id'] as string;
}

async function status(execution: string, key = KEY): Promise<Answer> {
  return send(fake.predictUrl, 'GET', `/v1/workflows/executions/${execution}/status`, undefined, key);
}

async function listAt(target: FakeVellum, query: string, ref = DEMO, key = KEY): Promise<Answer> {
  const path = `/v1/workflow-deployments/${encodeURIComponent(ref)}/execution-events`;
  return send(target.apiUrl, 'GET', query === '' ? path : `${path}?${query}`, undefined, key);
}

beforeAll(async () => {
  const onExchange = (x: FakeExchange): void => {
    exchanges.push(x);
  };
  fake = await startFakeVellum({
    splitHosts: true,
    concurrency: 3,
    durationMs: 0,
    maxPageSize: 20,
    onExchange,
  });
  unlisted = await startFakeVellum({ concurrency: 1, durationMs: 60_000, listQueued: false, onExchange });
});

afterAll(async () => {
  await Promise.all([fake.close(), unlisted.close()]);
});

describe('contract: every exchange parses with the vellum-ai schemas, strict', () => {
  it('drives a realistic batch', async () => {
    const { predictUrl, apiUrl } = fake;
    // Deployment reads, by id and by name; unknown; bad key.
    expect((await send(apiUrl, 'GET', `/v1/workflow-deployments/${DEMO}`)).status).toBe(200);
    expect((await send(apiUrl, 'GET', '/v1/workflow-deployments/demo')).status).toBe(200);
    expect((await send(apiUrl, 'GET', '/v1/workflow-deployments/ghost')).status).toBe(404);
    expect((await send(apiUrl, 'GET', '/v1/workflow-deployments/demo', undefined, 'bad')).status).toBe(403);

    // 30 quick cases, one in five rejected, one with a real error code.
    const finished: string[] = [];
    for (let i = 0; i < 30; i++) {
      const reject =
        i % 5 === 0
          ? [{ name: 'fake_reject', type: 'STRING', value: 'boom' }]
          : i === 7
            ? [{ name: 'fake_error_code', type: 'STRING', value: 'PROVIDER_QUOTA_EXCEEDED' }]
            : [];
      const answer = await submit(predictUrl, `vb-1-${i}`, reject);
      expect(answer.status).toBe(200);
      finished.push(id(answer));
    }
    await waitUntil(() => fake.stats.finished === 30);
    // Three that never finish hold every slot (INITIATED), two more wait (PENDING).
    const stuck: string[] = [];
    for (let i = 0; i < 5; i++) {
      stuck.push(
        id(
          await submit(predictUrl, `vb-1-s${i}`, [{ name: 'fake_never_finish', type: 'JSON', value: true }]),
        ),
      );
    }
    const seen = new Set<string>();
    for (const execution of [...finished, ...stuck])
      seen.add((await status(execution)).body['status'] as string);
    expect([...seen].sort()).toEqual(['FULFILLED', 'INITIATED', 'PENDING', 'REJECTED']);

    // Errors (each from a request that is itself on-contract: a bad filter is the client's fault, and the checker
    // refuses it, see executions.test.ts): a reused external id (400), a bad key (403), unknown deployment and execution (404), 429.
    expect((await submit(predictUrl, 'vb-1-3')).status).toBe(400);
    expect((await submit(predictUrl, 'vb-1-new', [], 'bad')).status).toBe(403);
    const ghost = { ...(submitBody('vb-1-ghost') as object), workflow_deployment_name: 'ghost' };
    expect((await send(predictUrl, 'POST', '/v1/execute-workflow-async', ghost)).status).toBe(404);
    expect((await status('00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await status(finished[0]!, 'bad')).status).toBe(403);
    fake.setFaults({ rateLimitRate: 1 });
    expect((await submit(predictUrl, 'vb-1-limited')).status).toBe(429);
    expect((await status(finished[0]!)).status).toBe(429);
    fake.setFaults({ rateLimitRate: 0 });

    // Execution lists: ordering, paging at the page cap of 20, filters, errors.
    let offset = 0;
    for (;;) {
      const page = await listAt(fake, `ordering=-timestamp&limit=100&offset=${offset}`);
      const results = page.body['results'] as unknown[];
      expect(results.length).toBeLessThanOrEqual(20);
      if (results.length === 0) break;
      offset += results.length;
    }
    expect(offset).toBe(35);
    expect((await listAt(fake, 'ordering=timestamp&limit=5')).status).toBe(200);
    expect((await listAt(fake, '')).status).toBe(200);
    const filtered = await listAt(
      fake,
      `ordering=-timestamp&filters=${encodeURIComponent(externalIdFilter('vb-1-3'))}`,
    );
    expect(filtered.body['count']).toBe(1);
    expect((await listAt(fake, '', 'demo')).status).toBe(404);
    expect((await listAt(fake, '', DEMO, 'bad')).status).toBe(403);

    // A server that leaves queued executions out of the list.
    await submit(unlisted.url, 'vb-2-a');
    await submit(unlisted.url, 'vb-2-b');
    const page = await listAt(unlisted, 'ordering=-timestamp');
    expect(page.body['count']).toBe(1);
  });

  it('parses every recorded exchange with its schema, with zero failures', () => {
    const bySchema: Record<string, number> = {};
    const failures: string[] = [];
    for (const exchange of exchanges) {
      const check = checkExchange(exchange);
      for (const name of [check.schema, check.requestSchema]) {
        if (name !== null) bySchema[name] = (bySchema[name] ?? 0) + 1;
      }
      if (!check.ok)
        failures.push(`${exchange.method} ${exchange.path} ${exchange.status}: ${check.errors.join('; ')}`);
    }
    expect(failures).toEqual([]);
    for (const schema of [
      'ExecuteWorkflowAsyncRequest',
      'ExecuteWorkflowAsyncResponse',
      'CheckWorkflowExecutionStatusResponse',
      'WorkflowDeploymentEventExecutionsResponse',
      'WorkflowDeploymentRead',
      'ErrorDetail',
    ]) {
      expect(bySchema[schema], schema).toBeGreaterThan(0);
    }
    const statuses = new Set(exchanges.map((x) => x.status));
    for (const code of [200, 400, 403, 404, 429]) expect(statuses.has(code), String(code)).toBe(true);
    expect(exchanges.length).toBeGreaterThan(90);
    // The figure the contract issue asks for, printed once for the report.
    console.log(`contract: ${exchanges.length} exchanges parsed: ${JSON.stringify(bySchema)}`);
  });
});
