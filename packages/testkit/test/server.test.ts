import { Agent, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeVellum, fakeDeploymentId, type FakeVellum, type FakeVellumOptions } from '../src/index.js';
import { body, call, list, status, submit, waitUntil, type WireBody } from './helpers.js';

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

async function finalStatus(fake: FakeVellum, id: string): Promise<WireBody> {
  let last: WireBody | undefined;
  await waitUntil(async () => {
    last = (await status(fake, id)).body;
    return last.status === 'FULFILLED' || last.status === 'REJECTED';
  });
  return last!;
}

describe('startFakeVellum: basics', () => {
  it('listens on 127.0.0.1 with a random port and closes idempotently', async () => {
    const fake = await start();
    expect(fake.url).toBe(`http://127.0.0.1:${fake.port}`);
    expect(fake.port).toBeGreaterThan(0);
    await fake.close();
    await fake.close();
    await expect(fetch(`${fake.url}/v1/execute-workflow-async`)).rejects.toThrow();
  });

  it('rejects bad options with a clear message', async () => {
    await expect(startFakeVellum({ concurrency: 0 })).rejects.toThrow(/concurrency must be/);
    await expect(startFakeVellum({ rejectRate: 2 })).rejects.toThrow(/rejectRate must be/);
    await expect(startFakeVellum({ deployments: ['a', 'a'] })).rejects.toThrow(/declared twice/);
    await expect(startFakeVellum({ faults: { retryAfterSeconds: 1.5 } })).rejects.toThrow(
      /retryAfterSeconds/,
    );
  });

  it('answers 403 without or with a wrong X-API-KEY, on every endpoint', async () => {
    const fake = await start({ apiKey: 'secret' });
    const missing = await submit(fake, body(), null);
    expect(missing.status).toBe(403);
    expect(missing.body).toEqual({ detail: 'Authentication credentials were not provided.' });
    const wrong = await submit(fake, body(), 'nope');
    expect(wrong.status).toBe(403);
    expect(wrong.body).toEqual({ detail: 'Invalid API key.' });
    expect((await status(fake, 'x', 'nope')).status).toBe(403);
    expect(
      (await call(fake, 'GET', '/v1/workflow-deployments/demo/execution-events', undefined, 'nope')).status,
    ).toBe(403);
    expect([...fake.executions()]).toHaveLength(0);
    expect((await submit(fake, body(), 'secret')).status).toBe(200);
  });

  it('answers 404 for unknown routes, executions and deployments', async () => {
    const fake = await start({ deployments: ['demo', { name: 'other', id: 'dep-2' }] });
    const route = await call(fake, 'GET', '/v1/nothing');
    expect(route.status).toBe(404);
    expect(route.body).toEqual({ detail: 'Not found.' });
    expect(route.headers.get('content-type')).toBe('application/json');
    const exec = await status(fake, 'no-such-id');
    expect(exec.status).toBe(404);
    expect(exec.body.detail).toBe('Workflow execution not found');
    const byName = await submit(fake, body({}, { workflow_deployment_name: 'ghost' }));
    expect(byName.status).toBe(404);
    expect(byName.body).toEqual({ detail: 'Workflow deployment not found' });
    const byId = await submit(fake, { inputs: [], workflow_deployment_id: 'ghost-id' });
    expect(byId.body).toEqual({ detail: 'Workflow deployment not found' });
    const okById = await submit(fake, { inputs: [], workflow_deployment_id: 'dep-2' });
    expect(okById.status).toBe(200);
    expect(fake.execution(okById.body.execution_id)?.deploymentName).toBe('other');
    const okDefaultId = await submit(fake, { inputs: [], workflow_deployment_id: fakeDeploymentId('demo') });
    expect(okDefaultId.status).toBe(200);
    const method = await call(fake, 'GET', '/v1/execute-workflow-async');
    expect(method.status).toBe(405);
  });

  it.each([
    [{ workflow_deployment_name: 'demo' }, 'inputs: This field is required.'],
    [{ workflow_deployment_name: 'demo', inputs: {} }, 'inputs: Must be a list'],
    [{ inputs: [] }, 'Must provide either workflow_deployment_id or workflow_deployment_name'],
    [
      { workflow_deployment_name: 'demo', inputs: [{ name: 'q', type: 'STRING', value: 3 }] },
      "inputs[0].value: STRING input needs a string, got a number. (input 'q')",
    ],
    [
      { workflow_deployment_name: 'demo', inputs: [{ name: 'n', type: 'NUMBER', value: '3' }] },
      'inputs[0].value: NUMBER input needs a finite number',
    ],
    [
      { workflow_deployment_name: 'demo', inputs: [{ name: 'x', type: 'WHATEVER', value: 1 }] },
      'inputs[0].type: Must be one of',
    ],
    [{ workflow_deployment_name: 'demo', inputs: [{ type: 'STRING', value: 'a' }] }, 'inputs[0].name'],
    [
      {
        workflow_deployment_name: 'demo',
        inputs: [{ name: 'h', type: 'CHAT_HISTORY', value: [{ role: 'BOT', text: 'hi' }] }],
      },
      'inputs[0].value[0].role: must be one of SYSTEM, USER, ASSISTANT, FUNCTION',
    ],
    [
      { workflow_deployment_name: 'demo', inputs: [{ name: 'i', type: 'IMAGE', value: {} }] },
      'inputs[0].value.src',
    ],
    [{ workflow_deployment_name: 'demo', inputs: [], external_id: 5 }, 'external_id: Must be a string'],
    [{ workflow_deployment_name: 'demo', inputs: [], metadata: [1] }, 'metadata: Must be an object'],
    ['{not json', 'JSON parse error'],
  ])('answers 400 naming the field for %j', async (payload, message) => {
    const fake = await start();
    const res = await submit(fake, payload);
    expect(res.status).toBe(400);
    expect(res.body.detail).toContain(message);
    expect(fake.stats.executionsCreated).toBe(0);
  });

  it('refuses a reused external_id with the wording clients detect', async () => {
    const fake = await start();
    const first = await submit(fake, body({ q: 'a' }, { external_id: 'case-1' }));
    expect(first.status).toBe(200);
    const again = await submit(fake, body({ q: 'b' }, { external_id: 'case-1' }));
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ detail: "An execution with external_id 'case-1' already exists" });
    expect(again.body.detail).toMatch(/external_id/);
    expect(fake.stats.executionsCreated).toBe(1);
    expect(fake.byExternalId('case-1')?.id).toBe(first.body.execution_id);
  });

  it('keeps connections alive across requests', async () => {
    const fake = await start();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (): Promise<boolean> =>
      new Promise((resolve, reject) => {
        const req = request(`${fake.url}/v1/nothing`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(req.reusedSocket));
        });
        req.on('error', reject);
        req.end();
      });
    expect(await get()).toBe(false);
    expect(await get()).toBe(true);
    agent.destroy();
  });
});

