// The execution list and deployment reads: shapes, ordering, paging, filters, queued executions.
import { serialization } from 'vellum-ai';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeDeploymentId, startFakeVellum, type FakeVellum, type FakeVellumOptions } from '../src/index.js';
import { body, call, externalIdFilter, list, submit, waitUntil } from './helpers.js';

let fakes: FakeVellum[] = [];
async function start(options?: FakeVellumOptions): Promise<FakeVellum> {
  const fake = await startFakeVellum(options);
  fakes.push(fake);
  return fake;
}
afterEach(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  fakes = [];
});

const DEMO = fakeDeploymentId('demo');

async function submitMany(fake: FakeVellum, n: number, prefix = 'x'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    ids.push((await submit(fake, body({ i }, { external_id: `${prefix}-${i}` }))).body.execution_id);
  }
  return ids;
}

describe('execution list', () => {
  it('answers SlimWorkflowExecutionRead items with parent_context and typed values, no top-level external_id', async () => {
    const fake = await start({ durationMs: 0 });
    const id = (
      await submit(fake, {
        workflow_deployment_name: 'demo',
        release_tag: 'prod',
        external_id: 'vb-1-a',
        metadata: { 'vellum-batch-run': 'r1' },
        inputs: [
          { name: 'q', type: 'STRING', value: 'hi' },
          { name: 'n', type: 'NUMBER', value: 2 },
          { name: 'h', type: 'CHAT_HISTORY', value: [{ role: 'USER', text: 'yo' }] },
          { name: 'img', type: 'IMAGE', value: { src: 'https://example.com/a.png' } },
        ],
      })
    ).body.execution_id;
    await waitUntil(() => fake.stats.finished === 1);
    const page = await list(fake, DEMO, 'ordering=-timestamp');
    expect(page.status).toBe(200);
    expect(Object.keys(page.body).sort()).toEqual(['count', 'results']);
    const item = page.body.results[0]!;
    expect(item).not.toHaveProperty('external_id');
    expect(item).toMatchObject({
      span_id: id,
      end: expect.any(String),
      error: null,
      parent_context: {
        type: 'WORKFLOW_RELEASE_TAG',
        external_id: 'vb-1-a',
        metadata: { 'vellum-batch-run': 'r1' },
        deployment_id: DEMO,
        deployment_name: 'demo',
        release_tag_name: 'prod',
      },
    });
    expect(item.inputs.map((v) => [v.name, v.type])).toEqual([
      ['q', 'STRING'],
      ['n', 'NUMBER'],
      ['h', 'CHAT_HISTORY'],
      ['img', 'IMAGE'],
    ]);
    expect(item.outputs.map((v) => [v.name, v.type, v.value])).toContainEqual(['q', 'STRING', 'hi']);
    const parsed = serialization.WorkflowDeploymentEventExecutionsResponse.parse(page.body, {
      unrecognizedObjectKeys: 'fail',
    });
    expect(parsed).toMatchObject({ ok: true });
  });

  it('orders by ordering: -timestamp newest first, timestamp and absent oldest first', async () => {
    const fake = await start({ durationMs: 0 });
    const ids = await submitMany(fake, 4);
    const spans = async (query: string): Promise<string[]> =>
      (await list(fake, DEMO, query)).body.results.map((r) => r.span_id);
    expect(await spans('ordering=-timestamp')).toEqual([...ids].reverse());
    expect(await spans('ordering=timestamp')).toEqual(ids);
    expect(await spans('')).toEqual(ids);
  });

  it('pages with limit and offset, never more than maxPageSize, limit defaulting to 20', async () => {
    const fake = await start({ durationMs: 0, maxPageSize: 20 });
    const ids = await submitMany(fake, 45);
    const first = await list(fake, DEMO, 'ordering=-timestamp&limit=100');
    expect(first.body.count).toBe(45);
    expect(first.body.results).toHaveLength(20);
    const seen: string[] = [];
    for (let offset = 0; ;) {
      const page = await list(fake, DEMO, `ordering=-timestamp&limit=100&offset=${offset}`);
      if (page.body.results.length === 0) break;
      seen.push(...page.body.results.map((r) => r.span_id));
      offset += page.body.results.length;
    }
    expect(seen).toEqual([...ids].reverse());
    expect((await list(fake, DEMO, 'limit=3&offset=1')).body.results.map((r) => r.span_id)).toEqual(
      ids.slice(1, 4),
    );
    expect((await list(fake, DEMO)).body.results).toHaveLength(20);
    expect((await list(fake, DEMO, 'offset=99')).body).toEqual({ count: 45, results: [] });
  });

  it('caps a page at 100 by default', async () => {
    const fake = await start({ durationMs: 0 });
    await Promise.all(Array.from({ length: 120 }, (_, i) => submit(fake, body({ i }))));
    const big = await list(fake, DEMO, 'limit=1000');
    expect(big.body.count).toBe(120);
    expect(big.body.results).toHaveLength(100);
  });

  it('honours filters on external_id (=), ignoring conditions on other fields', async () => {
    const fake = await start({ durationMs: 0 });
    await submitMany(fake, 5, 'vb-1');
    const hit = await list(fake, DEMO, `filters=${encodeURIComponent(externalIdFilter('vb-1-3'))}`);
    expect(hit.body.count).toBe(1);
    expect(hit.body.results[0]!.parent_context.external_id).toBe('vb-1-3');
    const none = await list(fake, DEMO, `filters=${encodeURIComponent(externalIdFilter('nope'))}`);
    expect(none.body).toEqual({ count: 0, results: [] });
    const other = JSON.stringify({
      type: 'LOGICAL_CONDITION_GROUP',
      combinator: 'AND',
      negated: false,
      conditions: [
        {
          type: 'LOGICAL_CONDITION',
          lhs_variable: { type: 'STRING', value: 'label' },
          operator: 'contains',
          rhs_variable: { type: 'STRING', value: 'x' },
        },
      ],
    });
    expect((await list(fake, DEMO, `filters=${encodeURIComponent(other)}`)).body.count).toBe(5);
  });

  it('answers 400 with a detail for filters that are not JSON, or limit/offset that are not integers', async () => {
    const fake = await start();
    const bad = await list(fake, DEMO, 'filters=%7Bnot-json');
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/^filters: Invalid JSON/);
    const shape = await list(fake, DEMO, `filters=${encodeURIComponent('[1]')}`);
    expect(shape.status).toBe(400);
    expect(shape.body.detail).toBe('filters: must be an object.');
    expect((await list(fake, DEMO, 'limit=abc')).body).toEqual({
      detail: 'limit: A valid integer is required.',
    });
    expect((await list(fake, DEMO, 'offset=-1')).body).toEqual({
      detail: 'offset: A valid integer is required.',
    });
  });

  it('ignoreFilters: answers every execution whatever the filter', async () => {
    const fake = await start({ durationMs: 0, ignoreFilters: true });
    await submitMany(fake, 3);
    const page = await list(fake, DEMO, `filters=${encodeURIComponent(externalIdFilter('x-1'))}`);
    expect(page.body.count).toBe(3);
  });

  it('listQueued false leaves PENDING executions out until they start', async () => {
    const fake = await start({ concurrency: 1, durationMs: 60_000, listQueued: false });
    const [running, queued] = await submitMany(fake, 2);
    const page = await list(fake, DEMO, 'ordering=-timestamp');
    expect(fake.execution(queued!)?.status).toBe('PENDING');
    expect(page.body).toMatchObject({ count: 1, results: [{ span_id: running }] });
    const filtered = await list(fake, DEMO, `filters=${encodeURIComponent(externalIdFilter('x-1'))}`);
    expect(filtered.body.count).toBe(0);
  });

  it('is keyed by the deployment id: a name or an unknown id answers 404 Not found.', async () => {
    const fake = await start({ deployments: ['demo', { name: 'b', id: 'dep-b' }] });
    await submit(fake, { workflow_deployment_id: 'dep-b', inputs: [] });
    expect((await list(fake, 'dep-b')).body.count).toBe(1);
    expect((await list(fake, DEMO)).body.count).toBe(0);
    for (const ref of ['demo', 'b', 'ghost']) {
      const res = await list(fake, ref);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ detail: 'Not found.' });
    }
  });
});

