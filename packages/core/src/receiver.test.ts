import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { deepChain, deploymentContext, fulfilledEvent } from '../test/envelopes.js';
import type { Completion } from './engine/completions.js';
import { ConfigError } from './errors.js';
import { createWebhookHandler, startWebhookServer } from './receiver.js';
import type { WebhookServer, WebhookServerOptions } from './receiver.js';
import type { WebhookRefusalNotice } from './webhook-stats.js';
import { signWebhook } from './webhook.js';

const TOKEN = 'tok_receiver_7c1e';
const SECRET = 'hmac_receiver_3b9d';
const PUBLIC_URL = 'https://ci.example.com/vellum/webhook';
const NOW = 1_800_000_000_000;
const T = NOW / 1000;

let server: WebhookServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

interface Started {
  readonly server: WebhookServer;
  readonly heard: Completion[];
  readonly refusals: WebhookRefusalNotice[];
  readonly misrouted: [string, number][];
}

async function start(options: Partial<WebhookServerOptions>): Promise<Started> {
  const refusals: WebhookRefusalNotice[] = [];
  const misrouted: [string, number][] = [];
  server = await startWebhookServer({
    path: '/vellum/webhook',
    now: () => NOW,
    onRefused: (notice) => refusals.push(notice),
    onMisrouted: (path, count) => misrouted.push([path, count]),
    ...options,
  });
  const heard: Completion[] = [];
  server.subscribe((completion) => heard.push(completion));
  return { server, heard, refusals, misrouted };
}

/** POSTs with node:http, so the Host header can be forged. */
function post(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; detail: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, detail: (JSON.parse(text) as { detail: string }).detail }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function signature(body: string, options: { url?: string; timestamp?: number; secret?: string } = {}) {
  const timestamp = options.timestamp ?? T;
  return {
    'x-vellum-timestamp': String(timestamp),
    'x-vellum-signature': signWebhook({
      secret: options.secret ?? SECRET,
      method: 'POST',
      url: options.url ?? PUBLIC_URL,
      rawBody: body,
      timestamp,
    }),
  };
}

const bearer = (token = TOKEN) => ({ authorization: `Bearer ${token}` });

describe('the receiver configuration', () => {
  it('needs a token or a secret, neither empty, and a public URL with a secret', () => {
    expect(() => createWebhookHandler({})).toThrow(ConfigError);
    expect(() => createWebhookHandler({})).toThrow(
      "the webhook receiver needs a token (Vellum's Bearer token or API-key header) or an HMAC secret, or both",
    );
    expect(() => createWebhookHandler({ token: ' ' })).toThrow('the webhook token must not be empty');
    expect(() => createWebhookHandler({ secret: SECRET })).toThrow(
      "HMAC signatures cover the URL Vellum posts to: give publicUrl, the URL set in Vellum's Webhook Integration",
    );
    expect(() => createWebhookHandler({ secret: SECRET, publicUrl: 'not a url' })).toThrow(
      'publicUrl: "not a url" is not a URL',
    );
    expect(createWebhookHandler({ token: TOKEN }).stats.received).toBe(0);
  });
});

describe('a receiver with a token', () => {
  it('accepts the bearer token or the API-key header, refuses a wrong or missing token with 401', async () => {
    const { server, heard, refusals } = await start({ token: TOKEN });
    const body = (span: string) => JSON.stringify(fulfilledEvent({ spanId: span }));
    expect(await post(server.url, body('a'), bearer())).toEqual({ status: 202, detail: 'accepted' });
    expect(await post(server.url, body('b'), { 'X-API-Key': TOKEN })).toEqual({
      status: 202,
      detail: 'accepted',
    });
    expect(await post(server.url, body('c'), bearer('wrong'))).toEqual({
      status: 401,
      detail: 'the token does not match',
    });
    expect((await post(server.url, body('d'))).status).toBe(401);
    expect(heard.map((c) => c.executionId)).toEqual(['a', 'b']);
    expect(refusals).toEqual([
      { reason: 'bad_token', message: 'the token does not match', count: 1 },
      {
        reason: 'bad_token',
        message: 'the delivery carries no token (Authorization: Bearer, or X-API-Key)',
        count: 2,
      },
    ]);
    expect(server.stats).toMatchObject({ received: 4, accepted: 2, refused: 2, refusedBy: { bad_token: 2 } });
  });

  it('answers a delivery to another path 404 and counts it as misrouted', async () => {
    const { server, heard, misrouted } = await start({ token: TOKEN });
    const wrong = new URL('/hooks/vellum?x=1', server.url).href;
    expect(await post(wrong, JSON.stringify(fulfilledEvent()), bearer())).toEqual({
      status: 404,
      detail: 'not found: deliveries go to /vellum/webhook',
    });
    expect(misrouted).toEqual([['/hooks/vellum', 1]]);
    expect(heard).toHaveLength(0);
    expect(server.stats).toMatchObject({ received: 1, misrouted: 1, refused: 0 });
  });

  it('refuses an oversized body with 413 (too_large) and a GET with 405 (malformed)', async () => {
    const { server, refusals } = await start({ token: TOKEN, maxBodyBytes: 1000 });
    expect((await post(server.url, 'x'.repeat(5000), bearer())).status).toBe(413);
    expect((await fetch(server.url)).status).toBe(405);
    expect(refusals.map((r) => r.reason)).toEqual(['too_large', 'malformed']);
  });
});

