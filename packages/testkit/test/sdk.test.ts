// Wire check: the official SDK (vellum-ai 1.14.7) talks to the fake as it would to Vellum, on one base URL and on
// the two hosts the SDK's own environment names (api for deployments and lists, predict for execute and status).
import { Vellum, VellumClient, VellumError } from 'vellum-ai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeDeploymentId, startFakeVellum, type FakeVellum } from '../src/index.js';
import { externalIdFilter, waitUntil } from './helpers.js';

const noRetry = { maxRetries: 0 } as const;

describe.each([
  { setup: 'one baseUrl', splitHosts: false },
  { setup: 'split hosts (environment)', splitHosts: true },
])('vellum-ai SDK against the fake, $setup', ({ splitHosts }) => {
  let fake: FakeVellum;
  beforeEach(async () => {
    fake = await startFakeVellum({
      durationMs: 10,
      splitHosts,
      deployments: ['demo', { name: 'other', id: 'dep-other' }],
    });
  });
  afterEach(async () => {
    await fake.close();
  });

  /** `baseUrl` overrides every environment URL; the environment sends each call to its own host. */
  function client(apiKey = 'test-key'): VellumClient {
    return splitHosts
      ? new VellumClient({
          apiKey,
          environment: { default: fake.apiUrl, predict: fake.predictUrl, documents: fake.apiUrl },
        })
      : new VellumClient({ apiKey, baseUrl: fake.url });
  }

  it('submits with executeWorkflowAsync and reads FULFILLED outputs with workflowExecutionStatus', async () => {
    const sdk = client();
    const { executionId } = await sdk.executeWorkflowAsync(
      {
        workflowDeploymentName: 'demo',
        releaseTag: 'LATEST',
        externalId: 'sdk-1',
        metadata: { run: 'r-1' },
        inputs: [
          { name: 'query', type: 'STRING', value: 'hello' },
          { name: 'n', type: 'NUMBER', value: 2 },
          { name: 'history', type: 'CHAT_HISTORY', value: [{ role: 'USER', text: 'hi' }] },
        ],
      },
      noRetry,
    );
    expect(fake.execution(executionId)).toMatchObject({ externalId: 'sdk-1', metadata: { run: 'r-1' } });
    let last: Vellum.CheckWorkflowExecutionStatusResponse | undefined;
    await waitUntil(async () => {
      last = await sdk.workflows.workflowExecutionStatus(executionId, noRetry);
      return last.status === 'FULFILLED';
    });
    expect(last).toMatchObject({
      executionId,
      status: 'FULFILLED',
      outputs: { query: 'hello', n: 2, history: [{ role: 'USER', text: 'hi' }] },
      executionDetailUrl: `https://app.vellum.ai/workflows/executions/${executionId}`,
    });
  });

  it('sees a REJECTED execution with its error code', async () => {
    const sdk = client();
    const { executionId } = await sdk.executeWorkflowAsync(
      { workflowDeploymentId: 'dep-other', inputs: [{ name: 'fake_reject', type: 'STRING', value: 'nope' }] },
      noRetry,
    );
    await waitUntil(() => fake.execution(executionId)?.status === 'REJECTED');
    const res = await sdk.workflows.workflowExecutionStatus(executionId, noRetry);
    expect(res.status).toBe('REJECTED');
    expect(res.error).toEqual({ message: 'nope', code: 'NODE_EXECUTION' });
  });

  it('retrieves a deployment by name and by id (workflowDeployments.retrieve)', async () => {
    const sdk = client();
    const byName = await sdk.workflowDeployments.retrieve('demo', noRetry);
    expect(byName).toMatchObject({ id: fakeDeploymentId('demo'), name: 'demo', status: 'ACTIVE' });
    expect(await sdk.workflowDeployments.retrieve(byName.id, noRetry)).toEqual(byName);
    const error: unknown = await sdk.workflowDeployments.retrieve('ghost', noRetry).catch((e: unknown) => e);
    expect((error as VellumError).statusCode).toBe(404);
    expect((error as VellumError).body).toEqual({ detail: 'Not found.' });
  });

  it('surfaces a wrong key as a VellumError with status 403', async () => {
    const error: unknown = await client('wrong')
      .executeWorkflowAsync({ workflowDeploymentName: 'demo', inputs: [] }, noRetry)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VellumError);
    expect((error as VellumError).statusCode).toBe(403);
    expect((error as VellumError).body).toEqual({ detail: 'Invalid API key.' });
  });

  it('surfaces an unknown deployment as the typed NotFoundError (404)', async () => {
    const error: unknown = await client()
      .executeWorkflowAsync({ workflowDeploymentName: 'ghost', inputs: [] }, noRetry)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Vellum.NotFoundError);
    expect((error as VellumError).body).toEqual({ detail: 'Workflow deployment not found' });
  });

  it('surfaces a reused external id as the typed BadRequestError (400)', async () => {
    const sdk = client();
    await sdk.executeWorkflowAsync(
      { workflowDeploymentName: 'demo', inputs: [], externalId: 'dup' },
      noRetry,
    );
    const error: unknown = await sdk
      .executeWorkflowAsync({ workflowDeploymentName: 'demo', inputs: [], externalId: 'dup' }, noRetry)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Vellum.BadRequestError);
    expect((error as VellumError).body).toEqual({
      detail: "An execution with external_id 'dup' already exists",
    });
  });

  it('lists executions by deployment id (listWorkflowDeploymentEventExecutions), ordered and filtered', async () => {
    const sdk = client();
    const id = fakeDeploymentId('demo');
    const first = await sdk.executeWorkflowAsync(
      {
        workflowDeploymentName: 'demo',
        inputs: [{ name: 'q', type: 'STRING', value: 'x' }],
        externalId: 'ev-1',
      },
      noRetry,
    );
    const second = await sdk.executeWorkflowAsync(
      { workflowDeploymentName: 'demo', inputs: [{ name: 'fake_reject', type: 'STRING', value: 'no' }] },
      noRetry,
    );
    await waitUntil(() => fake.stats.finished === 2);
    const newest = await sdk.workflowDeployments.listWorkflowDeploymentEventExecutions(
      id,
      { ordering: '-timestamp', limit: 10 },
      noRetry,
    );
    expect(newest.count).toBe(2);
    expect(newest.results.map((r) => r.spanId)).toEqual([second.executionId, first.executionId]);
    expect(newest.results[0]?.error?.message).toBe('no');
    expect(newest.results[1]?.outputs.map((o) => o.value)).toEqual(['x']);
    expect(newest.results[1]?.parentContext).toMatchObject({
      type: 'WORKFLOW_RELEASE_TAG',
      externalId: 'ev-1',
    });
    const filtered = await sdk.workflowDeployments.listWorkflowDeploymentEventExecutions(
      id,
      { filters: externalIdFilter('ev-1') },
      noRetry,
    );
    expect(filtered.results.map((r) => r.spanId)).toEqual([first.executionId]);
    const byName: unknown = await sdk.workflowDeployments
      .listWorkflowDeploymentEventExecutions('demo', {}, noRetry)
      .catch((e: unknown) => e);
    expect((byName as VellumError).statusCode).toBe(404);
    if (splitHosts) {
      expect(fake.stats.requestsByHost.predict).toMatchObject({ events: 0, deployments: 0 });
      expect(fake.stats.requestsByHost.api).toMatchObject({ submit: 0, status: 0, events: 3 });
    }
  });
});
