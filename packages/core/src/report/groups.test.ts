import { describe, expect, it } from 'vitest';
import type { CaseRecord } from '../types.js';
import { FailureGroups, groupFailures } from './groups.js';

function rec(id: string, overrides: Partial<CaseRecord> = {}): CaseRecord {
  return {
    index: 0,
    id,
    external_id: `x-${id}`,
    execution_id: null,
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
    ...overrides,
  };
}

const contains = (expected: string, passed = false) =>
  ({ output: 'answer', op: 'contains', expected, actual: 'no', passed }) as const;

describe('FailureGroups', () => {
  it('groups by error code (status when there is none) and by failing assertion, ignoring passes', () => {
    const groups = groupFailures([
      rec('a', { status: 'REJECTED', error: { code: 'NODE_EXECUTION', message: 'boom' } }),
      rec('b', { status: 'REJECTED', error: { code: 'NODE_EXECUTION', message: 'bang' } }),
      rec('c', { status: 'TIMED_OUT' }),
      rec('d', { assertions: [contains('refund'), contains('sorry', true)] }),
      rec('e', { passed: true, assertions: [contains('refund', true)] }),
    ]);
    expect(groups).toEqual([
      {
        kind: 'error',
        reason: 'NODE_EXECUTION',
        status: 'REJECTED',
        count: 2,
        caseIds: ['a', 'b'],
        example: 'boom',
      },
      { kind: 'error', reason: 'TIMED_OUT', status: 'TIMED_OUT', count: 1, caseIds: ['c'], example: null },
      {
        kind: 'expectation',
        reason: 'answer contains "refund"',
        status: null,
        count: 1,
        caseIds: ['d'],
        example: null,
      },
    ]);
  });

  it('counts a case under each expectation it fails, keeps the first five ids, orders by count', () => {
    const g = new FailureGroups();
    for (let i = 0; i < 8; i++) g.add(rec(`r${i}`, { assertions: [contains('refund')] }));
    g.add(rec('both', { assertions: [contains('sorry'), contains('refund')] }));
    const groups = g.groups();
    expect(g.cases).toBe(9);
    expect(groups.map((x) => [x.reason, x.count])).toEqual([
      ['answer contains "refund"', 9],
      ['answer contains "sorry"', 1],
    ]);
    expect(groups[0]?.caseIds).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
  });

  it('folds an expectation with a different value per case into one group', () => {
    const groups = groupFailures(
      Array.from({ length: 30 }, (_, i) =>
        rec(`c${i}`, {
          assertions: [{ output: 'answer', op: 'equals', expected: `v${i}`, actual: 'x', passed: false }],
        }),
      ),
    );
    expect(groups).toEqual([
      {
        kind: 'expectation',
        reason: 'answer equals (30 different expected values)',
        status: null,
        count: 30,
        caseIds: ['c0', 'c1', 'c2', 'c3', 'c4'],
        example: null,
      },
    ]);
  });

  it('counts a case once in a folded family even when it fails two of its values', () => {
    const groups = groupFailures(
      Array.from({ length: 12 }, (_, i) =>
        rec(`c${i}`, { assertions: [contains(`a${i}`), contains(`b${i}`)] }),
      ),
    );
    expect(groups.map((x) => [x.reason, x.count])).toEqual([
      ['answer contains (24 different expected values)', 12],
    ]);
  });

  it('stays bounded with 5,000 distinct error codes, still counting every case', () => {
    const g = new FailureGroups();
    for (let i = 0; i < 5_000; i++) {
      g.add(rec(`c${i}`, { status: 'SUBMIT_FAILED', error: { code: `E${i}`, message: 'm' } }));
    }
    const groups = g.groups();
    expect(groups.reduce((n, x) => n + x.count, 0)).toBe(5_000);
    expect(groups.find((x) => x.reason === 'SUBMIT_FAILED (other codes)')?.count).toBe(4_000);
    expect(groups.length).toBe(1_001);
  });
});
