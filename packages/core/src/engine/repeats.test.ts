import { describe, expect, it } from 'vitest';
import type { CaseRecord, CaseStatus } from '../types.js';
import { aggregateRepeats, caseRecords, isFlaky, repeatExternalId, repeatField } from './repeats.js';
import { slotUnit, unitSlot, unitsOf } from './units.js';

function repeat(
  index: number,
  k: number,
  passed: boolean,
  status: CaseStatus = passed ? 'FULFILLED' : 'REJECTED',
  finishedAt = `2026-01-01T00:00:0${k}.000Z`,
): CaseRecord {
  return {
    index,
    id: `case-${index}`,
    external_id: `vb-x-case-${index}-r${k}`,
    execution_id: status === 'CANCELLED' ? null : `exec-${index}-${k}`,
    status,
    passed,
    outputs: status === 'FULFILLED' ? { answer: `a${k}` } : null,
    error: passed
      ? null
      : { code: status === 'CANCELLED' ? 'INTERRUPTED' : 'NODE_EXECUTION', message: `m${k}` },
    assertions: [],
    attempts: 1,
    submitted_at: status === 'CANCELLED' ? null : '2026-01-01T00:00:00.000Z',
    finished_at: finishedAt,
    latency_ms: status === 'CANCELLED' ? null : k * 100,
    execution_detail_url: null,
  };
}

const three = { count: 3, minPass: 2 };

describe('aggregateRepeats', () => {
  it('passes with min-pass repeats, takes the first passing repeat as representative, lists every repeat', () => {
    const record = aggregateRepeats([repeat(4, 1, false), repeat(4, 2, true), repeat(4, 3, true)], three);
    expect(record).toMatchObject({
      index: 4,
      passed: true,
      status: 'FULFILLED',
      execution_id: 'exec-4-2',
      external_id: 'vb-x-case-4-r2',
      outputs: { answer: 'a2' },
      latency_ms: 200,
      finished_at: '2026-01-01T00:00:03.000Z',
    });
    expect(record.repeats).toEqual([
      {
        execution_id: 'exec-4-1',
        external_id: 'vb-x-case-4-r1',
        status: 'REJECTED',
        passed: false,
        latency_ms: 100,
      },
      {
        execution_id: 'exec-4-2',
        external_id: 'vb-x-case-4-r2',
        status: 'FULFILLED',
        passed: true,
        latency_ms: 200,
      },
      {
        execution_id: 'exec-4-3',
        external_id: 'vb-x-case-4-r3',
        status: 'FULFILLED',
        passed: true,
        latency_ms: 300,
      },
    ]);
  });

  it('fails below min-pass, showing the first failing repeat', () => {
    const record = aggregateRepeats([repeat(0, 1, true), repeat(0, 2, false), repeat(0, 3, false)], three);
    expect(record).toMatchObject({ passed: false, status: 'REJECTED', execution_id: 'exec-0-2' });
    expect(record.error?.message).toBe('m2');
  });

  it('min-pass defaults to every repeat when it equals the count', () => {
    const all = { count: 3, minPass: 3 };
    expect(aggregateRepeats([repeat(0, 1, true), repeat(0, 2, true), repeat(0, 3, false)], all).passed).toBe(
      false,
    );
    expect(aggregateRepeats([repeat(0, 1, true), repeat(0, 2, true), repeat(0, 3, true)], all).passed).toBe(
      true,
    );
  });

  it('reads as unfinished (CANCELLED) while interrupted repeats could still make the case pass', () => {
    const open = aggregateRepeats(
      [repeat(0, 1, true), repeat(0, 2, false), repeat(0, 3, false, 'CANCELLED')],
      three,
    );
    expect(open).toMatchObject({ passed: false, status: 'CANCELLED' });
    // Two real failures: the cancelled repeat cannot save it, so the record shows a failure that happened.
    const lost = aggregateRepeats(
      [repeat(0, 1, false), repeat(0, 2, false, 'CANCELLED'), repeat(0, 3, false)],
      three,
    );
    expect(lost).toMatchObject({ passed: false, status: 'REJECTED', execution_id: 'exec-0-1' });
  });

  it('counts repeats the run never reached as open', () => {
    expect(aggregateRepeats([repeat(0, 1, true), repeat(0, 2, false)], three).status).toBe('REJECTED');
    expect(aggregateRepeats([repeat(0, 1, true), repeat(0, 2, false, 'CANCELLED')], three).status).toBe(
      'CANCELLED',
    );
  });

  it('refuses a case without repeats', () => {
    expect(() => aggregateRepeats([], three)).toThrow(RangeError);
  });
});

describe('isFlaky', () => {
  it('is true only when some repeats passed and some failed; cancelled ones count for neither', () => {
    const r = (passed: boolean, status: CaseStatus = passed ? 'FULFILLED' : 'REJECTED') => ({
      passed,
      status,
    });
    expect(isFlaky([r(true), r(false)])).toBe(true);
    expect(isFlaky([r(true), r(false, 'TIMED_OUT')])).toBe(true);
    expect(isFlaky([r(true), r(true)])).toBe(false);
    expect(isFlaky([r(false), r(false)])).toBe(false);
    expect(isFlaky([r(true), r(false, 'CANCELLED')])).toBe(false);
    expect(isFlaky([])).toBe(false);
  });
});

describe('caseRecords', () => {
  it('groups consecutive repeats of one index into one record each, in order', async () => {
    const records = [
      repeat(0, 1, true),
      repeat(0, 2, true),
      repeat(0, 3, false),
      repeat(2, 1, false),
      repeat(2, 2, false),
      repeat(2, 3, true),
    ];
    const out: CaseRecord[] = [];
    for await (const record of caseRecords(records, three)) out.push(record);
    expect(out.map((r) => [r.index, r.passed, r.repeats?.length])).toEqual([
      [0, true, 3],
      [2, false, 3],
    ]);
  });

  it('passes records through unchanged without repeats', async () => {
    const plain = [repeat(0, 1, true), repeat(1, 1, false)];
    const out: CaseRecord[] = [];
    for await (const record of caseRecords(plain, null)) out.push(record);
    expect(out).toEqual(plain);
  });
});

describe('units and ids', () => {
  it('numbers the repeats of a case by consecutive slots, and maps them back', () => {
    const c = { index: 7, id: 'c7', inputs: [], expected: {}, assertions: [], metadata: {} };
    const units = unitsOf(c, three);
    expect(units.map((u) => [u.repeat, u.slot, u.flown.index, u.flown.id])).toEqual([
      [1, 21, 21, 'c7'],
      [2, 22, 22, 'c7'],
      [3, 23, 23, 'c7'],
    ]);
    expect(slotUnit(23, 3)).toEqual({ index: 7, repeat: 3 });
    expect(unitSlot(7, 2, 3)).toBe(22);
    const [once] = unitsOf(c, null);
    expect(once).toMatchObject({ repeat: 1, slot: 7 });
    expect(once!.flown).toBe(c);
  });

  it('suffixes external ids only when a case runs more than once', () => {
    expect(repeatExternalId('vb-x-a', 2, 3)).toBe('vb-x-a-r2');
    expect(repeatExternalId('vb-x-a', 1, 1)).toBe('vb-x-a');
    expect(repeatField(null)).toEqual({});
    expect(repeatField(three)).toEqual({ repeat: { count: 3, min_pass: 2 } });
  });
});
