// Wire check: the official SDK (vellum-ai 1.14.7) talks to the fake as it would to Vellum.
import { VellumClient, VellumError, Vellum } from 'vellum-ai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeVellum, type FakeVellum } from '../src/index.js';
import { waitUntil } from './helpers.js';

let fake: FakeVellum;
beforeEach(async () => {
  fake = await startFakeVellum({ durationMs: 10, deployments: ['demo', { name: 'other', id: 'dep-other' }] });
});
afterEach(async () => {
  await fake.close();
});

/** `baseUrl` overrides every environment URL (default and predict), so all calls go to the fake. */
function client(apiKey = 'test-key'): VellumClient {
  return new VellumClient({ apiKey, baseUrl: fake.url });
}

const noRetry = { maxRetries: 0 } as const;

describe('vellum-ai SDK against the fake', () => {
  it('submits with executeWorkflowAsync and reads FULFILLED outputs with workflows.workflowExecutionStatus', async () => {
    const sdk = client();
    const { executionId } = await sdk.executeWorkflowAsync(
      {
        workflowDeploymentName: 'demo',
        releaseTag: 'LATEST',
        externalId: 'sdk-1',
        inputs: [
          { name: 'query', type: 'STRING', value: 'hello' },
          { name: 'n', type: 'NUMBER', value: 2 },
          { name: 'history', type: 'CHAT_HISTORY', value: [{ role: 'USER', text: 'hi' }] },
        ],
      },
      noRetry,
    );
    expect(fake.execution(executionId)?.externalId).toBe('sdk-1');
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

  it('sees a REJECTED execution with its error', async () => {
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
    expect((error as VellumError).statusCode).toBe(404);
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

  it('parses the execution events listing (listWorkflowDeploymentEventExecutions)', async () => {
    const sdk = client();
    const { executionId } = await sdk.executeWorkflowAsync(
      {
        workflowDeploymentName: 'demo',
        inputs: [{ name: 'q', type: 'STRING', value: 'x' }],
        externalId: 'ev-1',
      },
      noRetry,
    );
    const page = await sdk.workflowDeployments.listWorkflowDeploymentEventExecutions(
      'demo',
      { limit: 10, offset: 0 },
      noRetry,
    );
    expect(page.count).toBe(1);
    expect(page.results[0]?.spanId).toBe(executionId);
    await sdk.executeWorkflowAsync(
      { workflowDeploymentName: 'demo', inputs: [{ name: 'fake_reject', type: 'STRING', value: 'no' }] },
      noRetry,
    );
    await waitUntil(() => fake.stats.finished === 2);
    const later = await sdk.workflowDeployments.listWorkflowDeploymentEventExecutions('demo', {}, noRetry);
    expect(later.results.map((r) => r.spanId)).toEqual([[...fake.executions()][1]!.id, executionId]);
    expect(later.results[0]?.error?.message).toBe('no');
    expect(later.results[1]?.outputs.map((o) => o.value)).toEqual(['x']);
  });
});
