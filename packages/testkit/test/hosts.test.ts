// Two hosts (splitHosts) and the exchange recording (onExchange).
import { afterEach, describe, expect, it } from 'vitest';
import { fakeDeploymentId, startFakeVellum, type FakeExchange, type FakeVellum } from '../src/index.js';
import { checkExchange } from './contract-check.js';

let fakes: FakeVellum[] = [];
afterEach(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  fakes = [];
});

const HEADERS = { 'x-api-key': 'test-key', 'content-type': 'application/json' };
const DEMO = fakeDeploymentId('demo');
const SUBMIT = JSON.stringify({ workflow_deployment_name: 'demo', inputs: [] });

async function get(base: string, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(base + path, { headers: HEADERS });
  return { status: res.status, body: await res.json() };
}

async function post(base: string, path: string, body: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(base + path, { method: 'POST', headers: HEADERS, body });
  return { status: res.status, body: await res.json() };
}

describe('splitHosts', () => {
  it('serves execute and status only on predictUrl, deployments and lists only on apiUrl', async () => {
    const fake = await startFakeVellum({ splitHosts: true, durationMs: 0 });
    fakes.push(fake);
    expect(fake.predictUrl).not.toBe(fake.apiUrl);
    expect(fake.url).toBe(fake.predictUrl);
    const { predictUrl, apiUrl } = fake;
    const ok = await post(predictUrl, '/v1/execute-workflow-async', SUBMIT);
    expect(ok.status).toBe(200);
    const id = (ok.body as { execution_id: string }).execution_id;
    expect((await get(predictUrl, `/v1/workflows/executions/${id}/status`)).status).toBe(200);
    expect((await get(apiUrl, `/v1/workflow-deployments/${DEMO}`)).status).toBe(200);
    expect((await get(apiUrl, `/v1/workflow-deployments/${DEMO}/execution-events`)).status).toBe(200);
    // Each endpoint on the other host: 404 Not found.
    const wrong = [
      await post(apiUrl, '/v1/execute-workflow-async', SUBMIT),
      await get(apiUrl, `/v1/workflows/executions/${id}/status`),
      await get(predictUrl, `/v1/workflow-deployments/${DEMO}`),
      await get(predictUrl, `/v1/workflow-deployments/${DEMO}/execution-events`),
    ];
    for (const res of wrong) expect(res).toEqual({ status: 404, body: { detail: 'Not found.' } });
    expect(fake.stats.executionsCreated).toBe(1);
    expect(fake.stats.requestsByHost).toEqual({
      predict: { submit: 1, status: 1, events: 1, deployments: 1, other: 0 },
      api: { submit: 1, status: 1, events: 1, deployments: 1, other: 0 },
    });
    expect(fake.stats.requests).toEqual({ submit: 2, status: 2, events: 2, deployments: 2, other: 0 });
  });

  it('without it, one listener serves everything: url === predictUrl === apiUrl', async () => {
    const fake = await startFakeVellum();
    fakes.push(fake);
    expect(fake.predictUrl).toBe(fake.url);
    expect(fake.apiUrl).toBe(fake.url);
    expect((await get(fake.url, `/v1/workflow-deployments/${DEMO}`)).status).toBe(200);
    expect((await post(fake.url, '/v1/execute-workflow-async', SUBMIT)).status).toBe(200);
  });

  it('closes both listeners', async () => {
    const fake = await startFakeVellum({ splitHosts: true });
    await fake.close();
    await expect(fetch(`${fake.apiUrl}/v1/workflow-deployments/demo`)).rejects.toThrow();
    await expect(fetch(`${fake.predictUrl}/v1/execute-workflow-async`)).rejects.toThrow();
  });
});

describe('onExchange', () => {
  it('reports every answered request with host, method, path, query and both parsed bodies', async () => {
    const exchanges: FakeExchange[] = [];
    const fake = await startFakeVellum({ splitHosts: true, onExchange: (x) => exchanges.push(x) });
    fakes.push(fake);
    const submitted = await post(fake.predictUrl, '/v1/execute-workflow-async', SUBMIT);
    await get(fake.apiUrl, `/v1/workflow-deployments/${DEMO}/execution-events?limit=5&ordering=-timestamp`);
    await get(fake.predictUrl, `/v1/workflow-deployments/${DEMO}`);
    expect(exchanges).toHaveLength(3);
    expect(exchanges[0]).toEqual({
      host: 'predict',
      method: 'POST',
      path: '/v1/execute-workflow-async',
      query: '',
      requestBody: JSON.parse(SUBMIT),
      status: 200,
      responseBody: submitted.body,
    });
    expect(exchanges[1]).toMatchObject({
      host: 'api',
      method: 'GET',
      query: 'limit=5&ordering=-timestamp',
      requestBody: undefined,
      status: 200,
      responseBody: { count: 1 },
    });
    // The checker names the wrong host of the third.
    expect(checkExchange(exchanges[2]!).errors).toContain(
      `host: GET /v1/workflow-deployments/${DEMO} belongs on the api host, was sent to predict`,
    );
    expect(checkExchange(exchanges[0]!)).toEqual({
      schema: 'ExecuteWorkflowAsyncResponse',
      requestSchema: 'ExecuteWorkflowAsyncRequest',
      ok: true,
      errors: [],
    });
  });

  it('records a body that is not JSON as its text, and the checker refuses it', async () => {
    const exchanges: FakeExchange[] = [];
    const fake = await startFakeVellum({ onExchange: (x) => exchanges.push(x) });
    fakes.push(fake);
    const res = await post(fake.url, '/v1/execute-workflow-async', '{oops');
    expect(res.status).toBe(400);
    expect(exchanges[0]).toMatchObject({ requestBody: '{oops', status: 400 });
    const check = checkExchange(exchanges[0]!);
    expect(check.ok).toBe(false);
    expect(check.errors.join('\n')).toMatch(/^request: /m);
  });

  it('the checker refuses undocumented list parameters and filters that are not JSON', async () => {
    const exchanges: FakeExchange[] = [];
    const fake = await startFakeVellum({ onExchange: (x) => exchanges.push(x) });
    fakes.push(fake);
    await get(fake.url, `/v1/workflow-deployments/${DEMO}/execution-events?page=2&filters=%7Bbad`);
    expect(exchanges[0]!.status).toBe(400);
    expect(checkExchange(exchanges[0]!)).toEqual({
      schema: 'ErrorDetail',
      requestSchema: null,
      ok: false,
      errors: ['query.page: not a documented parameter of the execution list', 'query.filters: not JSON'],
    });
  });
});
