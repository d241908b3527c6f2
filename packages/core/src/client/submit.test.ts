import { Pool } from 'undici';
import { describe, expect, it } from 'vitest';
import {
  fakeClock,
  json,
  KEY,
  onCleanup,
  startServer,
  text,
  type Handler,
} from '../../test/helpers/loopback.js';
import { submitAnswer } from '../../test/helpers/vellum-shapes.js';
import {
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  ExternalIdConflictError,
  RateLimitError,
  ResponseValidationError,
  ServerError,
  SubmitOutcomeUnknownError,
  TimeoutError,
  submitMayHaveStarted,
} from '../errors.js';
import { createClient } from './index.js';
import type { ClientOptions } from './options.js';
import type { RetryInfo } from './types.js';

const req = { inputs: [], workflowDeploymentName: 'bot', externalId: 'vb-1' } as const;

function client(url: string, options: Partial<ClientOptions> = {}) {
  const c = createClient({ apiKey: KEY, baseUrl: url, clock: fakeClock(), ...options });
  onCleanup(() => c.close());
  return c;
}

describe('a submit is resent only when nothing can have been started', () => {
  it.each<[string, Handler, new (...args: never[]) => Error]>([
    ['a 5xx', text(502, 'bad gateway'), ServerError],
    ['a 2xx without execution_id', json(200, { id: 'e1' }), ResponseValidationError],
    ['a 2xx that is not JSON', text(200, '{"execution_id": "e'), ResponseValidationError],
    ['a redirect', text(307, '', { location: 'http://127.0.0.1:1/' }), ResponseValidationError],
    ['a reset after sending', (r) => r.socket.destroy(), ConnectionError],
  ])('%s is an unknown outcome, thrown at once with its cause', async (_label, handler, cause) => {
    const server = (await startServer()).reply(handler, json(200, submitAnswer('e2')));
    const c = client(server.url);
    const error = await c.executeWorkflowAsync(req).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SubmitOutcomeUnknownError);
    expect(error).toMatchObject({ code: 'SUBMIT_OUTCOME_UNKNOWN', externalId: 'vb-1' });
    expect((error as Error).cause).toBeInstanceOf(cause);
    expect((error as Error).message).toMatch(
      /^The submit with external id vb-1 may have started an execution, but no usable answer came back: POST \/v1\/execute-workflow-async /,
    );
    expect(server.seen).toHaveLength(1);
  });

  it('a timeout after sending is an unknown outcome', async () => {
    const server = (await startServer()).reply(() => undefined);
    const error = await client(server.url, { requestTimeoutMs: 100 })
      .executeWorkflowAsync(req)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SubmitOutcomeUnknownError);
    expect((error as Error).cause).toBeInstanceOf(TimeoutError);
    expect(server.seen).toHaveLength(1);
  });

  it('a connection refused is resent under maxRetries, then thrown as it is (nothing was started)', async () => {
    const server = await startServer();
    await server.close();
    const retries: RetryInfo[] = [];
    const c = client(server.url, { retry: { maxRetries: 2 }, onRetry: (info) => retries.push(info) });
    const error = await c.executeWorkflowAsync(req).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(submitMayHaveStarted(error)).toBe(false);
    expect(retries.map((r) => r.attempt)).toEqual([1, 2]);
    expect(c.stats).toMatchObject({ submit: 3, retries: 2 });
  });

  it('a deadline that comes while the submit still waits for a connection is not an unknown outcome', async () => {
    const server = await startServer(() => undefined);
    // One connection, shared: a slow client holds it with a status request that gets no answer.
    const pool = new Pool(server.url, { connections: 1 });
    onCleanup(() => pool.destroy());
    const slow = client(server.url, { dispatcher: pool, requestTimeoutMs: 10_000, retry: { maxRetries: 0 } });
    const c = client(server.url, { dispatcher: pool, requestTimeoutMs: 200, retry: { maxRetries: 1 } });
    const hanging = slow.getExecutionStatus('e1').catch((e: unknown) => e);
    while (server.seen.length === 0) await new Promise((resolve) => setImmediate(resolve));
    const error = await c.executeWorkflowAsync(req).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(submitMayHaveStarted(error)).toBe(false);
    // Only the status request ever reached the server; the submit was tried twice while it waited.
    expect(server.seen.map((s) => s.method)).toEqual(['GET']);
    expect(c.stats.submit).toBe(2);
    await server.close();
    await hanging;
  });

  it('never shows the key in an unknown outcome', async () => {
    const server = (await startServer()).reply(json(502, { detail: `upstream rejected key ${KEY}` }));
    const error = await client(server.url)
      .executeWorkflowAsync(req)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SubmitOutcomeUnknownError);
    expect((error as Error).message).toContain('upstream rejected key ***');
    expect(
      JSON.stringify({ message: (error as Error).message, cause: String((error as Error).cause) }),
    ).not.toContain(KEY);
  });

  it('a 400 naming the external id is an ExternalIdConflictError (reading a), other refusals stay as they are', async () => {
    const server = (await startServer()).reply(
      json(400, { detail: 'Workflow execution with external_id vb-1 already exists' }),
      json(403, { detail: 'Invalid API key' }),
      json(400, { detail: 'Input q is required' }),
    );
    const c = client(server.url);
    const conflict = await c.executeWorkflowAsync(req).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(ExternalIdConflictError);
    expect(conflict).toMatchObject({ code: 'EXTERNAL_ID_CONFLICT', externalId: 'vb-1' });
    const auth = await c.executeWorkflowAsync(req).catch((e: unknown) => e);
    expect(auth).toBeInstanceOf(AuthenticationError);
    const bad = await c.executeWorkflowAsync(req).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(BadRequestError);
    expect(bad).not.toBeInstanceOf(ExternalIdConflictError);
    expect([conflict, auth, bad].map(submitMayHaveStarted)).toEqual([true, false, false]);
    expect(server.seen).toHaveLength(3);
  });

  it('a 200 naming an execution is returned as it is (reading b: the caller checks ids it already holds)', async () => {
    const server = (await startServer()).reply(json(200, submitAnswer('exec-existing')));
    await expect(client(server.url).executeWorkflowAsync(req)).resolves.toEqual({
      execution_id: 'exec-existing',
    });
  });
});