describe('deployment read', () => {
  it('answers WorkflowDeploymentRead by id or by name, 404 for unknown, 403 for a bad key', async () => {
    const fake = await start({ deployments: ['demo', { name: 'b', id: 'dep-b' }] });
    const byName = await call(fake, 'GET', '/v1/workflow-deployments/demo');
    const byId = await call(fake, 'GET', `/v1/workflow-deployments/${DEMO}`);
    expect(byName.status).toBe(200);
    expect(byId.body).toEqual(byName.body);
    expect(byName.body).toMatchObject({
      id: DEMO,
      name: 'demo',
      label: 'demo',
      status: 'ACTIVE',
      input_variables: [],
      output_variables: [],
    });
    const strict = serialization.WorkflowDeploymentRead.parse(byName.body, {
      unrecognizedObjectKeys: 'fail',
    });
    expect(strict).toMatchObject({ ok: true });
    expect((await call(fake, 'GET', '/v1/workflow-deployments/dep-b')).body).toMatchObject({ name: 'b' });
    const unknown = await call(fake, 'GET', '/v1/workflow-deployments/ghost');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ detail: 'Not found.' });
    const denied = await call(fake, 'GET', '/v1/workflow-deployments/demo', undefined, 'wrong');
    expect(denied.status).toBe(403);
    expect(denied.body).toEqual({ detail: 'Invalid API key.' });
    expect((await call(fake, 'POST', '/v1/workflow-deployments/demo', {})).status).toBe(405);
  });
});
