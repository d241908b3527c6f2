/**
 * Webhooks end to end: the testkit sends HMAC-signed deliveries (some dropped, some doubled, some forged) to a real
 * receiver from `startWebhookServer`, which feeds the engine in hybrid mode; a relay re-sends them with Vellum's
 * bearer token for the token mode; hostile deliveries (another deployment or run, a 1,500-level chain) change nothing.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeDeploymentId, startFakeVellum } from '@vellum-batch/testkit';
import type { FakeVellum } from '@vellum-batch/testkit';
import { createClient } from '../src/client.js';
import { runBatch } from '../src/engine/run.js';
import { startWebhookServer } from '../src/receiver.js';
import type { WebhookServer } from '../src/receiver.js';
import { signWebhook } from '../src/webhook.js';
import type { Case, CaseRecord } from '../src/types.js';
import { deepChain, deploymentContext, fulfilledEvent } from './envelopes.js';

const SECRET = 'whsec_e2e';
const TOKEN = 'tok_e2e_5d2a';
let dir: string;
let fake: FakeVellum | null = null;
let receiver: WebhookServer | null = null;
let relay: Server | null = null;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-webhooks-'));
});
afterEach(async () => {
  await fake?.close();
  fake = null;
  await receiver?.close();
  receiver = null;
  await new Promise((resolve) => (relay === null ? resolve(undefined) : relay.close(resolve)));
  relay = null;
  await rm(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** An HMAC receiver whose public URL is where it listens (as the testkit signs it). */
async function hmacReceiver(): Promise<WebhookServer> {
  const port = await freePort();
  receiver = await startWebhookServer({
    secret: SECRET,
    port,
    path: '/vellum/webhook',
    publicUrl: `http://127.0.0.1:${port}/vellum/webhook`,
  });
  return receiver;
}

function cases(n: number): Case[] {
  return Array.from({ length: n }, (_, i) => ({
    index: i,
    id: `w-${i}`,
    inputs: [{ name: 'q', type: 'STRING', value: `q${i}` }],
    expected: { q: `q${i}` },
    assertions: [],
    metadata: {},
  }));
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  await res.text();
  return res.status;
}