describe('a receiver with an HMAC secret', () => {
  it('checks signatures against the configured public URL, never the Host header', async () => {
    const { server, heard, refusals } = await start({ secret: SECRET, publicUrl: PUBLIC_URL });
    const body = JSON.stringify(fulfilledEvent());
    const forged = await post(server.url, body, {
      host: 'evil.example.com',
      ...signature(body, { url: 'http://evil.example.com/vellum/webhook' }),
    });
    expect(forged).toEqual({ status: 401, detail: 'the signature does not match' });
    expect(heard).toHaveLength(0);
    expect(await post(server.url, body, signature(body))).toEqual({ status: 202, detail: 'accepted' });
    expect(refusals).toEqual([
      { reason: 'bad_signature', message: 'the signature does not match', count: 1 },
    ]);
  });

  it('accepts a signature over the public URL as a URL parser writes it (a bare host gains its slash)', async () => {
    const { server } = await start({ secret: SECRET, publicUrl: 'https://ci.example.com', path: '/' });
    const body = JSON.stringify(fulfilledEvent());
    expect((await post(server.url, body, signature(body, { url: 'https://ci.example.com/' }))).status).toBe(
      202,
    );
  });

  it('refuses a timestamp 61 s old (stale) or 6 s ahead (future)', async () => {
    const { server } = await start({ secret: SECRET, publicUrl: PUBLIC_URL });
    const body = JSON.stringify(fulfilledEvent());
    expect((await post(server.url, body, signature(body, { timestamp: T - 61 }))).status).toBe(401);
    expect((await post(server.url, body, signature(body, { timestamp: T + 6 }))).status).toBe(401);
    expect(server.stats.refusedBy).toMatchObject({ stale: 1, future: 1, bad_signature: 0 });
  });

  it('refuses a validly signed 1,500-level parent chain with 400 and goes on receiving', async () => {
    const { server, heard } = await start({ secret: SECRET, publicUrl: PUBLIC_URL });
    const deep = JSON.stringify(fulfilledEvent({ parent: deepChain(1500) }));
    expect(await post(server.url, deep, signature(deep))).toEqual({
      status: 400,
      detail: 'not a Vellum webhook event: the parent chain is deeper than 32 levels',
    });
    const body = JSON.stringify(fulfilledEvent());
    expect((await post(server.url, body, signature(body))).status).toBe(202);
    expect(heard).toHaveLength(1);
    expect(server.stats.refusedBy.too_deep).toBe(1);
  });

  it('with a token as well, needs both', async () => {
    const { server, heard } = await start({ token: TOKEN, secret: SECRET, publicUrl: PUBLIC_URL });
    const body = JSON.stringify(fulfilledEvent());
    expect((await post(server.url, body, signature(body))).status).toBe(401);
    expect(
      (await post(server.url, body, { ...bearer(), ...signature(body, { secret: 'wrong' }) })).status,
    ).toBe(401);
    expect((await post(server.url, body, { ...bearer(), ...signature(body) })).status).toBe(202);
    expect(heard).toHaveLength(1);
    expect(server.stats.refusedBy).toMatchObject({ bad_token: 1, bad_signature: 1 });
  });
});

describe('deliveries of another deployment or run', () => {
  it('are answered 200, counted as ignored and not passed on', async () => {
    const { server, heard } = await start({ token: TOKEN, deploymentId: 'dep-ours', runId: 'run-ours' });
    const send = async (parent: unknown, span: string) =>
      post(server.url, JSON.stringify(fulfilledEvent({ spanId: span, parent })), bearer());
    const ours = { deploymentId: 'dep-ours', metadata: { vellum_batch_run_id: 'run-ours' } };
    expect(await send(deploymentContext({ ...ours, deploymentId: 'dep-other' }), 'a')).toEqual({
      status: 200,
      detail: 'ignored: an execution of another deployment',
    });
    expect(
      await send(deploymentContext({ ...ours, metadata: { vellum_batch_run_id: 'run-other' } }), 'b'),
    ).toEqual({
      status: 200,
      detail: 'ignored: an execution of another run',
    });
    expect((await send(deploymentContext(ours), 'c')).status).toBe(202);
    // Metadata without the run id (a reading where Vellum leaves it out) is not taken for another run.
    expect((await send(deploymentContext({ deploymentId: 'dep-ours', metadata: null }), 'd')).status).toBe(
      202,
    );
    server.restrictTo({ runId: 'run-other' });
    expect(
      (await send(deploymentContext({ ...ours, metadata: { vellum_batch_run_id: 'run-other' } }), 'e'))
        .status,
    ).toBe(202);
    expect(heard.map((c) => c.executionId)).toEqual(['c', 'd', 'e']);
    expect(server.stats).toMatchObject({ received: 5, accepted: 3, ignored: 2, refused: 0 });
  });

  it('keep received equal to the sum of every outcome', async () => {
    const { server } = await start({ token: TOKEN, deploymentId: 'dep-ours' });
    const event = JSON.stringify(
      fulfilledEvent({ id: 'same', parent: deploymentContext({ deploymentId: 'dep-ours' }) }),
    );
    await post(server.url, event, bearer());
    await post(server.url, event, bearer());
    await post(
      server.url,
      JSON.stringify({ id: 'i', name: 'workflow.execution.initiated', span_id: 'x' }),
      bearer(),
    );
    await post(server.url, 'not json', bearer());
    await post(new URL('/elsewhere', server.url).href, event, bearer());
    const { received, accepted, duplicates, refused, ignored, misrouted } = server.stats;
    expect({ accepted, duplicates, refused, ignored, misrouted }).toEqual({
      accepted: 1,
      duplicates: 1,
      refused: 1,
      ignored: 1,
      misrouted: 1,
    });
    expect(received).toBe(accepted + duplicates + refused + ignored + misrouted);
  });
});