describe('startFakeVellum: executions', () => {
  it('runs an execution to FULFILLED, echoing inputs, with the status shape of SPEC section 2', async () => {
    const fake = await start({ durationMs: 10 });
    const history = [{ role: 'USER', text: 'hi' }];
    const res = await submit(fake, {
      workflow_deployment_name: 'demo',
      release_tag: 'prod',
      external_id: 'e-1',
      metadata: { owner: 'me' },
      inputs: [
        { name: 'query', type: 'STRING', value: 'hello' },
        { name: 'n', type: 'NUMBER', value: 3 },
        { name: 'history', type: 'CHAT_HISTORY', value: history },
      ],
    });
    expect(res.status).toBe(200);
    const id: string = res.body.execution_id;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const early = await status(fake, id);
    expect(['INITIATED', 'FULFILLED']).toContain(early.body.status);
    const done = await finalStatus(fake, id);
    expect(done).toEqual({
      execution_id: id,
      status: 'FULFILLED',
      outputs: { query: 'hello', n: 3, history },
      error: null,
      execution_detail_url: `https://app.vellum.ai/workflows/executions/${id}`,
    });
    const truth = fake.execution(id)!;
    expect(truth).toMatchObject({
      releaseTag: 'prod',
      externalId: 'e-1',
      metadata: { owner: 'me' },
      durationMs: 10,
    });
    expect(truth.finishedAt! - truth.startedAt!).toBe(10);
  });

  it('shows INITIATED and PENDING statuses before finishing, with outputs {} and error null', async () => {
    // The first execution runs for a minute, so the snapshot does not depend on how fast this machine is.
    const fake = await start({ concurrency: 1, durationMs: 60_000 });
    const a = (await submit(fake, body({ q: 'a' }))).body.execution_id;
    const b = (await submit(fake, body({ q: 'b' }))).body.execution_id;
    const sa = (await status(fake, a)).body;
    const sb = (await status(fake, b)).body;
    expect(sa).toMatchObject({ status: 'INITIATED', outputs: {}, error: null });
    expect(sb).toMatchObject({ status: 'PENDING', outputs: {}, error: null });
    expect(fake.stats).toMatchObject({ running: 1, queued: 1 });
  });

  it('queues over the concurrency limit, FIFO, each start at a free slot', async () => {
    const fake = await start({ concurrency: 2, durationMs: 60_000 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await submit(fake, body({ i }, { external_id: `c-${i}` }))).body.execution_id);
    const statuses = await Promise.all(ids.map(async (id) => (await status(fake, id)).body.status));
    expect(statuses).toEqual(['INITIATED', 'INITIATED', 'PENDING', 'PENDING', 'PENDING']);
    expect(fake.stats).toMatchObject({ running: 2, queued: 3, maxRunning: 2 });
    expect([...fake.executions()].map((e) => e.id)).toEqual(ids);
  });

  it('runs a queue to the end, whatever the machine speed (ground truth, no timing)', async () => {
    const fake = await start({ concurrency: 2, durationMs: 20 });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await submit(fake, body({ i }))).body.execution_id);
    await waitUntil(() => fake.stats.finished === 6);
    const truth = ids.map((id) => fake.execution(id)!);
    const finishes = new Set(truth.map((e) => e.finishedAt!));
    for (const e of truth) {
      expect(e.finishedAt! - e.startedAt!).toBe(20);
      // Each starts when submitted or exactly when another one's slot freed.
      expect(e.startedAt === e.createdAt || finishes.has(e.startedAt!)).toBe(true);
    }
    const starts = truth.map((e) => e.startedAt!);
    expect([...starts].sort((x, y) => x - y)).toEqual(starts);
    expect(fake.stats).toMatchObject({ maxRunning: 2, running: 0, queued: 0, finished: 6 });
  });

  it('rejects per rejectRate with the default message and code', async () => {
    const fake = await start({ rejectRate: 1, durationMs: 5 });
    const id = (await submit(fake, body({ q: 'x' }))).body.execution_id;
    expect(await finalStatus(fake, id)).toMatchObject({
      status: 'REJECTED',
      outputs: {},
      error: { message: 'Workflow rejected by the fake server', code: 'NODE_EXECUTION' },
    });
  });

  it('follows the fake_* control inputs', async () => {
    const fake = await start({ durationMs: 5 });
    const rejected = (await submit(fake, body({ q: 'a', fake_reject: 'boom' }))).body.execution_id;
    const coded = (
      await submit(fake, body({ fake_reject: 'quota', fake_error_code: 'PROVIDER_QUOTA_EXCEEDED' }))
    ).body.execution_id;
    const slow = (await submit(fake, body({ q: 'b', fake_duration_ms: 7 }))).body.execution_id;
    const custom = (await submit(fake, body({ q: 'c', fake_outputs: { answer: 42 } }))).body.execution_id;
    const stuck = (await submit(fake, body({ fake_never_finish: true }))).body.execution_id;
    expect((await finalStatus(fake, rejected)).error).toEqual({
      message: 'boom',
      code: 'NODE_EXECUTION',
    });
    expect((await finalStatus(fake, coded)).error).toEqual({
      message: 'quota',
      code: 'PROVIDER_QUOTA_EXCEEDED',
    });
    expect((await finalStatus(fake, slow)).outputs).toEqual({ q: 'b' });
    expect(fake.execution(slow)?.durationMs).toBe(7);
    expect((await finalStatus(fake, custom)).outputs).toEqual({ answer: 42 });
    expect(fake.execution(stuck)).toMatchObject({ neverFinishes: true, status: 'INITIATED' });
    expect((await status(fake, stuck)).body.status).toBe('INITIATED');
    expect(fake.stats.running).toBe(1);
  });

  it('is deterministic for a seed (ids, outcomes, durations)', async () => {
    // Compared on the store's ground truth once every execution has finished: nothing is read mid-run, so the
    // outcome depends on the seed only, not on how fast the machine answers.
    const options: FakeVellumOptions = { rejectRate: 0.5, durationMs: { min: 1, max: 30 } };
    const runs: string[][] = [];
    for (const seed of [42, 42, 7]) {
      const fake = await start({ ...options, seed });
      for (let i = 0; i < 12; i++) await submit(fake, body({ i }, { external_id: `k-${i}` }));
      await waitUntil(() => fake.stats.finished === 12);
      runs.push(
        [...fake.executions()].map(
          (e) => `${e.id}:${e.durationMs}:${e.status}:${JSON.stringify(e.outputs ?? e.error)}`,
        ),
      );
    }
    expect(runs[0]).toEqual(runs[1]);
    expect(runs[0]).not.toEqual(runs[2]);
    const statuses = runs[0]!.map((row) => row.split(':')[2]);
    expect(statuses).toContain('REJECTED');
    expect(statuses).toContain('FULFILLED');
  });
});

