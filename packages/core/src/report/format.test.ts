import { describe, expect, it } from 'vitest';
import type { CaseRecord } from '../types.js';
import { describeAssertion, failureReason, truncate } from './format.js';

const base: CaseRecord = {
  index: 0,
  id: 'a',
  external_id: 'vb-a',
  execution_id: 'e',
  status: 'FULFILLED',
  passed: false,
  outputs: {},
  error: null,
  assertions: [],
  attempts: 1,
  submitted_at: null,
  finished_at: '2026-01-01T00:00:00.000Z',
  latency_ms: null,
  execution_detail_url: null,
};

describe('truncate', () => {
  it('cuts with an ellipsis and never splits a surrogate pair', () => {
    expect(truncate('abcdef', 6)).toBe('abcdef');
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('ab😀cd', 4)).toBe('ab…');
  });
});

describe('describeAssertion', () => {
  it('shows expected, actual, a missing output and an evaluation problem', () => {
    expect(describeAssertion({ output: 'score', op: 'gte', expected: 0.8, actual: 0.5, passed: false })).toBe(
      'score gte 0.8 (actual: 0.5)',
    );
    expect(
      describeAssertion({ output: 'answer', op: 'exists', expected: true, actual: undefined, passed: false }),
    ).toBe('answer exists true (actual: missing)');
    expect(
      describeAssertion({
        output: 'a',
        op: 'matches',
        expected: '[',
        actual: 'x',
        passed: false,
        message: 'bad regex',
      }),
    ).toBe('a matches "[" (could not evaluate: bad regex)');
  });
});

describe('failureReason', () => {
  it('prefers the error message, then the failed assertions, then the status', () => {
    expect(failureReason({ ...base, status: 'REJECTED', error: { message: 'boom', code: 'x' } })).toBe(
      'boom',
    );
    const assertions = [
      { output: 'a', op: 'equals' as const, expected: 1, actual: 2, passed: false },
      { output: 'b', op: 'equals' as const, expected: 1, actual: 1, passed: true },
      { output: 'c', op: 'equals' as const, expected: 'x', actual: 'y', passed: false },
    ];
    expect(failureReason({ ...base, assertions })).toBe('a equals 1 (actual: 2); c equals "x" (actual: "y")');
    expect(failureReason({ ...base, assertions }, { firstOnly: true })).toBe(
      'a equals 1 (actual: 2) (+1 more)',
    );
    expect(failureReason({ ...base, status: 'CANCELLED' })).toBe(
      'the run was interrupted before the execution finished',
    );
  });
});
