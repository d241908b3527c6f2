import { describe, expect, it } from 'vitest';
import { redact } from './redact.js';

describe('redact', () => {
  it('replaces every occurrence of a secret', () => {
    expect(redact('key sk-live-1234 and again sk-live-1234.', ['sk-live-1234'])).toBe(
      'key *** and again ***.',
    );
  });

  it('ignores empty and short secrets', () => {
    expect(redact('abc abc', ['', 'abc'])).toBe('abc abc');
  });

  it('replaces the URL-encoded form of a secret', () => {
    expect(redact('url ?k=a%2Fb%3Dc', ['a/b=c'])).toBe('url ?k=***');
  });

  it('removes a longer secret whole before a shorter one it contains', () => {
    expect(redact('x secret-long y', ['secret', 'secret-long'])).toBe('x *** y');
  });

  it('leaves text without secrets unchanged', () => {
    expect(redact('nothing here', ['topsecret'])).toBe('nothing here');
  });
});
