import { Agent, MockAgent } from 'undici';
import { describe, expect, it } from 'vitest';
import { fakeClock, json, KEY, NOW, onCleanup, startServer, text } from '../test/helpers/loopback.js';
import {
  createClient,
  ExternalIdConflictError,
  SubmitOutcomeUnknownError,
  submitMayHaveStarted,
  type ClientOptions,
  type RetryInfo,
  type VellumClient,
} from './client.js';
import {
  ApiError,
  AuthenticationError,
  BadRequestError,
  ConfigError,
  ConnectionError,
  NotFoundError,
  RateLimitError,
  ResponseValidationError,
  ServerError,
  TimeoutError,
} from './errors.js';

function client(baseUrl: string, options: Partial<ClientOptions> = {}): VellumClient {
  const c = createClient({ apiKey: KEY, baseUrl, clock: fakeClock(), ...options });
  onCleanup(() => c.close());
  return c;
}

const statusBody = { execution_id: 'e1', status: 'FULFILLED', outputs: { answer: 'hi' }, error: null };
const submitReq = {
  inputs: [{ name: 'q', type: 'STRING', value: 'hi' }],
  workflowDeploymentName: 'demo',
} as const;

describe('request shape', () => {
  it('sends a submit with the documented path, headers and body keys', async () => {
    const server = (await startServer()).reply(json(200, { execution_id: 'exec-1' }));
    const c = client(server.url);
    const res = await c.executeWorkflowAsync({
      ...submitReq,
      releaseTag: 'LATEST',
      externalId: 'vb-1',
      metadata: { owner: 'support' },
    });
    expect(res).toEqual({ execution_id: 'exec-1' });
    const [req] = server.seen;
    expect(req!.method).toBe('POST');
    expect(req!.url).toBe('/v1/execute-workflow-async');
    expect(req!.headers['x-api-key']).toBe(KEY);
    expect(req!.headers['x-api-version']).toBe('2025-07-30');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['accept']).toBe('application/json');
    expect(req!.headers['user-agent']).toBe('vellum-batch/0.1.0');
    expect(JSON.parse(req!.body)).toEqual({
      inputs: [{ name: 'q', type: 'STRING', value: 'hi' }],
      workflow_deployment_name: 'demo',
      release_tag: 'LATEST',
      external_id: 'vb-1',
      metadata: { owner: 'support' },
    });
  });

  it('omits absent keys and sends a deployment id', async () => {
    const server = (await startServer()).reply(json(200, { execution_id: 'exec-1' }));
    await client(server.url, { apiVersion: '2024-01-01' }).executeWorkflowAsync({
      inputs: [],
      workflowDeploymentId: 'dep-1',
    });
    expect(Object.keys(JSON.parse(server.seen[0]!.body) as object).sort()).toEqual([
      'inputs',
      'workflow_deployment_id',
    ]);
    expect(server.seen[0]!.headers['x-api-version']).toBe('2024-01-01');
  });

  it('joins a base URL with a path prefix and a trailing slash', async () => {
    const server = (await startServer()).reply(json(200, statusBody));
    await client(`${server.url}/proxy/vellum/`).getExecutionStatus('e1');
    expect(server.seen[0]!.url).toBe('/proxy/vellum/v1/workflows/executions/e1/status');
  });

  it('encodes the execution id and sends no body on GET', async () => {
    const server = (await startServer()).reply(json(200, statusBody));
    await client(server.url).getExecutionStatus('a/b c');
    expect(server.seen[0]!.method).toBe('GET');
    expect(server.seen[0]!.url).toBe('/v1/workflows/executions/a%2Fb%20c/status');
    expect(server.seen[0]!.body).toBe('');
    expect(server.seen[0]!.headers['x-api-key']).toBe(KEY);
  });

  it('refuses a submit naming both or neither deployment, sending nothing', async () => {
    const server = await startServer();
    const c = client(server.url);
    await expect(c.executeWorkflowAsync({ inputs: [] })).rejects.toBeInstanceOf(ConfigError);
    await expect(
      c.executeWorkflowAsync({ inputs: [], workflowDeploymentId: 'a', workflowDeploymentName: 'b' }),
    ).rejects.toThrow('exactly one');
    expect(server.seen).toHaveLength(0);
  });
});

