// Webhook deliveries counted where a user sees them (issue 16): the receiver's ignored count for executions no
// subscriber knows, `summary.json.webhooks`, and the report's line.
import { afterEach, describe, expect, it } from 'vitest';
import { fulfilledEvent } from '../test/envelopes.js';
import { startWebhookServer } from './receiver.js';
import type { WebhookServer } from './receiver.js';
import { renderMarkdown } from './report/markdown.js';
import { SummaryBuilder } from './report/summary.js';
import type { SummaryMeta } from './report/summary.js';
import { newWebhookStats } from './webhook-stats.js';

const TOKEN = 'tok_counts_51d2';

let server: WebhookServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

/** POSTs `body` to the receiver with the token; resolves the status and detail it answered. */
async function send(body: unknown): Promise<{ status: number; detail: string }> {
  const res = await fetch(server!.url, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, detail: ((await res.json()) as { detail: string }).detail };
}

describe('a delivery no subscriber knows', () => {
  it('is answered 200, counted as ignored and told to onIgnored; one a subscriber knows is accepted', async () => {
    const ignored: [string, number][] = [];
    server = await startWebhookServer({
      token: TOKEN,
      onIgnored: (detail, count) => ignored.push([detail, count]),
    });
    server.subscribe((completion) => completion.executionId === 'exec-known');
    expect(await send(fulfilledEvent({ spanId: 'exec-stranger' }))).toEqual({
      status: 200,
      detail: 'ignored: an execution this run did not start',
    });
    expect(await send(fulfilledEvent({ spanId: 'exec-known' }))).toEqual({
      status: 202,
      detail: 'accepted',
    });
    expect(ignored).toEqual([['an execution this run did not start', 1]]);
    expect(server.stats).toMatchObject({ received: 2, accepted: 1, ignored: 1 });
  });

  it('is accepted when a subscriber returns anything but false (a listener written as an arrow returning a number)', async () => {
    server = await startWebhookServer({ token: TOKEN });
    const heard: unknown[] = [];
    server.subscribe((completion) => heard.push(completion));
    expect((await send(fulfilledEvent())).status).toBe(202);
    expect(heard).toHaveLength(1);
  });
});

const meta: SummaryMeta = {
  workflow: { deployment_name: 'wf', deployment_id: 'd1', release_tag: 'LATEST' },
  shard: null,
  runId: 'run-1',
  externalIdPrefix: 'vb-',
  dataset: { path: 'cases.jsonl', cases: 0 },
  startedAt: new Date('2026-01-01T00:00:00.000Z'),
  finishedAt: new Date('2026-01-01T00:00:05.000Z'),
  apiCalls: { submit: 0, status: 0, retries: 0 },
  stopped: null,
};

describe('summary.json webhooks', () => {
  it('holds the receiver counts with the refusal reasons that occurred, and the report says them', () => {
    const stats = newWebhookStats();
    Object.assign(stats, { received: 12, accepted: 6, duplicates: 1, refused: 3, ignored: 1, misrouted: 1 });
    stats.refusedBy.bad_token = 2;
    stats.refusedBy.too_deep = 1;
    const summary = new SummaryBuilder().build({ ...meta, webhooks: stats });
    expect(summary.webhooks).toEqual({
      received: 12,
      accepted: 6,
      duplicates: 1,
      refused: 3,
      refused_by: { bad_token: 2, too_deep: 1 },
      ignored: 1,
      misrouted: 1,
    });
    expect(renderMarkdown(summary, [])).toContain(
      '**Webhooks** 12 received · 6 accepted · 1 duplicates · 3 refused · 1 ignored · 1 misrouted\n',
    );
  });

  it('is absent without a receiver (poll tracking)', () => {
    const summary = new SummaryBuilder().build(meta);
    expect(summary).not.toHaveProperty('webhooks');
    expect(renderMarkdown(summary, [])).not.toContain('Webhooks');
  });
});