describe('rate limits', () => {
  it('retries 429s far past maxRetries, telling onRetry each one with a 1-based attempt', async () => {
    const server = await startServer();
    for (let i = 0; i < 8; i++) server.reply(json(429, { detail: 'slow down' }, { 'retry-after': '2' }));
    server.reply(json(200, submitAnswer('e1')));
    const clock = fakeClock();
    const retries: RetryInfo[] = [];
    const c = client(server.url, { clock, retry: { maxRetries: 1 }, onRetry: (info) => retries.push(info) });
    await expect(c.executeWorkflowAsync(req)).resolves.toEqual({ execution_id: 'e1' });
    expect(retries.map((r) => r.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(
      retries.every((r) => r.rateLimited && r.error instanceof RateLimitError && r.operation === 'submit'),
    ).toBe(true);
    expect(clock.sleeps).toEqual(Array.from({ length: 8 }, () => 2000));
    expect(c.stats).toMatchObject({ submit: 9, retries: 8, rateLimited: 8 });
  });

  it('throws the last 429 once the request has waited its rateLimitBudgetMs', async () => {
    const server = await startServer(json(429, { detail: 'slow down' }, { 'retry-after': '4' }));
    const clock = fakeClock();
    const c = client(server.url, { clock, retry: { rateLimitBudgetMs: 10_000 } });
    const error = await c.executeWorkflowAsync(req).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as Error).message).toBe('POST /v1/execute-workflow-async answered 429: slow down');
    expect(clock.sleeps).toEqual([4000, 4000, 2000]);
    expect(server.seen).toHaveLength(4);
  });

  it('keeps the normal budget for other failures of the same request', async () => {
    const server = (await startServer()).reply(
      json(429, { detail: 'slow down' }),
      text(503, 'down'),
      json(429, { detail: 'slow down' }),
      text(503, 'down'),
    );
    const retries: RetryInfo[] = [];
    const c = client(server.url, { retry: { maxRetries: 1 }, onRetry: (info) => retries.push(info) });
    await expect(c.getExecutionStatus('e1')).rejects.toBeInstanceOf(ServerError);
    expect(retries.map((r) => [r.attempt, r.rateLimited])).toEqual([
      [1, true],
      [2, false],
      [3, true],
    ]);
  });
});
