import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import {
  COUNT_RANGES,
  MAX_TIMEOUT_MS,
  parseByteSize,
  parseConcurrency,
  parseCount,
  parseExternalIdPrefix,
  parseHttpUrl,
  parseReleaseTag,
  parseShard,
  parseTimeout,
} from './fields.js';

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('parseCount', () => {
  it.each([
    ['32', 32],
    [' 32 ', 32],
    ['0', 0],
    ['007', 7],
    ['9007199254740991', Number.MAX_SAFE_INTEGER],
  ])('reads %j as %d', (text, n) => {
    expect(parseCount(text, '--max-failures')).toBe(n);
  });

  it.each(['0x20', '1e2', '32.0', '-1', '+5', '', ' ', '3 2', '٣', 'Infinity', '1_000'])(
    'refuses %j: decimal digits only',
    (text) => {
      expect(message(() => parseCount(text, '--max-failures'))).toBe(
        `--max-failures: ${JSON.stringify(text)} is not a whole number: write it in decimal digits, 0 or more`,
      );
    },
  );

  it('refuses a number outside the range, saying the range', () => {
    expect(message(() => parseCount('101', '--repeat', COUNT_RANGES.repeat))).toBe(
      '--repeat: "101" is out of range: use a whole number from 1 to 100',
    );
    expect(message(() => parseCount('9007199254740992', 'input min-cases'))).toBe(
      'input min-cases: "9007199254740992" is out of range: use a whole number 0 or more',
    );
  });

  it('gives concurrency the range 1..10000', () => {
    expect(parseConcurrency('10000', '--concurrency')).toBe(10_000);
    expect(message(() => parseConcurrency('0', 'input concurrency'))).toBe(
      'input concurrency: "0" is out of range: use a whole number from 1 to 10000',
    );
  });
});

describe('parseByteSize', () => {
  it.each([
    ['4194304', 4194304],
    ['512KiB', 512 * 1024],
    ['16mib', 16 * 1024 * 1024],
    [' 1GiB ', 1024 ** 3],
    ['10 B', 10],
  ])('reads %j as %d bytes', (text, bytes) => {
    expect(parseByteSize(text, '$X')).toBe(bytes);
  });

  it.each(['16MB', '1.5MiB', '-1', '', 'lots'])('refuses %j, naming the field and the forms', (text) => {
    expect(() => parseByteSize(text, '$X')).toThrow(
      `$X: ${JSON.stringify(text)} is not a size: write whole bytes, or KiB, MiB or GiB (e.g. 16MiB)`,
    );
  });

  it.each(['0', '2GiB'])('refuses %j as out of range', (text) => {
    expect(() => parseByteSize(text, '$X')).toThrow(`$X: "${text}" is out of range: use 1 byte to 1GiB`);
  });
});

describe('parseTimeout', () => {
  it('reads durations as parseDuration does', () => {
    expect(parseTimeout('90s', '--timeout')).toBe(90_000);
    expect(parseTimeout('1h30m', '--timeout')).toBe(5_400_000);
  });

  it('accepts up to 24 days, which a Node timer can hold, and refuses longer instead of firing at once', () => {
    expect(MAX_TIMEOUT_MS).toBeLessThan(2 ** 31 - 1);
    expect(parseTimeout('576h', '--timeout')).toBe(MAX_TIMEOUT_MS);
    expect(message(() => parseTimeout('600h', '--timeout'))).toBe(
      '--timeout: "600h" is longer than 24 days (576h), the longest deadline this tool keeps; use a shorter one, or leave it out for no deadline',
    );
  });

  it('keeps the duration errors', () => {
    expect(message(() => parseTimeout('soon', '--execution-timeout'))).toBe(
      '--execution-timeout: "soon" is not a duration (use e.g. 90s, 30m, 2h)',
    );
  });
});

describe('parseShard', () => {
  it.each([
    ['1/1', { index: 1, count: 1 }],
    [' 2 / 4 ', { index: 2, count: 4 }],
  ])('reads %j', (text, shard) => {
    expect(parseShard(text, '--shard')).toEqual(shard);
  });

  it.each(['0/3', '4/3', '1/0', '1', '1/2/3', '-1/2', '0x1/2', '1.0/2', ''])('refuses %j', (text) => {
    expect(message(() => parseShard(text, '--shard'))).toBe(
      `--shard: ${JSON.stringify(text)} is not a shard: use I/N with 1 <= I <= N, e.g. 2/4`,
    );
  });
});

describe('parseExternalIdPrefix', () => {
  it('accepts letters, digits and _ . : - up to 100 characters, trimmed', () => {
    expect(parseExternalIdPrefix(' gh-12_3.a:b- ', '--external-id-prefix')).toBe('gh-12_3.a:b-');
    expect(parseExternalIdPrefix('a'.repeat(100), 'p')).toHaveLength(100);
  });

  it.each(['', 'a b', 'a/b', 'é', 'a'.repeat(101), 'x\ny'])('refuses %j', (text) => {
    expect(message(() => parseExternalIdPrefix(text, 'input external-id-prefix'))).toBe(
      `input external-id-prefix: ${JSON.stringify(text)} is not a prefix: use 1-100 letters, digits, and _ . : -`,
    );
  });
});

describe('parseReleaseTag', () => {
  it('accepts any tag Vellum could hold, trimmed', () => {
    expect(parseReleaseTag(' LATEST ', '--release-tag')).toBe('LATEST');
    expect(parseReleaseTag('release 2026/11 (β)', '--release-tag')).toBe('release 2026/11 (β)');
  });

  it.each(['', '   ', 'a\nb', 'tab\there', 'x'.repeat(257)])('refuses %j', (text) => {
    expect(message(() => parseReleaseTag(text, '--release-tag'))).toBe(
      `--release-tag: ${JSON.stringify(text)} is not a release tag: use 1-256 characters without line breaks, e.g. LATEST`,
    );
  });
});

describe('parseHttpUrl', () => {
  it('accepts http and https URLs as written', () => {
    expect(parseHttpUrl('http://127.0.0.1:8080/base', '--base-url')).toBe('http://127.0.0.1:8080/base');
    expect(parseHttpUrl(' https://predict.vellum.ai ', '--base-url')).toBe('https://predict.vellum.ai');
  });

  it.each(['ftp://x', 'predict.vellum.ai', '', 'file:///etc/passwd', 'javascript:alert(1)'])(
    'refuses %j',
    (text) => {
      expect(message(() => parseHttpUrl(text, '--base-url'))).toBe(
        `--base-url: ${JSON.stringify(text)} is not an http(s) URL, e.g. https://predict.vellum.ai`,
      );
    },
  );

  it('refuses credentials in a URL without echoing them', () => {
    const text = message(() => parseHttpUrl('https://user:s3cret@proxy.test', '--base-url'));
    expect(text).toBe(
      '--base-url: the URL carries a user name or password; remove it (the API key goes in an environment variable)',
    );
    expect(text).not.toContain('s3cret');
  });
});
