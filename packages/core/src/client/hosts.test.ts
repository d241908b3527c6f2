import { describe, expect, it } from 'vitest';
import { fakeClock, json, KEY, onCleanup, startServer } from '../../test/helpers/loopback.js';
import {
  DEPLOYMENT_ID,
  deploymentRead,
  executionsPage,
  slimExecution,
  statusAnswer,
  submitAnswer,
} from '../../test/helpers/vellum-shapes.js';
import { NotFoundError } from '../errors.js';
import { createClient, externalIdFilter } from './index.js';
import { DEFAULT_API_URL, DEFAULT_PREDICT_URL, resolveOptions } from './options.js';

const submitReq = {
  inputs: [{ name: 'q', type: 'STRING', value: 'hi' }],
  workflowDeploymentId: DEPLOYMENT_ID,
} as const;

async function twoHosts() {
  const predict = await startServer();
  const api = await startServer();
  const client = createClient({
    apiKey: KEY,
    baseUrl: { predict: predict.url, api: `${api.url}/gateway/` },
    clock: fakeClock(),
  });
  onCleanup(() => client.close());
  return { predict, api, client };
}

describe('two hosts', () => {
  it('sends execute and status to predict, deployments and execution lists to api', async () => {
    const { predict, api, client } = await twoHosts();
    predict.reply(json(200, submitAnswer('exec-1')), json(200, statusAnswer('exec-1')));
    api.reply(json(200, deploymentRead()), json(200, executionsPage(0, [])));
    await client.getWorkflowDeployment('support-bot');
    await client.executeWorkflowAsync(submitReq);
    await client.getExecutionStatus('exec-1');
    await client.listExecutionEvents(DEPLOYMENT_ID, { limit: 100 });
    expect(predict.seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'POST /v1/execute-workflow-async',
      'GET /v1/workflows/executions/exec-1/status',
    ]);
    expect(api.seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET /gateway/v1/workflow-deployments/support-bot',
      `GET /gateway/v1/workflow-deployments/${DEPLOYMENT_ID}/execution-events?limit=100`,
    ]);
    expect(api.seen.every((s) => s.headers['x-api-key'] === KEY)).toBe(true);
    expect(client.stats).toMatchObject({ submit: 1, status: 1, events: 1, deployments: 1 });
  });

  it("defaults to Vellum's two hosts, and a string stands for both", () => {
    expect(DEFAULT_PREDICT_URL).toBe('https://predict.vellum.ai');
    expect(DEFAULT_API_URL).toBe('https://api.vellum.ai');
    const byDefault = resolveOptions({ apiKey: KEY });
    expect([byDefault.predict.origin, byDefault.api.origin]).toEqual([DEFAULT_PREDICT_URL, DEFAULT_API_URL]);
    const one = resolveOptions({ apiKey: KEY, baseUrl: 'http://127.0.0.1:9/proxy/' });
    expect(one.predict).toEqual({ origin: 'http://127.0.0.1:9', prefix: '/proxy' });
    expect(one.api).toEqual(one.predict);
  });
});

describe('getWorkflowDeployment', () => {
  it('returns the id, name and label of a WorkflowDeploymentRead', async () => {
    const { api, client } = await twoHosts();
    api.reply(json(200, deploymentRead()));
    await expect(client.getWorkflowDeployment('support-bot')).resolves.toEqual({
      id: DEPLOYMENT_ID,
      name: 'support-bot',
      label: 'Support Bot',
    });
  });

  it('turns a 404 into a NotFoundError whose sentence names the deployment, not retried', async () => {
    const { api, client } = await twoHosts();
    api.reply(json(404, { detail: 'Not found.' }));
    const error = await client.getWorkflowDeployment('suport-bot').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toBe(
      'GET /gateway/v1/workflow-deployments/suport-bot answered 404: there is no workflow deployment "suport-bot" in this workspace (Vellum said: Not found.)',
    );
    expect(api.seen).toHaveLength(1);
  });
});

describe('listExecutionEvents', () => {
  it('sends ordering as given and the external-id filter of the docs tutorial', async () => {
    const { api, client } = await twoHosts();
    api.reply(json(200, executionsPage(0, [])));
    await client.listExecutionEvents(DEPLOYMENT_ID, {
      limit: 100,
      offset: 40,
      ordering: '-timestamp',
      externalId: 'vb-run1-7',
    });
    const url = new URL(api.seen[0]!.url, 'http://x');
    expect(url.pathname).toBe(`/gateway/v1/workflow-deployments/${DEPLOYMENT_ID}/execution-events`);
    expect(url.searchParams.get('limit')).toBe('100');
    expect(url.searchParams.get('offset')).toBe('40');
    expect(url.searchParams.get('ordering')).toBe('-timestamp');
    expect(url.searchParams.get('filters')).toBe(
      '{"type":"LOGICAL_CONDITION_GROUP","conditions":[{"type":"LOGICAL_CONDITION","lhs_variable":{"type":"STRING","value":"external_id"},"operator":"=","rhs_variable":{"type":"STRING","value":"vb-run1-7"}}],"combinator":"AND","negated":false}',
    );
    expect(externalIdFilter('a"b')).toContain('"value":"a\\"b"');
  });

  it('reads the external id, metadata, deployment and release tag from parent_context', async () => {
    const { api, client } = await twoHosts();
    api.reply(
      json(
        200,
        executionsPage(3, [
          slimExecution({
            spanId: 'exec-2',
            externalId: 'vb-2',
            metadata: { vellum_batch_run: 'r1' },
            releaseTag: 'prod',
          }),
          slimExecution({ spanId: 'exec-1', noParent: true }),
          slimExecution({ spanId: 'exec-0' }),
        ]),
      ),
    );
    const page = await client.listExecutionEvents(DEPLOYMENT_ID, {});
    expect(page).toEqual({
      count: 3,
      results: [
        {
          span_id: 'exec-2',
          external_id: 'vb-2',
          metadata: { vellum_batch_run: 'r1' },
          deployment_id: DEPLOYMENT_ID,
          release_tag: 'prod',
        },
        { span_id: 'exec-1', external_id: null, metadata: null, deployment_id: null, release_tag: null },
        {
          span_id: 'exec-0',
          external_id: null,
          metadata: null,
          deployment_id: DEPLOYMENT_ID,
          release_tag: 'LATEST',
        },
      ],
    });
  });

  it('gives no external id to a result whose parent context is of another kind', async () => {
    const { api, client } = await twoHosts();
    api.reply(
      json(200, {
        count: 1,
        results: [
          { span_id: 'exec-9', parent_context: { type: 'API_REQUEST', span_id: 's', external_id: 'vb-9' } },
        ],
      }),
    );
    const page = await client.listExecutionEvents(DEPLOYMENT_ID, {});
    expect(page.results[0]).toMatchObject({ span_id: 'exec-9', external_id: null });
  });

  it('names a wrongly typed parent_context field', async () => {
    const predict = await startServer();
    const client = createClient({ apiKey: KEY, baseUrl: predict.url, retry: { maxRetries: 0 } });
    onCleanup(() => client.close());
    predict.reply(
      json(200, {
        count: 1,
        results: [{ span_id: 'e', parent_context: { type: 'WORKFLOW_RELEASE_TAG', external_id: 7 } }],
      }),
    );
    await expect(client.listExecutionEvents(DEPLOYMENT_ID, {})).rejects.toThrow(
      'answered 200 with an unexpected body: results[0].parent_context.external_id: expected a string or null, got number',
    );
  });
});
