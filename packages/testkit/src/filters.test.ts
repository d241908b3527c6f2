import { describe, expect, it } from 'vitest';
import { parseFilters } from './filters.js';
import type { FakeExecution } from './types.js';

const e = (externalId: string | null): FakeExecution => ({ externalId }) as FakeExecution;
const byId = (value: string): unknown => ({
  type: 'LOGICAL_CONDITION',
  lhs_variable: { type: 'STRING', value: 'external_id' },
  operator: '=',
  rhs_variable: { type: 'STRING', value },
});
const other = {
  type: 'LOGICAL_CONDITION',
  lhs_variable: { value: 'label' },
  operator: '=',
  rhs_variable: { value: 'x' },
};
const group = (conditions: unknown[], combinator = 'AND', negated = false): string =>
  JSON.stringify({ type: 'LOGICAL_CONDITION_GROUP', conditions, combinator, negated });

function matches(filters: string, ids: (string | null)[]): (string | null)[] {
  const parsed = parseFilters(filters);
  if (!parsed.ok) throw new Error(parsed.detail);
  return ids.filter((id) => parsed.filter.matches(e(id)));
}

describe('parseFilters', () => {
  const ids = ['a', 'b', null];

  it('selects by external_id =, and names it for the direct lookup', () => {
    expect(matches(group([byId('a')]), ids)).toEqual(['a']);
    const parsed = parseFilters(group([other, byId('b')]));
    expect(parsed.ok && parsed.filter.externalId).toBe('b');
  });

  it('combines with OR and negation', () => {
    expect(matches(group([byId('a'), byId('b')], 'OR'), ids)).toEqual(['a', 'b']);
    expect(matches(group([byId('a')], 'AND', true), ids)).toEqual(['b', null]);
    const negatedOr = parseFilters(group([byId('a'), byId('b')], 'OR', true));
    expect(negatedOr.ok && negatedOr.filter.externalId).toBeUndefined();
  });

  it('never excludes on a condition it does not know, even negated (a superset of Vellum’s answer)', () => {
    expect(matches(group([other]), ids)).toEqual(ids);
    expect(matches(group([other], 'AND', true), ids)).toEqual(ids);
    // NOT (unknown AND a): 'a' might be excluded by Vellum or not, so it stays.
    expect(matches(group([other, byId('a')], 'AND', true), ids)).toEqual(ids);
    // NOT (unknown OR a): 'a' is excluded under every reading of the unknown condition.
    expect(matches(group([other, byId('a')], 'OR', true), ids)).toEqual(['b', null]);
  });

  it('answers a 400 detail naming the problem', () => {
    expect(parseFilters('{x')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^filters: Invalid JSON/),
    });
    expect(parseFilters('{"type":"X"}')).toEqual({
      ok: false,
      detail: 'filters.type: must be LOGICAL_CONDITION_GROUP or LOGICAL_CONDITION.',
    });
    expect(parseFilters(group([byId('a')], 'XOR'))).toEqual({
      ok: false,
      detail: 'filters.combinator: must be AND or OR.',
    });
    expect(parseFilters(JSON.stringify({ type: 'LOGICAL_CONDITION_GROUP', conditions: [5] }))).toEqual({
      ok: false,
      detail: 'filters.conditions[0]: must be an object.',
    });
  });
});
