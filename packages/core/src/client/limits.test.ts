import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  fakeClock,
  json,
  KEY,
  onCleanup,
  startServer,
  until,
  type Handler,
} from '../../test/helpers/loopback.js';
import { statusAnswer } from '../../test/helpers/vellum-shapes.js';
import { ResponseTooLargeError, ServerError, SubmitOutcomeUnknownError, TimeoutError } from '../errors.js';
import { createClient } from './index.js';
import { DEFAULT_MAX_RESPONSE_BYTES } from './options.js';
import type { ClientOptions } from './options.js';

function client(url: string, options: Partial<ClientOptions> = {}) {
  const c = createClient({
    apiKey: KEY,
    baseUrl: url,
    clock: fakeClock(),
    retry: { maxRetries: 0 },
    ...options,
  });
  onCleanup(() => c.close());
  return c;
}

/** A 200 whose JSON body is padded to `bytes`, sent in 64 KiB chunks, with or without a content-length. */
function big(bytes: number, declareLength: boolean): Handler {
  return (_req, res) => {
    const head = '{"execution_id":"e1","status":"FULFILLED","outputs":{"pad":"';
    const tail = '"}}';
    const body = head + 'x'.repeat(bytes - head.length - tail.length) + tail;
    res.writeHead(200, {
      'content-type': 'application/json',
      ...(declareLength ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
    });
    for (let i = 0; i < body.length; i += 65536) res.write(body.slice(i, i + 65536));
    res.end();
  };
}

describe('size cap', () => {
  it('is 4 MiB by default', () => {
    expect(DEFAULT_MAX_RESPONSE_BYTES).toBe(4 * 1024 * 1024);
  });

  it.each([true, false])(
    'refuses a status answer over maxResponseBytes (content-length declared: %s), naming the request and the cap',
    async (declared) => {
      const server = (await startServer()).reply(big(300_000, declared));
      const error = await client(server.url, { maxResponseBytes: 100_000 })
        .getExecutionStatus('e1')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ResponseTooLargeError);
      expect((error as Error).message).toBe(
        'GET /v1/workflows/executions/e1/status answered 200 with more than 100000 bytes, the limit (maxResponseBytes); the rest was not read.',
      );
      expect(error).toMatchObject({ code: 'response_too_large', limitBytes: 100_000 });
    },
  );

  it('does not retry a read answered over the cap (the same read gets as many bytes again)', async () => {
    let answered = 0;
    const server = (await startServer()).reply((req, res, body) => {
      answered += 1;
      big(300_000, true)(req, res, body);
    });
    const error = await client(server.url, { maxResponseBytes: 100_000, retry: { maxRetries: 3 } })
      .getExecutionStatus('e1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect(answered).toBe(1);
  });

  it('reads an answer just under the cap', async () => {
    const server = (await startServer()).reply(big(100_000, false));
    await expect(
      client(server.url, { maxResponseBytes: 100_000 }).getExecutionStatus('e1'),
    ).resolves.toMatchObject({
      status: 'FULFILLED',
    });
  });

  it('makes a submit answered with too many bytes an unknown outcome (the execution may exist)', async () => {
    const server = (await startServer()).reply(big(300_000, false));
    const error = await client(server.url, { maxResponseBytes: 1000 })
      .executeWorkflowAsync({ inputs: [], workflowDeploymentName: 'bot', externalId: 'vb-1' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SubmitOutcomeUnknownError);
    expect((error as Error).cause).toBeInstanceOf(ResponseTooLargeError);
  });

  it('keeps a huge error answer a ServerError with its start as detail', async () => {
    const server = (await startServer()).reply((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('y'.repeat(1_000_000));
    });
    const error = await client(server.url)
      .getExecutionStatus('e1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect((error as ServerError).detail).toBe(`${'y'.repeat(500)}…`);
  });
});

describe('total deadline', () => {
  it('trips on a body trickled a byte at a time, however short each gap', async () => {
    let timer: NodeJS.Timeout | undefined;
    const server = (await startServer()).reply((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{');
      timer = setInterval(() => res.write(' '), 10);
      res.on('close', () => clearInterval(timer));
    });
    onCleanup(() => Promise.resolve(clearInterval(timer)));
    const error = await client(server.url, { requestTimeoutMs: 300 })
      .getExecutionStatus('e1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toBe(
      'GET /v1/workflows/executions/e1/status got no complete answer within 300 ms.',
    );
  });
});

describe('caller signal', () => {
  it('adds one abort listener per signal, not one per request', async () => {
    const held: (() => void)[] = [];
    const server = await startServer((req, res) =>
      held.push(() => json(200, statusAnswer('e1'))(req, res, '')),
    );
    const c = client(server.url);
    const controller = new AbortController();
    const all = Promise.all(
      Array.from({ length: 20 }, (_, i) => c.getExecutionStatus(`e${i}`, { signal: controller.signal })),
    );
    await until(() => server.seen.length === 20);
    // Twenty requests in flight under one signal.
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    for (const answer of held) answer();
    await expect(all).resolves.toHaveLength(20);
  });

  it('aborts every request in flight under the signal with its reason', async () => {
    const server = await startServer(() => undefined);
    const c = client(server.url);
    const controller = new AbortController();
    const pending = Array.from({ length: 3 }, (_, i) =>
      c.getExecutionStatus(`e${i}`, { signal: controller.signal }).catch((e: unknown) => e),
    );
    await until(() => server.seen.length === 3);
    controller.abort();
    const errors = await Promise.all(pending);
    expect(errors.every((e) => e === controller.signal.reason)).toBe(true);
  });
});
