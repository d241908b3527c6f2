import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { evaluateGate, formatRate, parseRate } from './gate.js';

describe('evaluateGate', () => {
  describe('maxNewFailures', () => {
    const counts = { total: 20, passed: 10, errored: 0 };
    const lenient = { maxFailureRate: 1 };

    it('fails when the regressions exceed it, naming the count and the first ids', () => {
      const result = evaluateGate(
        { ...counts, regressions: { count: 4, ids: ['a', 'b', 'c', 'd'] } },
        { ...lenient, maxNewFailures: 0 },
      );
      expect(result.passed).toBe(false);
      expect(result.max_new_failures).toBe(0);
      expect(result.reasons).toEqual([
        '4 cases regressed against the baseline (passed there, fail now), above the allowed 0: "a", "b", "c", "d"',
      ]);
    });

    it('passes at the threshold', () => {
      const result = evaluateGate(
        { ...counts, regressions: { count: 4, ids: ['a', 'b', 'c', 'd'] } },
        { ...lenient, maxNewFailures: 4 },
      );
      expect(result).toMatchObject({ passed: true, reasons: [], max_new_failures: 4 });
    });

    it('names at most ten ids and counts the rest', () => {
      const ids = Array.from({ length: 100 }, (_, i) => `case-${i}`);
      const result = evaluateGate(
        { ...counts, regressions: { count: 250, ids } },
        { ...lenient, maxNewFailures: 3 },
      );
      expect(result.reasons[0]).toMatch(
        /^250 cases regressed .* above the allowed 3: "case-0", .*"case-9" and 240 more$/,
      );
    });

    it('does not apply (and is not written) without a baseline', () => {
      const result = evaluateGate(counts, { ...lenient, maxNewFailures: 0 });
      expect(result.passed).toBe(true);
      expect(result).not.toHaveProperty('max_new_failures');
    });

    it('refuses a negative or fractional threshold', () => {
      expect(() => evaluateGate(counts, { maxNewFailures: -1 })).toThrow(
        'maxNewFailures: -1 is not a whole number of cases (0 or more)',
      );
    });
  });

  it('applies the defaults: no failure allowed, at least one case', () => {
    const result = evaluateGate({ total: 10, passed: 10, errored: 0 });
    expect(result).toEqual({
      max_failure_rate: 0,
      max_failures: null,
      max_error_rate: null,
      min_cases: 1,
      passed: true,
      reasons: [],
    });
  });

  it('fails on a single failure by default', () => {
    const result = evaluateGate({ total: 40, passed: 35, errored: 0 });
    expect(result.passed).toBe(false);
    expect(result.reasons).toEqual(['failure rate 12.5% (5 of 40) is above the allowed 0%']);
  });

  it('never passes an empty run by default', () => {
    const result = evaluateGate({ total: 0, passed: 0, errored: 0 });
    expect(result.passed).toBe(false);
    expect(result.reasons).toEqual(['only 0 cases ran, at least 1 required']);
  });

  it('passes a failure rate exactly at the threshold and fails just above it', () => {
    expect(evaluateGate({ total: 100, passed: 95, errored: 0 }, { maxFailureRate: 0.05 }).passed).toBe(true);
    expect(evaluateGate({ total: 60, passed: 57, errored: 0 }, { maxFailureRate: 0.05 }).passed).toBe(true);
    expect(evaluateGate({ total: 100, passed: 93, errored: 0 }, { maxFailureRate: 0.07 }).passed).toBe(true);
    const above = evaluateGate({ total: 100, passed: 94, errored: 0 }, { maxFailureRate: 0.05 });
    expect(above.reasons).toEqual(['failure rate 6% (6 of 100) is above the allowed 5%']);
  });

  it('shows enough decimals that a rate just above its threshold does not read equal to it', () => {
    const result = evaluateGate({ total: 100_000, passed: 94_999, errored: 0 }, { maxFailureRate: 0.05 });
    expect(result.reasons).toEqual(['failure rate 5.001% (5001 of 100000) is above the allowed 5%']);
  });

  it('fails when failed > maxFailures, passes at it', () => {
    expect(
      evaluateGate({ total: 10, passed: 7, errored: 0 }, { maxFailureRate: 1, maxFailures: 3 }).passed,
    ).toBe(true);
    const result = evaluateGate({ total: 10, passed: 6, errored: 0 }, { maxFailureRate: 1, maxFailures: 3 });
    expect(result.max_failures).toBe(3);
    expect(result.reasons).toEqual(['4 cases failed, above the allowed maximum of 3']);
    const one = evaluateGate({ total: 10, passed: 9, errored: 0 }, { maxFailureRate: 1, maxFailures: 0 });
    expect(one.reasons).toEqual(['1 case failed, above the allowed maximum of 0']);
  });

  it('fails when error_rate > maxErrorRate, passes at it', () => {
    expect(
      evaluateGate({ total: 40, passed: 38, errored: 2 }, { maxFailureRate: 1, maxErrorRate: 0.05 }).passed,
    ).toBe(true);
    const result = evaluateGate(
      { total: 40, passed: 37, errored: 3 },
      { maxFailureRate: 1, maxErrorRate: 0.05 },
    );
    expect(result.max_error_rate).toBe(0.05);
    expect(result.reasons).toEqual(['3 cases errored (7.5%), above the allowed error rate 5%']);
  });

  it('fails when total < minCases, passes at it', () => {
    expect(evaluateGate({ total: 5, passed: 5, errored: 0 }, { minCases: 5 }).passed).toBe(true);
    const result = evaluateGate({ total: 1, passed: 1, errored: 0 }, { minCases: 5 });
    expect(result.reasons).toEqual(['only 1 case ran, at least 5 required']);
    expect(evaluateGate({ total: 0, passed: 0, errored: 0 }, { minCases: 0 }).passed).toBe(true);
  });

  it('gives one reason per failed condition, in SPEC order', () => {
    const result = evaluateGate(
      { total: 4, passed: 1, errored: 2 },
      { maxFailureRate: 0.5, maxFailures: 2, maxErrorRate: 0.25, minCases: 10 },
    );
    expect(result.passed).toBe(false);
    expect(result.reasons).toEqual([
      'failure rate 75% (3 of 4) is above the allowed 50%',
      '3 cases failed, above the allowed maximum of 2',
      '2 cases errored (50%), above the allowed error rate 25%',
      'only 4 cases ran, at least 10 required',
    ]);
  });

  it('treats explicitly undefined options as unset', () => {
    const result = evaluateGate(
      { total: 2, passed: 2, errored: 0 },
      { maxFailureRate: undefined, maxFailures: undefined, maxErrorRate: undefined, minCases: undefined },
    );
    expect(result).toMatchObject({
      max_failure_rate: 0,
      max_failures: null,
      max_error_rate: null,
      min_cases: 1,
    });
  });

  it('refuses thresholds out of range', () => {
    expect(() => evaluateGate({ total: 1, passed: 1, errored: 0 }, { maxFailureRate: 1.5 })).toThrow(
      ConfigError,
    );
    expect(() => evaluateGate({ total: 1, passed: 1, errored: 0 }, { maxErrorRate: -0.1 })).toThrow(
      'maxErrorRate: -0.1 is not a rate between 0 and 1',
    );
    expect(() => evaluateGate({ total: 1, passed: 1, errored: 0 }, { minCases: 1.5 })).toThrow(
      'minCases: 1.5 is not a whole number of cases (0 or more)',
    );
    expect(() => evaluateGate({ total: 1, passed: 1, errored: 0 }, { maxFailures: Number.NaN })).toThrow(
      ConfigError,
    );
  });
});

