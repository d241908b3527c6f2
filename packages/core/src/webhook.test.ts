import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook, verifyWebhookToken } from './webhook.js';

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

  it('refuses a timestamp 61 s old or 6 s ahead, accepts one 60 s old or 5 s ahead', () => {
    const t = Math.floor(NOW / 1000);
    expect(verifyWebhook(signed({ timestamp: t - 61 }))).toMatchObject({
      ok: false,
      reason: 'stale',
      message: 'the delivery is 61s old (at most 60s)',
    });
    expect(verifyWebhook(signed({ timestamp: t - 60 })).ok).toBe(true);
    expect(verifyWebhook(signed({ timestamp: t + 5 })).ok).toBe(true);
    expect(verifyWebhook(signed({ timestamp: t + 6 }))).toEqual({
      ok: false,
      reason: 'future',
      message: "the delivery is timestamped 6s ahead of this machine's clock (at most 5s)",
    });
    expect(verifyWebhook(signed({ timestamp: t + 60 }))).toMatchObject({ ok: false, reason: 'future' });
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

describe('verifyWebhookToken', () => {
  const TOKEN = 'tok_4f9c2a7e1b';
  const check = (headers: Record<string, string>, tokenHeader?: string) =>
    verifyWebhookToken({ token: TOKEN, headers, tokenHeader });

  it('accepts the token as a bearer token (scheme in any case) or in the X-API-Key header', () => {
    expect(check({ Authorization: `Bearer ${TOKEN}` })).toEqual({ ok: true });
    expect(check({ authorization: `bearer ${TOKEN}` })).toEqual({ ok: true });
    expect(check({ 'x-api-key': TOKEN })).toEqual({ ok: true });
  });

  it('accepts the token in the API-key header chosen in Vellum, and no longer in X-API-Key', () => {
    expect(check({ 'X-Webhook-Key': TOKEN }, 'X-Webhook-Key')).toEqual({ ok: true });
    expect(check({ 'x-api-key': TOKEN }, 'X-Webhook-Key')).toMatchObject({
      ok: false,
      reason: 'missing_token',
    });
  });

  it('refuses a wrong, shortened, lengthened or differently cased token', () => {
    for (const given of ['guess', TOKEN.slice(0, -1), `${TOKEN}x`, TOKEN.toUpperCase()]) {
      expect(check({ authorization: `Bearer ${given}` })).toEqual({
        ok: false,
        reason: 'bad_token',
        message: 'the token does not match',
      });
    }
  });

  it('refuses a request without a token, or with the token under another scheme', () => {
    expect(check({})).toEqual({
      ok: false,
      reason: 'missing_token',
      message: 'the delivery carries no token (Authorization: Bearer, or X-API-Key)',
    });
    expect(check({ authorization: `Basic ${TOKEN}` })).toMatchObject({ reason: 'missing_token' });
  });

  it('refuses to check against an empty token', () => {
    expect(() => verifyWebhookToken({ token: '', headers: {} })).toThrow(
      'the webhook token must not be empty',
    );
  });
});
