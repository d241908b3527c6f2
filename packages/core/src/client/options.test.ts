import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { createClient } from './index.js';
import { resolveOptions } from './options.js';

const KEY = 'vk-abc123-secret';

describe('API key checks', () => {
  it.each([
    ['', 'The Vellum API key is empty.'],
    ['   ', 'The Vellum API key is empty.'],
    [
      `${KEY}\n`,
      'The Vellum API key starts or ends with whitespace (a copied newline?): remove it and try again.',
    ],
    [
      ` ${KEY}`,
      'The Vellum API key starts or ends with whitespace (a copied newline?): remove it and try again.',
    ],
    [
      `vk-abc\n123`,
      'The Vellum API key contains a control character (such as a newline) at position 7: copy the key again.',
    ],
    [
      `vk-abc\u0000123`,
      'The Vellum API key contains a control character (such as a newline) at position 7: copy the key again.',
    ],
    [`vk-abcé123`, 'The Vellum API key contains a non-ASCII character at position 7: copy the key again.'],
    [
      `vk-abc\u200b123`,
      'The Vellum API key contains a non-ASCII character at position 7: copy the key again.',
    ],
  ])('refuses %j with a ConfigError that names the problem, never the key', (key, message) => {
    const error = (() => {
      try {
        createClient({ apiKey: key });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(message);
    if (key.trim() !== '') expect((error as Error).message).not.toContain('abc');
  });
});

describe('warnings', () => {
  it('warns when the key would go over plain http to a host that is not this machine, once per origin', () => {
    const one = createClient({ apiKey: KEY, baseUrl: 'http://vellum.internal.example:8080/' });
    expect(one.warnings).toEqual([
      'The API key is sent over plain http to http://vellum.internal.example:8080, which is not this machine: anyone on the way can read it. Use https.',
    ]);
    const two = resolveOptions({
      apiKey: KEY,
      baseUrl: { predict: 'http://10.0.0.5', api: 'https://api.vellum.ai' },
    });
    expect(two.warnings).toHaveLength(1);
    expect(two.warnings[0]).toContain('http://10.0.0.5');
    expect(two.warnings.join(' ')).not.toContain(KEY);
  });

  it.each(['http://127.0.0.1:4010', 'http://localhost:4010', 'http://[::1]:4010', 'https://proxy.example'])(
    'says nothing for %s',
    (url) => {
      expect(resolveOptions({ apiKey: KEY, baseUrl: url }).warnings).toEqual([]);
    },
  );

  it('says nothing for the defaults', () => {
    expect(resolveOptions({ apiKey: KEY }).warnings).toEqual([]);
  });
});

describe('other options', () => {
  it.each([
    [
      { baseUrl: { predict: 'nope', api: 'https://api.vellum.ai' } },
      'The predict base URL "nope" is not a valid URL.',
    ],
    [
      { baseUrl: { predict: 'https://p', api: 'ftp://x' } },
      'The api base URL must be http or https, got ftp:',
    ],
    [{ maxResponseBytes: 0 }, 'The client option maxResponseBytes must be an integer >= 1, got 0.'],
    [{ requestTimeoutMs: Number.NaN }, 'The client option requestTimeoutMs must be a number >= 1, got NaN.'],
    [
      { retry: { rateLimitBudgetMs: -1 } },
      'The client option retry.rateLimitBudgetMs must be a number >= 0, got -1.',
    ],
  ])('refuses %j', (options, message) => {
    expect(() => resolveOptions({ apiKey: KEY, ...options })).toThrow(message);
  });
});