describe('parseRate', () => {
  it.each([
    ['0', 0],
    ['1', 1],
    ['0.05', 0.05],
    ['.5', 0.5],
    ['5%', 0.05],
    ['5.5%', 0.055],
    ['0.07%', 0.0007],
    ['100%', 1],
    [' 12.5 % ', 0.125],
  ])('parses %j', (text, expected) => {
    expect(parseRate(text, '--max-failure-rate')).toBe(expected);
  });

  it.each(['', 'abc', '5 percent', '-0.1', '1e-2', '0.5.1', '%', '5%%'])('refuses %j', (text) => {
    expect(() => parseRate(text, '--max-failure-rate')).toThrow(
      new ConfigError(`--max-failure-rate: ${JSON.stringify(text)} is not a rate (use e.g. 0.05 or 5%)`),
    );
  });

  it('refuses rates above 1', () => {
    expect(() => parseRate('150%', 'max-error-rate')).toThrow(
      'max-error-rate: "150%" is out of range (use 0..1 or 0%..100%)',
    );
    expect(() => parseRate('1.01', '--max-error-rate')).toThrow(
      '--max-error-rate: "1.01" is out of range (use 0..1 or 0%..100%)',
    );
  });

  it('throws a ConfigError with code config', () => {
    try {
      parseRate('x', '--max-failure-rate');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).code).toBe('config');
    }
  });
});

describe('formatRate', () => {
  it.each([
    [0, '0%'],
    [0.125, '12.5%'],
    [1 / 3, '33.33%'],
    [1, '100%'],
    [0.05, '5%'],
    [0.0000123, '0.0012%'],
  ])('formats %d as %s', (rate, text) => {
    expect(formatRate(rate)).toBe(text);
  });
});
