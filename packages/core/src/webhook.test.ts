import { describe, expect, it } from 'vitest';
import { parseWebhookEvent, signWebhook, verifyWebhook } from './webhook.js';

const SECRET = 'whsec_test';
const URL_ = 'https://ci.example.com/vellum/webhook';
const NOW = 1_800_000_000_000;
const body = JSON.stringify({
  id: 'evt-1',
  name: 'workflow.execution.fulfilled',
  span_id: 'exec-1',
  body: { outputs: { a: 1 } },
});

function signed(overrides: { body?: string; timestamp?: number; secret?: string; url?: string } = {}) {
  const timestamp = overrides.timestamp ?? Math.floor(NOW / 1000);
  const signature = signWebhook({
    secret: overrides.secret ?? SECRET,
    method: 'POST',
    url: overrides.url ?? URL_,
    rawBody: body,
    timestamp,
  });
  return {
    secret: SECRET,
    method: 'POST',
    url: URL_,
    rawBody: overrides.body ?? body,
    now: NOW,
    headers: { 'X-Vellum-Timestamp': String(timestamp), 'x-vellum-signature': signature },
  };
}

describe('verifyWebhook', () => {
  it('accepts a delivery signed with the secret over timestamp, method, URL and body', () => {
    expect(verifyWebhook(signed())).toEqual({ ok: true, timestamp: NOW / 1000 });
  });

  it('refuses a forged signature (wrong secret)', () => {
    expect(verifyWebhook(signed({ secret: 'guess' }))).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a replay with an altered body', () => {
    expect(verifyWebhook(signed({ body: body.replace('"a":1', '"a":2') }))).toMatchObject({
      ok: false,
      reason: 'bad_signature',
      message: 'the signature does not match',
    });
  });

  it('refuses a delivery signed for another URL', () => {
    expect(verifyWebhook(signed({ url: 'https://evil.example.com/' }))).toMatchObject({
      reason: 'bad_signature',
    });
  });

  it('refuses a stale (61 s) or future timestamp, accepts one 60 s old', () => {
    const t = Math.floor(NOW / 1000);
    expect(verifyWebhook(signed({ timestamp: t - 61 }))).toMatchObject({
      ok: false,
      reason: 'stale',
      message: 'the delivery is 61s old (at most 60s)',
    });
    expect(verifyWebhook(signed({ timestamp: t - 60 })).ok).toBe(true);
    expect(verifyWebhook(signed({ timestamp: t + 120 }))).toMatchObject({ ok: false, reason: 'future' });
  });

  it('refuses missing headers and malformed values', () => {
    const base = signed();
    expect(verifyWebhook({ ...base, headers: {} })).toMatchObject({ reason: 'missing_signature' });
    expect(verifyWebhook({ ...base, headers: { 'x-vellum-signature': 'ab' } })).toMatchObject({
      reason: 'missing_timestamp',
    });
    expect(
      verifyWebhook({ ...base, headers: { ...base.headers, 'X-Vellum-Timestamp': 'yesterday' } }),
    ).toMatchObject({
      reason: 'bad_timestamp',
    });
    expect(
      verifyWebhook({ ...base, headers: { ...base.headers, 'x-vellum-signature': 'not-hex' } }),
    ).toMatchObject({
      reason: 'bad_signature',
    });
  });
});

describe('parseWebhookEvent', () => {
  it('finds the external id up a nested parent chain and the execution id at parent.span_id', () => {
    const event = parseWebhookEvent({
      id: 'evt-2',
      timestamp: '2026-11-28T10:00:00Z',
      api_version: '2024-10-25',
      name: 'workflow.execution.rejected',
      parent: {
        span_id: 'exec-9',
        parent: { type: 'WORKFLOW_RELEASE_TAG', parent: { external_id: 'vb-1-case' } },
      },
      body: { error: { message: 'quota', code: 'PROVIDER_QUOTA_EXCEEDED' } },
    });
    expect(event).toEqual({
      kind: 'completion',
      eventId: 'evt-2',
      completion: {
        executionId: 'exec-9',
        externalId: 'vb-1-case',
        status: 'REJECTED',
        outputs: null,
        error: { message: 'quota', code: 'PROVIDER_QUOTA_EXCEEDED' },
      },
    });
  });

  it('normalises the older list of outputs to a map', () => {
    const event = parseWebhookEvent({
      id: 'evt-3',
      name: 'workflow.execution.fulfilled',
      span_id: 'exec-3',
      body: {
        outputs: [
          { name: 'answer', type: 'STRING', value: 'hi' },
          { name: 'score', value: 0.9 },
        ],
      },
    });
    expect(event.kind === 'completion' && event.completion.outputs).toEqual({ answer: 'hi', score: 0.9 });
  });

  it('ignores unknown event names and calls shapeless bodies invalid', () => {
    expect(parseWebhookEvent({ id: 'e', name: 'workflow.execution.initiated', span_id: 'x' })).toEqual({
      kind: 'ignored',
      eventId: 'e',
      name: 'workflow.execution.initiated',
    });
    expect(parseWebhookEvent({ name: 'workflow.execution.fulfilled' })).toMatchObject({ kind: 'invalid' });
    expect(parseWebhookEvent({ id: 'e', name: 'workflow.execution.fulfilled' })).toEqual({
      kind: 'invalid',
      message: 'the event names neither an execution id nor an external id',
    });
  });
});