describe('status responses', () => {
  it('fills absent outputs, error and url, and keeps unknown status strings', async () => {
    const server = (await startServer()).reply(
      json(200, { execution_id: 'e1', status: 'PAUSED', outputs: null, future_field: true }),
    );
    const res = await client(server.url).getExecutionStatus('e1');
    expect(res).toEqual({
      execution_id: 'e1',
      status: 'PAUSED',
      outputs: {},
      error: null,
      execution_detail_url: null,
    });
  });

  it('keeps a rejected execution error, tolerating a null code', async () => {
    const server = (await startServer()).reply(
      json(200, {
        execution_id: 'e1',
        status: 'REJECTED',
        outputs: {},
        error: { message: 'node failed', code: null },
        execution_detail_url: 'https://app/e1',
      }),
    );
    const res = await client(server.url).getExecutionStatus('e1');
    expect(res.error).toEqual({ message: 'node failed', code: 'UNKNOWN' });
    expect(res.execution_detail_url).toBe('https://app/e1');
  });

  it('retries a status answer that does not parse a bounded number of times, then names the endpoint and field', async () => {
    const bad = json(200, { execution_id: 42, status: 'FULFILLED' });
    const server = (await startServer()).reply(bad, bad, bad);
    const retries: RetryInfo[] = [];
    const error = await client(server.url, {
      retry: { maxRetries: 2 },
      onRetry: (info) => retries.push(info),
    })
      .getExecutionStatus('e1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseValidationError);
    expect((error as Error).message).toBe(
      'GET /v1/workflows/executions/e1/status answered 200 with an unexpected body: execution_id: expected a non-empty string, got number',
    );
    expect(server.seen).toHaveLength(3);
    expect(retries.map((r) => r.attempt)).toEqual([1, 2]);
  });

  it('retries a status answered with a redirect, then says it is a redirect', async () => {
    const redirect = text(302, '', { location: 'https://elsewhere.example/' });
    const server = (await startServer()).reply(redirect, redirect, json(200, statusBody));
    const c = client(server.url, { retry: { maxRetries: 2 } });
    await expect(c.getExecutionStatus('e1')).resolves.toMatchObject({ status: 'FULFILLED' });
    const again = (await startServer()).reply(redirect, redirect);
    const error = await client(again.url, { retry: { maxRetries: 1 } })
      .getExecutionStatus('e1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseValidationError);
    expect((error as Error).message).toBe(
      'GET /v1/workflows/executions/e1/status answered 302, a redirect, which the client does not follow (is the base URL right?).',
    );
  });

  it('names a nested field of the events page', async () => {
    const server = (await startServer()).reply(
      json(200, { count: 2, results: [{ span_id: 'a' }, { external_id: 'x' }] }),
    );
    await expect(
      client(server.url, { retry: { maxRetries: 0 } }).listExecutionEvents('d', {}),
    ).rejects.toThrow('results[1].span_id: expected a non-empty string, got undefined');
  });

  it('rejects an empty execution id on submit', async () => {
    const server = (await startServer()).reply(json(200, { execution_id: '' }));
    await expect(client(server.url).executeWorkflowAsync({ ...submitReq, externalId: 'x' })).rejects.toThrow(
      /POST \/v1\/execute-workflow-async answered 200 with an unexpected body: execution_id/,
    );
  });

  it('turns a non-JSON 2xx into a ResponseValidationError', async () => {
    const server = (await startServer()).reply(text(200, '<html>proxy</html>'));
    const error = await client(server.url, { retry: { maxRetries: 0 } })
      .getExecutionStatus('e1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseValidationError);
    expect((error as Error).message).toBe(
      'GET /v1/workflows/executions/e1/status answered 200 with a body that is not JSON.',
    );
  });
});

describe('errors by status', () => {
  it.each([
    [400, BadRequestError, 'bad_request'],
    [401, AuthenticationError, 'authentication'],
    [403, AuthenticationError, 'authentication'],
    [404, NotFoundError, 'not_found'],
    [418, ApiError, 'http_418'],
  ] as const)('maps %i to %o with the detail in the message', async (status, cls, code) => {
    const server = (await startServer()).reply(json(status, { detail: 'something is wrong' }));
    const error = await client(server.url)
      .getExecutionStatus('e1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(cls);
    expect(error).toMatchObject({ code, status, detail: 'something is wrong' });
    expect((error as Error).message).toBe(
      `GET /v1/workflows/executions/e1/status answered ${status}: something is wrong`,
    );
    expect(server.seen).toHaveLength(1);
  });

  it('stringifies a non-string detail and truncates a raw body to 500 characters', async () => {
    const server = (await startServer()).reply(
      json(400, { detail: [{ loc: ['inputs'], msg: 'required' }] }),
      text(404, 'x'.repeat(2000)),
    );
    const c = client(server.url);
    await expect(c.getExecutionStatus('e1')).rejects.toMatchObject({
      detail: '[{"loc":["inputs"],"msg":"required"}]',
    });
    const error = (await c.getExecutionStatus('e1').catch((e: unknown) => e)) as NotFoundError;
    expect(error.detail).toBe(`${'x'.repeat(500)}…`);
  });

  it('uses the status text when the error body is empty', async () => {
    const server = (await startServer()).reply(text(404, ''));
    await expect(client(server.url).getExecutionStatus('e1')).rejects.toThrow(
      'GET /v1/workflows/executions/e1/status answered 404: Not Found',
    );
  });

  it('redacts the API key from a detail that echoes it', async () => {
    const server = (await startServer()).reply(json(403, { detail: `Invalid API key ${KEY}` }));
    const error = (await client(server.url)
      .getExecutionStatus('e1')
      .catch((e: unknown) => e)) as AuthenticationError;
    expect(error.message).toBe('GET /v1/workflows/executions/e1/status answered 403: Invalid API key ***');
    expect(error.detail).not.toContain(KEY);
    expect(JSON.stringify(error)).not.toContain(KEY);
  });

  it('turns a 400 about the external id into an ExternalIdConflictError, not retried', async () => {
    const server = (await startServer()).reply(
      json(400, { detail: 'A workflow execution with external_id vb-1 already exists.' }),
    );
    const c = client(server.url);
    const error = await c.executeWorkflowAsync({ ...submitReq, externalId: 'vb-1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalIdConflictError);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ code: 'EXTERNAL_ID_CONFLICT', externalId: 'vb-1', status: 400 });
    expect((error as Error).name).toBe('ExternalIdConflictError');
    expect(submitMayHaveStarted(error)).toBe(true);
    expect(c.stats.submit).toBe(1);
  });

  it('keeps other 400s on submit as BadRequestError', async () => {
    const server = (await startServer()).reply(json(400, { detail: 'Input q is required' }));
    const error = await client(server.url)
      .executeWorkflowAsync({ ...submitReq, externalId: 'vb-1' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).not.toBeInstanceOf(ExternalIdConflictError);
    expect(error).toMatchObject({ code: 'bad_request' });
  });
});

describe('retries', () => {
  it('honours Retry-After on a 429 and reports the retry', async () => {
    const server = (await startServer()).reply(
      json(429, { detail: 'slow down' }, { 'retry-after': '3' }),
      json(200, statusBody),
    );
    const clock = fakeClock();
    const retries: RetryInfo[] = [];
    const c = client(server.url, { clock, onRetry: (info) => retries.push(info) });
    await expect(c.getExecutionStatus('e1')).resolves.toMatchObject({ status: 'FULFILLED' });
    expect(clock.sleeps).toEqual([3000]);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ operation: 'status', attempt: 1, delayMs: 3000, rateLimited: true });
    expect(retries[0]!.error).toBeInstanceOf(RateLimitError);
    expect((retries[0]!.error as RateLimitError).retryAfterMs).toBe(3000);
    expect(c.stats).toEqual({ submit: 0, status: 2, events: 0, deployments: 0, retries: 1, rateLimited: 1 });
  });

  it('caps a long Retry-After date', async () => {
    const server = (await startServer()).reply(
      json(429, { detail: 'quota' }, { 'retry-after': new Date(NOW + 600_000).toUTCString() }),
      json(200, statusBody),
    );
    const clock = fakeClock();
    await client(server.url, { clock, retry: { maxRetryAfterMs: 5000 } }).getExecutionStatus('e1');
    expect(clock.sleeps).toEqual([5000]);
  });

  it('backs off exponentially with full jitter', async () => {
    const server = (await startServer()).reply(
      text(503, 'down'),
      text(502, 'down'),
      json(500, { detail: 'down' }),
      json(200, statusBody),
    );
    const clock = fakeClock(0.5);
    const c = client(server.url, { clock, retry: { baseDelayMs: 100 } });
    await c.getExecutionStatus('e1');
    expect(clock.sleeps).toEqual([50, 100, 200]);
    expect(c.stats.retries).toBe(3);
  });

  it('throws the last error once retries are exhausted', async () => {
    const server = (await startServer()).reply(text(500, 'first'), text(502, 'second'), text(503, 'third'));
    const c = client(server.url, { retry: { maxRetries: 2 } });
    const error = await c.getExecutionStatus('e1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect((error as Error).message).toBe('GET /v1/workflows/executions/e1/status answered 503: third');
    expect(c.stats).toEqual({ submit: 0, status: 3, events: 0, deployments: 0, retries: 2, rateLimited: 0 });
  });

  it('never resends a submit answered 500: its outcome is unknown (it may have started)', async () => {
    const server = (await startServer()).reply(text(500, 'boom'), json(200, { execution_id: 'e1' }));
    const c = client(server.url);
    const error = await c.executeWorkflowAsync({ ...submitReq, externalId: 'vb-1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SubmitOutcomeUnknownError);
    expect(error).toMatchObject({ code: 'SUBMIT_OUTCOME_UNKNOWN', externalId: 'vb-1' });
    expect((error as Error).message).toBe(
      'The submit with external id vb-1 may have started an execution, but no usable answer came back: POST /v1/execute-workflow-async answered 500: boom',
    );
    expect((error as Error).cause).toBeInstanceOf(ServerError);
    expect(submitMayHaveStarted(error)).toBe(true);
    expect(server.seen).toHaveLength(1);
    expect(c.stats).toMatchObject({ submit: 1, retries: 0 });
  });

  it('says an unknown outcome without an external id too', async () => {
    const server = (await startServer()).reply(text(503, 'down'));
    const error = await client(server.url)
      .executeWorkflowAsync(submitReq)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SUBMIT_OUTCOME_UNKNOWN', externalId: null });
    expect(server.seen).toHaveLength(1);
  });

  it('retries a submit without an external id after a 429', async () => {
    const server = (await startServer()).reply(text(429, 'later'), json(200, { execution_id: 'e1' }));
    const c = client(server.url);
    await expect(c.executeWorkflowAsync(submitReq)).resolves.toEqual({ execution_id: 'e1' });
    expect(c.stats).toMatchObject({ submit: 2, retries: 1 });
  });

  it('does not retry 4xx other than 429', async () => {
    const server = (await startServer()).reply(json(403, { detail: 'bad key' }), json(200, statusBody));
    const c = client(server.url);
    await expect(c.getExecutionStatus('e1')).rejects.toBeInstanceOf(AuthenticationError);
    expect(c.stats.status).toBe(1);
  });
});

describe('network faults', () => {
  async function closedPort(): Promise<string> {
    const server = await startServer();
    await server.close();
    return server.url;
  }

  it('turns connection refused into a ConnectionError after retries', async () => {
    const clock = fakeClock();
    const c = client(await closedPort(), { clock, retry: { maxRetries: 2 } });
    const error = await c.getExecutionStatus('e1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(
      /^GET \/v1\/workflows\/executions\/e1\/status failed on the network: .*ECONNREFUSED/,
    );
    expect((error as ConnectionError).cause).toBeDefined();
    expect(clock.sleeps).toHaveLength(2);
    expect(c.stats).toMatchObject({ status: 3, retries: 2 });
  });

  it('retries a submit without an external id when the connection is refused', async () => {
    const c = client(await closedPort(), { retry: { maxRetries: 1 } });
    await expect(c.executeWorkflowAsync(submitReq)).rejects.toBeInstanceOf(ConnectionError);
    expect(c.stats).toMatchObject({ submit: 2, retries: 1 });
  });

  it('turns a socket destroyed mid-response into a retried ConnectionError', async () => {
    const server = (await startServer()).reply(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"execution_id":');
        setImmediate(() => res.socket?.destroy());
      },
      json(200, statusBody),
    );
    const retries: RetryInfo[] = [];
    const c = client(server.url, { onRetry: (info) => retries.push(info) });
    await expect(c.getExecutionStatus('e1')).resolves.toMatchObject({ execution_id: 'e1' });
    expect(retries).toHaveLength(1);
    expect(retries[0]!.error).toBeInstanceOf(ConnectionError);
    expect(c.stats).toMatchObject({ status: 2, retries: 1 });
  });

  it('never resends a submit whose socket was reset after sending', async () => {
    const server = (await startServer()).reply(
      (req) => req.socket.destroy(),
      json(200, { execution_id: 'e1' }),
    );
    const c = client(server.url);
    const error = await c.executeWorkflowAsync(submitReq).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SubmitOutcomeUnknownError);
    expect((error as Error).cause).toBeInstanceOf(ConnectionError);
    expect(server.seen).toHaveLength(1);
  });

  it('turns a request that gets no answer into a TimeoutError', async () => {
    const server = (await startServer()).reply(() => undefined);
    const c = client(server.url, { requestTimeoutMs: 100, retry: { maxRetries: 0 } });
    const error = await c.getExecutionStatus('e1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toContain(
      'GET /v1/workflows/executions/e1/status got no complete answer within 100 ms.',
    );
  });

  it('rejects with the caller signal reason at once, without retrying', async () => {
    const server = (await startServer()).reply(() => undefined);
    const controller = new AbortController();
    const c = client(server.url);
    const pending = c.executeWorkflowAsync(
      { ...submitReq, externalId: 'vb-1' },
      { signal: controller.signal },
    );
    while (server.seen.length === 0) await new Promise((r) => setImmediate(r));
    controller.abort();
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBe(controller.signal.reason);
    expect((error as Error).name).toBe('AbortError');
    expect(c.stats).toMatchObject({ submit: 1, retries: 0 });
  });

  it('stops during a retry sleep when the caller aborts', async () => {
    const server = (await startServer()).reply(text(503, 'down'), json(200, statusBody));
    const controller = new AbortController();
    const c = client(server.url, { onRetry: () => controller.abort() });
    await expect(c.getExecutionStatus('e1', { signal: controller.signal })).rejects.toThrow(/aborted/);
    expect(server.seen).toHaveLength(1);
  });

  it('sends nothing when the signal is already aborted', async () => {
    const server = await startServer();
    const c = client(server.url);
    await expect(c.getExecutionStatus('e1', { signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(c.stats.status).toBe(0);
  });
});

describe('connections', () => {
  // undici frees a pool connection a moment after the body ends, so a request sent in that very tick would open a
  // second one; real callers (and these tests) send the next request at least one event-loop turn later.
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

  it('reuses one keep-alive connection for sequential requests', async () => {
    const server = await startServer();
    for (let i = 0; i < 20; i++) server.reply(json(200, { ...statusBody, execution_id: `e${i}` }));
    const c = client(server.url);
    for (let i = 0; i < 20; i++) {
      expect((await c.getExecutionStatus(`e${i}`)).execution_id).toBe(`e${i}`);
      await nextTurn();
    }
    expect(server.connections).toBe(1);
    expect(c.stats.status).toBe(20);
  });

  it('reuses the connection after error answers too', async () => {
    const server = (await startServer()).reply(
      json(404, { detail: 'no' }),
      json(400, { detail: 'bad' }),
      json(200, statusBody),
    );
    const c = client(server.url);
    await expect(c.getExecutionStatus('e1')).rejects.toBeInstanceOf(NotFoundError);
    await nextTurn();
    await expect(c.getExecutionStatus('e1')).rejects.toBeInstanceOf(BadRequestError);
    await nextTurn();
    await c.getExecutionStatus('e1');
    expect(server.connections).toBe(1);
  });

  it('sends through a given dispatcher and leaves it open on close', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    onCleanup(() => agent.close());
    const mock = agent.get('https://vellum.example');
    mock
      .intercept({ path: '/v1/workflows/executions/e9/status', method: 'GET', headers: { 'x-api-key': KEY } })
      .reply(200, { ...statusBody, execution_id: 'e9' });
    mock.intercept({ path: '/after-close', method: 'GET' }).reply(204, '');
    const c = createClient({ apiKey: KEY, baseUrl: 'https://vellum.example', dispatcher: agent });
    await expect(c.getExecutionStatus('e9')).resolves.toMatchObject({ execution_id: 'e9' });
    await c.close();
    const after = await agent.request({
      origin: 'https://vellum.example',
      path: '/after-close',
      method: 'GET',
    });
    await after.body.dump();
    expect(after.statusCode).toBe(204);
    agent.assertNoPendingInterceptors();
  });

  it('works through a real undici Agent', async () => {
    const server = (await startServer()).reply(json(200, statusBody));
    const agent = new Agent();
    onCleanup(() => agent.close());
    const c = client(server.url, { dispatcher: agent });
    await expect(c.getExecutionStatus('e1')).resolves.toMatchObject({ status: 'FULFILLED' });
    expect(server.seen).toHaveLength(1);
  });

  it('rejects calls after close', async () => {
    const server = await startServer();
    const c = client(server.url);
    await c.close();
    await expect(c.getExecutionStatus('e1')).rejects.toThrow('the client is closed');
    expect(server.seen).toHaveLength(0);
  });
});

describe('createClient', () => {
  it.each([
    [{ apiKey: '' }, 'API key is empty'],
    [{ apiKey: KEY, baseUrl: 'not a url' }, 'not a valid URL'],
    [{ apiKey: KEY, baseUrl: 'ftp://x' }, 'http or https'],
    [{ apiKey: KEY, connections: 0 }, 'connections must be an integer >= 1'],
    [{ apiKey: KEY, retry: { maxRetries: -1 } }, 'retry.maxRetries'],
  ])('refuses bad options: %j', (options, message) => {
    expect(() => createClient(options)).toThrow(ConfigError);
    expect(() => createClient(options)).toThrow(message);
  });

  it('starts with zero stats and returns snapshots', async () => {
    const server = (await startServer()).reply(
      json(200, { execution_id: 'e1' }),
      json(200, statusBody),
      json(200, { count: 0, results: [] }),
    );
    const c = client(server.url);
    const before = c.stats;
    await c.executeWorkflowAsync({ ...submitReq, externalId: 'x' });
    await c.getExecutionStatus('e1');
    await c.listExecutionEvents('demo', {});
    expect(before).toEqual({ submit: 0, status: 0, events: 0, deployments: 0, retries: 0, rateLimited: 0 });
    expect(c.stats).toEqual({ submit: 1, status: 1, events: 1, deployments: 0, retries: 0, rateLimited: 0 });
    expect(server.seen[2]!.url).toBe('/v1/workflow-deployments/demo/execution-events');
  });
});
