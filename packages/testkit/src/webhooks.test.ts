import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serialization } from 'vellum-ai';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeVellum } from './server.js';
import type { WebhookOptions } from './options.js';
import type { FakeExecution, WebhookStats } from './types.js';
import { WebhookSender } from './webhooks.js';
import { WEBHOOK_API_VERSION } from './wire.js';

const SECRET = 'hmac-token';

interface Delivery {
  headers: Record<string, string | string[] | undefined>;
  body: string;
  url: string;
}

/** A bare loopback receiver that records every delivery and answers `status`. */
async function receiver(status = 202): Promise<{ server: Server; url: string; deliveries: Delivery[] }> {
  const deliveries: Delivery[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      deliveries.push({
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        url: req.url ?? '',
      });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/hooks/vellum`, deliveries };
}

/** Vellum's documented check, written independently of the sender. */
function validSignature(delivery: Delivery, url: string, secret = SECRET): boolean {
  const timestamp = String(delivery.headers['x-vellum-timestamp']);
  const expected = createHmac('sha256', secret)
    .update(`${timestamp}\nPOST\n${url}\n${delivery.body}`)
    .digest('hex');
  return delivery.headers['x-vellum-signature'] === expected;
}

function execution(i: number, status: 'FULFILLED' | 'REJECTED' = 'FULFILLED'): FakeExecution {
  return {
    id: `exec-${i}`,
    externalId: `ext-${i}`,
    deploymentId: 'dep-1',
    deploymentName: 'demo',
    releaseTag: 'LATEST',
    inputs: [],
    metadata: { run: 'r-1' },
    status,
    outputs: status === 'FULFILLED' ? { answer: `a${i}` } : null,
    error: status === 'REJECTED' ? { message: 'boom', code: 'LLM_PROVIDER' } : null,
    createdAt: 1_000,
    startedAt: 1_000,
    finishedAt: 2_000,
    durationMs: 1_000,
    neverFinishes: false,
  };
}

function newStats(): WebhookStats {
  return { sent: 0, dropped: 0, duplicated: 0, failed: 0 };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function sendAll(
  options: Omit<WebhookOptions, 'url' | 'secret'>,
  n: number,
  seed = 7,
): Promise<{ stats: WebhookStats; deliveries: Delivery[]; url: string }> {
  const target = await receiver();
  servers.push(target.server);
  const stats = newStats();
  const sender = new WebhookSender({ url: target.url, secret: SECRET, ...options }, seed, stats);
  for (let i = 0; i < n; i++) sender.deliver(execution(i, i % 5 === 0 ? 'REJECTED' : 'FULFILLED'));
  await sender.idle();
  await sender.close();
  return { stats, deliveries: target.deliveries, url: target.url };
}

describe('WebhookSender', () => {
  it('POSTs a signed envelope per finish that Vellum’s HMAC check accepts', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { stats, deliveries, url } = await sendAll({}, 5);
    const after = Math.ceil(Date.now() / 1000);
    expect(stats).toEqual({ sent: 5, dropped: 0, duplicated: 0, failed: 0 });
    expect(deliveries).toHaveLength(5);
    for (const delivery of deliveries) {
      expect(validSignature(delivery, url)).toBe(true);
      expect(delivery.url).toBe('/hooks/vellum');
      expect(delivery.headers['content-type']).toBe('application/json');
      // Unix seconds taken while sending: between the clock readings around the send, however slow the machine.
      const timestamp = Number(delivery.headers['x-vellum-timestamp']);
      expect(Number.isInteger(timestamp) && timestamp >= before && timestamp <= after).toBe(true);
    }
    const events = deliveries.map((d) => JSON.parse(d.body) as Record<string, unknown>);
    const rejected = events.find((e) => e['span_id'] === 'exec-0');
    expect(rejected).toEqual({
      id: expect.any(String),
      api_version: WEBHOOK_API_VERSION,
      timestamp: new Date(2_000).toISOString(),
      name: 'workflow.execution.rejected',
      trace_id: expect.any(String),
      span_id: 'exec-0',
      parent: {
        type: 'WORKFLOW_RELEASE_TAG',
        span_id: 'exec-0',
        parent: null,
        links: null,
        deployment_id: 'dep-1',
        deployment_name: 'demo',
        deployment_history_item_id: expect.any(String),
        release_tag_id: expect.any(String),
        release_tag_name: 'LATEST',
        external_id: 'ext-0',
        metadata: { run: 'r-1' },
        workflow_version_id: expect.any(String),
      },
      // The status code LLM_PROVIDER is PROVIDER_ERROR in VellumSdkErrorCodeEnum; a rejected body has no outputs.
      body: {
        workflow_definition: { id: expect.any(String), name: 'demo', module: ['workflow', 'demo'] },
        error: { message: 'boom', code: 'PROVIDER_ERROR' },
      },
    });
    const fulfilled = events.find((e) => e['span_id'] === 'exec-1');
    expect(fulfilled).toMatchObject({
      name: 'workflow.execution.fulfilled',
      body: { outputs: { answer: 'a1' } },
    });
    expect(fulfilled?.['body']).not.toHaveProperty('error');
    // Every envelope parses strictly with the SDK's schema for its event (members of serialization.WorkflowEvent).
    for (const event of events) {
      const schema =
        event['name'] === 'workflow.execution.fulfilled'
          ? serialization.WorkflowExecutionFulfilledEvent
          : serialization.WorkflowExecutionRejectedEvent;
      expect(schema.parse(event, { unrecognizedObjectKeys: 'fail' })).toMatchObject({ ok: true });
      expect(serialization.WorkflowEvent.parse(event, { unrecognizedObjectKeys: 'fail' }).ok).toBe(true);
    }
  });

  it('drops, doubles and forges at the seeded rates, the same way for the same seed', async () => {
    const options = { dropRate: 0.2, duplicateRate: 0.25, badSignatureRate: 0.1 };
    const n = 400;
    const first = await sendAll(options, n);
    const { stats, deliveries, url } = first;
    // Binomial(400, p) stays within 4 standard deviations of n * p for these seeds.
    expect(stats.dropped).toBeGreaterThan(80 - 32);
    expect(stats.dropped).toBeLessThan(80 + 32);
    expect(stats.duplicated).toBeGreaterThan(80 - 35);
    expect(stats.duplicated).toBeLessThan(80 + 35);
    expect(deliveries).toHaveLength(n - stats.dropped + stats.duplicated);
    expect(stats.sent).toBe(deliveries.length);
    const forged = deliveries.filter((d) => !validSignature(d, url));
    expect(forged.length).toBeGreaterThan(10);
    expect(forged.length).toBeLessThan(70);
    expect(forged.every((d) => validSignature(d, url, `${SECRET}-wrong`))).toBe(true);
    // A double repeats the same event (same id), so a receiver can drop it.
    const ids = deliveries.map((d) => (JSON.parse(d.body) as { id: string }).id);
    expect(ids.length - new Set(ids).size).toBe(stats.duplicated);
    const again = await sendAll(options, n);
    expect(again.stats).toEqual(stats);
  });

  it('authenticates with a bearer token and an API-key header, without HMAC when no secret is set', async () => {
    const target = await receiver();
    servers.push(target.server);
    const stats = newStats();
    const options = {
      url: target.url,
      bearerToken: 'tok',
      apiKeyHeader: { name: 'X-Hook-Key', value: 'k1' },
    };
    const sender = new WebhookSender(options, 1, stats);
    sender.deliver(execution(1));
    await sender.idle();
    const forging = new WebhookSender({ ...options, badSignatureRate: 1 }, 1, stats);
    forging.deliver(execution(2));
    await forging.idle();
    await Promise.all([sender.close(), forging.close()]);
    const [good, forged] = target.deliveries;
    expect(good!.headers).toMatchObject({ authorization: 'Bearer tok', 'x-hook-key': 'k1' });
    expect(good!.headers).not.toHaveProperty('x-vellum-signature');
    expect(good!.headers).not.toHaveProperty('x-vellum-timestamp');
    expect(forged!.headers).toMatchObject({ authorization: 'Bearer tok-wrong', 'x-hook-key': 'k1-wrong' });
  });

  it('counts a refused or unreachable delivery as failed, without retrying', async () => {
    const refusing = await receiver(401);
    servers.push(refusing.server);
    const stats = newStats();
    const sender = new WebhookSender({ url: refusing.url, secret: SECRET }, 1, stats);
    sender.deliver(execution(1));
    await sender.idle();
    expect(stats).toEqual({ sent: 0, dropped: 0, duplicated: 0, failed: 1 });
    expect(refusing.deliveries).toHaveLength(1);
    await sender.close();

    const closed = await receiver();
    await new Promise((resolve) => closed.server.close(resolve));
    const unreachable = newStats();
    const lost = new WebhookSender({ url: closed.url, secret: SECRET }, 1, unreachable);
    lost.deliver(execution(2));
    await lost.close();
    expect(unreachable.failed).toBe(1);
  });

  it('close() cancels deliveries still waiting out their delay and counts them failed', async () => {
    const target = await receiver();
    servers.push(target.server);
    const stats = newStats();
    const sender = new WebhookSender({ url: target.url, secret: SECRET, delayMs: 60_000 }, 1, stats);
    sender.deliver(execution(1));
    sender.deliver(execution(2));
    await sender.close();
    expect(stats.failed).toBe(2);
    expect(target.deliveries).toHaveLength(0);
    sender.deliver(execution(3));
    await sender.idle();
    expect(stats).toEqual({ sent: 0, dropped: 0, duplicated: 0, failed: 2 });
  });
});

describe('startFakeVellum({webhook})', () => {
  it('sends a webhook when an execution finishes and counts it in stats.webhooks', async () => {
    const target = await receiver();
    servers.push(target.server);
    const fake = await startFakeVellum({
      apiKey: 'k',
      deployments: ['demo'],
      durationMs: 1,
      webhook: { url: target.url, secret: SECRET },
    });
    try {
      const res = await fetch(`${fake.url}/v1/execute-workflow-async`, {
        method: 'POST',
        headers: { 'X-API-KEY': 'k', 'content-type': 'application/json' },
        body: JSON.stringify({
          workflow_deployment_name: 'demo',
          external_id: 'case-1',
          metadata: { run: 'r-9' },
          inputs: [{ name: 'q', type: 'STRING', value: 'hello' }],
        }),
      });
      const { execution_id } = (await res.json()) as { execution_id: string };
      while (target.deliveries.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const event = JSON.parse(target.deliveries[0]!.body) as Record<string, unknown>;
      expect(event).toMatchObject({
        name: 'workflow.execution.fulfilled',
        span_id: execution_id,
        parent: { external_id: 'case-1', metadata: { run: 'r-9' } },
      });
      expect(validSignature(target.deliveries[0]!, target.url)).toBe(true);
      const strict = serialization.WorkflowExecutionFulfilledEvent.parse(event, {
        unrecognizedObjectKeys: 'fail',
      });
      expect(strict).toMatchObject({ ok: true });
    } finally {
      await fake.close();
    }
    expect(fake.stats.webhooks).toEqual({ sent: 1, dropped: 0, duplicated: 0, failed: 0 });
  });
});