describe('startFakeVellum: faults', () => {
  it('answers 429 with Retry-After and creates nothing', async () => {
    const fake = await start({ faults: { rateLimitRate: 1, retryAfterSeconds: 2 } });
    const res = await submit(fake, body());
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(res.body).toEqual({ detail: 'Too many requests' });
    expect((await status(fake, 'any')).status).toBe(429);
    expect(fake.stats.faultsInjected.rateLimited).toBe(2);
    expect(fake.stats.executionsCreated).toBe(0);
    fake.setFaults({ rateLimitRate: 0 });
    expect((await submit(fake, body())).status).toBe(200);
  });

  it('answers 5xx with a detail and creates nothing', async () => {
    const fake = await start({ faults: { serverErrorRate: 1 } });
    const codes = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const res = await submit(fake, body());
      codes.add(res.status);
      expect(res.body.detail).toMatch(/injected by the fake/);
    }
    expect([...codes].every((c) => c === 500 || c === 502 || c === 503)).toBe(true);
    expect(codes.size).toBeGreaterThan(1);
    expect(fake.stats.faultsInjected.serverErrors).toBe(20);
    expect(fake.stats.executionsCreated).toBe(0);
  });

  it('drops the response after accepting a submit: the call fails but the execution exists', async () => {
    const fake = await start({ durationMs: 5, faults: { dropAfterAcceptRate: 1 } });
    await expect(submit(fake, body({ q: 'lost' }, { external_id: 'lost-1' }))).rejects.toThrow();
    const e = fake.byExternalId('lost-1');
    expect(e?.inputs).toEqual([{ name: 'q', type: 'STRING', value: 'lost' }]);
    expect(fake.stats.faultsInjected.dropped).toBe(1);
    fake.setFaults({ dropAfterAcceptRate: 0 });
    const events = await list(fake, fakeDeploymentId('demo'));
    expect(events.body.results[0]).toMatchObject({
      span_id: e!.id,
      parent_context: { external_id: 'lost-1' },
    });
    expect((await finalStatus(fake, e!.id)).outputs).toEqual({ q: 'lost' });
  });

  it('answers 404 on status for young executions (lag), then 200', async () => {
    const fake = await start({ durationMs: 5, faults: { statusLagMs: 600_000 } });
    const id = (await submit(fake, body())).body.execution_id;
    const early = await status(fake, id);
    expect(early.status).toBe(404);
    expect(early.body).toEqual({ detail: 'Workflow execution not found' });
    expect(fake.stats.faultsInjected.lagged404).toBe(1);
    fake.setFaults({ statusLagMs: 0 });
    expect((await status(fake, id)).status).toBe(200);
  });

  it('keeps never-finishing executions INITIATED, holding their slot', async () => {
    const fake = await start({ concurrency: 1, durationMs: 5, faults: { neverFinishRate: 1 } });
    const a = (await submit(fake, body())).body.execution_id;
    fake.setFaults({ neverFinishRate: 0 });
    const b = (await submit(fake, body())).body.execution_id;
    expect((await status(fake, a)).body.status).toBe('INITIATED');
    expect((await status(fake, b)).body.status).toBe('PENDING');
    expect(fake.execution(a)?.neverFinishes).toBe(true);
    expect(fake.execution(b)?.neverFinishes).toBe(false);
  });

  it('rejects bad fault settings at run time', async () => {
    const fake = await start();
    expect(() => fake.setFaults({ serverErrorRate: -1 })).toThrow(/serverErrorRate/);
  });
});

describe('startFakeVellum: stats', () => {
  it('counts requests by endpoint and host, and responses by status', async () => {
    const fake = await start({ durationMs: 0 });
    const id = (await submit(fake, body())).body.execution_id;
    await submit(fake, body(), 'bad');
    await status(fake, id);
    await list(fake, fakeDeploymentId('demo'));
    await call(fake, 'GET', '/v1/workflow-deployments/demo');
    await call(fake, 'GET', '/nope');
    const stats = fake.stats;
    expect(stats.requests).toEqual({ submit: 2, status: 1, events: 1, deployments: 1, other: 1 });
    // One listener: each endpoint is counted under the host it belongs to at Vellum.
    expect(stats.requestsByHost).toEqual({
      predict: { submit: 2, status: 1, events: 0, deployments: 0, other: 1 },
      api: { submit: 0, status: 0, events: 1, deployments: 1, other: 0 },
    });
    expect(stats.responses).toEqual({ '200': 4, '403': 1, '404': 1 });
    expect(stats).toMatchObject({ executionsCreated: 1, finished: 1, running: 0, queued: 0, maxRunning: 1 });
  });
});