async function readResults(): Promise<CaseRecord[]> {
  return (await readFile(join(dir, 'results.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as CaseRecord);
}

describe('the webhook receiver', () => {
  it('refuses forged, stale and altered deliveries with 401 and never passes them on', async () => {
    const server = await hmacReceiver();
    const heard: unknown[] = [];
    server.subscribe((c) => heard.push(c));
    const body = JSON.stringify(fulfilledEvent({ id: 'e1', spanId: 'x' }));
    const now = Math.floor(Date.now() / 1000);
    const sign = (b: string, t: number, secret = SECRET) =>
      signWebhook({ secret, method: 'POST', url: server.url, rawBody: b, timestamp: t });
    const headers = (b: string, t = now, secret = SECRET) => ({
      'x-vellum-timestamp': String(t),
      'x-vellum-signature': sign(b, t, secret),
    });
    expect(await post(server.url, body, headers(body, now, 'forged'))).toBe(401);
    expect(await post(server.url, body, headers(body, now - 61))).toBe(401);
    expect(await post(server.url, body, headers(body, now + 30))).toBe(401);
    expect(await post(server.url, body.replace('"x"', '"y"'), headers(body))).toBe(401);
    expect(heard).toHaveLength(0);
    expect(await post(server.url, body, headers(body))).toBe(202);
    expect(await post(server.url, body, headers(body))).toBe(200);
    expect(heard).toHaveLength(1);
    expect(await post(server.url, 'not json', headers('not json'))).toBe(400);
    const big = 'x'.repeat(2_000_000);
    expect(await post(server.url, big, headers(big))).toBe(413);
    expect(server.stats).toEqual({
      received: 8,
      accepted: 1,
      duplicates: 1,
      refused: 6,
      refusedBy: {
        bad_token: 0,
        bad_signature: 2,
        stale: 1,
        future: 1,
        malformed: 1,
        too_deep: 0,
        too_large: 1,
      },
      ignored: 0,
      misrouted: 0,
    });
  });
});

describe('hybrid tracking with the testkit sending webhooks', () => {
  it('finishes 1,000 cases correctly with 10% of deliveries dropped and 10% doubled, fewer polls than executions', async () => {
    const server = await hmacReceiver();
    fake = await startFakeVellum({
      apiKey: 'k',
      deployments: ['wf'],
      concurrency: 100,
      durationMs: { min: 100, max: 300 },
      webhook: {
        url: server.url,
        secret: SECRET,
        dropRate: 0.1,
        duplicateRate: 0.1,
        badSignatureRate: 0.02,
      },
    });
    const client = createClient({ apiKey: 'k', baseUrl: fake.url });
    const n = 1000;
    try {
      const { summary } = await runBatch({
        client,
        dataset: { path: 'memory', size: n, cases: () => cases(n) },
        workflow: { deploymentName: 'wf' },
        outDir: dir,
        concurrency: 200,
        track: 'hybrid',
        completions: server,
        initialDurationEstimateMs: 200,
      });
      expect(summary.passed).toBe(n);
    } finally {
      await client.close();
    }
    const records = await readResults();
    expect(records).toHaveLength(n);
    for (const record of records)
      expect(record.outputs).toEqual(fake.byExternalId(record.external_id)!.outputs);
    const webhooks = fake.stats.webhooks;
    expect(webhooks.dropped).toBeGreaterThan(50);
    expect(webhooks.duplicated).toBeGreaterThan(50);
    expect(server.stats.refused).toBe(webhooks.failed);
    expect(server.stats.refusedBy.bad_signature).toBe(webhooks.failed);
    // Counts, not a real-time ratio (how far below depends on timing): a dropped delivery leaves its execution
    // to a poll, so there is at least one poll for each; polling alone needs at least one status request per
    // execution (n). Hybrid stays below that because a delivery comes within ms of the finish while the engine waits
    // at least a second of silence before it polls: only a stall of about a second per execution could reach n.
    expect(fake.stats.requests.status).toBeGreaterThanOrEqual(webhooks.dropped);
    expect(fake.stats.requests.status).toBeLessThan(n);
  });
});

describe('hybrid tracking with a bearer token, under hostile deliveries', () => {
  it('takes completions from token-carrying deliveries only and ignores those of another deployment or run', async () => {
    receiver = await startWebhookServer({
      token: TOKEN,
      path: '/hook',
      deploymentId: fakeDeploymentId('wf'),
    });
    const target = receiver.url;
    // The testkit signs with HMAC only; this relay re-sends each delivery as Vellum's token integration does.
    relay = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const forward = request(target, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        });
        forward.on('response', (answer) => {
          res.writeHead(answer.statusCode ?? 502).end();
          answer.resume();
        });
        forward.on('error', () => res.writeHead(502).end());
        forward.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((resolve) => relay!.listen(0, '127.0.0.1', resolve));
    const relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}/`;
    fake = await startFakeVellum({
      apiKey: 'k',
      deployments: ['wf'],
      concurrency: 50,
      durationMs: { min: 300, max: 500 },
      webhook: { url: relayUrl, secret: 'unused-by-the-receiver' },
    });
    const client = createClient({ apiKey: 'k', baseUrl: fake.url });
    const n = 20;
    const hostile: Promise<number>[] = [];
    const forge = (externalId: string, parent: unknown) =>
      post(
        target,
        JSON.stringify(fulfilledEvent({ spanId: `forged-${externalId}`, parent, outputs: { q: 'forged' } })),
        { authorization: `Bearer ${TOKEN}` },
      );
    try {
      const { summary } = await runBatch({
        client,
        dataset: { path: 'memory', size: n, cases: () => cases(n) },
        workflow: { deploymentName: 'wf' },
        outDir: dir,
        concurrency: n,
        track: 'hybrid',
        completions: receiver,
        externalIdPrefix: 'vbt-',
        runId: 'run-ours',
        initialDurationEstimateMs: 400,
        onEvent: (event) => {
          if (event.type === 'started') {
            receiver!.restrictTo({ deploymentId: fakeDeploymentId('wf'), runId: event.runId });
          }
          if (event.type !== 'submitted') return;
          const externalId = `vbt-${event.id}`;
          // While the execution runs: our external id, another deployment; our deployment, another run; a bomb.
          hostile.push(forge(externalId, deploymentContext({ externalId, deploymentId: 'someone-elses' })));
          hostile.push(
            forge(
              externalId,
              deploymentContext({
                externalId,
                deploymentId: fakeDeploymentId('wf'),
                metadata: { vellum_batch_run_id: 'run-theirs' },
              }),
            ),
          );
          hostile.push(forge(externalId, deepChain(1500, deploymentContext({ externalId }))));
          hostile.push(post(target, '{}', { authorization: 'Bearer guess' }));
        },
      });
      expect(summary.passed).toBe(n);
    } finally {
      await client.close();
    }
    expect((await Promise.all(hostile)).sort()).toEqual(
      [
        ...Array<number>(n * 2).fill(200),
        ...Array<number>(n).fill(400),
        ...Array<number>(n).fill(401),
      ].sort(),
    );
    for (const record of await readResults()) {
      expect(record.outputs).toEqual(fake.byExternalId(record.external_id)!.outputs);
      expect(record.outputs).not.toEqual({ q: 'forged' });
    }
    expect(receiver.stats).toMatchObject({
      ignored: 2 * n,
      refusedBy: { too_deep: n, bad_token: n },
    });
    expect(receiver.stats.accepted).toBeGreaterThan(n / 2);
  });
});
