import { describe, expect, it } from 'vitest';
import { compilePattern } from './pattern.js';

describe('compilePattern', () => {
  it('takes a plain pattern or a /literal/ with flags; g, y, u and d change nothing', () => {
    expect(compilePattern('^ref.nd$').test('refund')).toBe(true);
    const literal = compilePattern('/REEMBOLSO/giy');
    expect(literal.source).toBe('/REEMBOLSO/giy');
    expect(literal.test('Su reembolso')).toBe(true);
    expect(literal.test('Su reembolso')).toBe(true); // no lastIndex state
    expect(compilePattern('/^b$/m').test('a\nb\nc')).toBe(true);
    expect(compilePattern('/^b$/').test('a\nb\nc')).toBe(false);
    expect(compilePattern('/a.b/s').test('a\nb')).toBe(true);
    expect(compilePattern('a.b').test('a\nb')).toBe(false);
    expect(compilePattern('a/b').test('xa/b')).toBe(true);
  });

  it('keeps JavaScript syntax for common patterns', () => {
    const cases: [string, string, boolean][] = [
      ['\\d{3}-\\d{4}', 'call 555-1234', true],
      ['\\bword\\b', 'a word here', true],
      ['\\bword\\b', 'swordfish', false],
      ['^\\w+@\\w+\\.com$', 'me@example.com', true],
      ['\\u0041\\x42', 'AB', true],
      ['\\u{1F600}', 'smile 😀', true],
      ['(?<year>\\d{4})-(?:0[1-9]|1[0-2])', '2024-11', true],
      ['colou?r', 'color', true],
      ['a+?b', 'aaab', true],
      ['[^\\s]+', '   ', false],
      ['\\p{Lu}', 'é É', true],
      ['(?i)straße', 'STRAßE', true],
      ['^.$', '😀', true],
      ['\\$\\d+\\.\\d{2}', 'total $12.50', true],
      ['\\cJ', '\n', true],
    ];
    for (const [pattern, text, expected] of cases) {
      expect([pattern, compilePattern(pattern).test(text)]).toEqual([pattern, expected]);
    }
  });

  it('refuses what RE2 cannot run in linear time, saying why', () => {
    expect(() => compilePattern('(a)\\1')).toThrow(
      new SyntaxError('backreferences (\\1...) are not supported: patterns run in linear time (RE2 syntax)'),
    );
    expect(() => compilePattern('(?<n>a)\\k<n>')).toThrow(/backreferences \(\\k\.\.\.\) are not supported/);
    expect(() => compilePattern('foo(?=bar)')).toThrow(
      /lookahead and lookbehind \(\(\?=\.\.\.\) are not supported/,
    );
    expect(() => compilePattern('foo(?!bar)')).toThrow(/\(\?!\.\.\.\)/);
    expect(() => compilePattern('(?<=\\$)\\d+')).toThrow(/\(\?<=\.\.\.\)/);
    expect(() => compilePattern('(?<!x)y')).toThrow(/\(\?<!\.\.\.\)/);
    // Escaped, these are literals, not lookarounds or backreferences.
    expect(compilePattern('\\(\\?=\\)').test('(?=)')).toBe(true);
    expect(compilePattern('[(?=]').test('=')).toBe(true);
    expect(compilePattern('\\\\1').test('\\1')).toBe(true);
  });

  it('refuses syntax errors, long counts and unknown flags', () => {
    expect(() => compilePattern('(')).toThrow(new SyntaxError('missing closing ): `(`'));
    expect(() => compilePattern('a{1001}')).toThrow(/invalid repeat count/);
    expect(() => compilePattern('/a/x')).toThrow(new SyntaxError('unsupported flag "x" (use i, m or s)'));
  });

  it('answers ^(A+)+$ on a 100 kB output (RE2 has no backtracking)', () => {
    const pattern = compilePattern('^(A+)+$');
    expect(pattern.test(`${'A'.repeat(40)}!`)).toBe(false);
    expect(pattern.test(`${'A'.repeat(100 * 1024)}!`)).toBe(false);
    expect(pattern.test('A'.repeat(100 * 1024))).toBe(true);
  });
});
