import { describe, expect, it } from 'vitest';
import { deepEqual, evaluateAssertion, evaluateCase } from './assertions.js';
import type { Assertion, AssertionResult } from './types.js';

const outputs = {
  answer: 'Your refund was issued on Monday.',
  category: 'billing',
  confidence: 0.91,
  tags: ['refund', { kind: 'card' }],
  meta: { lang: 'en', source: null },
  empty: null,
  zero: 0,
};

function check(assertion: Assertion, from: Record<string, unknown> | null = outputs): AssertionResult {
  return evaluateAssertion(assertion, from);
}

describe('deepEqual', () => {
  it.each<[string, unknown, unknown, boolean]>([
    ['same strings', 'a', 'a', true],
    ['different strings', 'a', 'b', false],
    ['integer and float of the same value', 1, 1.0, true],
    ['0 and -0', 0, -0, true],
    ['NaN and NaN', NaN, NaN, true],
    ['number and numeric string', 1, '1', false],
    ['null and null', null, null, true],
    ['null and undefined', null, undefined, false],
    ['null and empty object', null, {}, false],
    ['objects in another key order', { a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 }, true],
    ['object with an extra key', { a: 1 }, { a: 1, b: 2 }, false],
    ['object with a key set to undefined vs missing', { a: undefined }, { b: undefined }, false],
    ['arrays in the same order', [1, { x: 'y' }], [1, { x: 'y' }], true],
    ['arrays in another order', [1, 2], [2, 1], false],
    ['arrays of different lengths', [1], [1, 1], false],
    ['array and object with index keys', [1], { 0: 1 }, false],
    ['empty array and empty object', [], {}, false],
    ['true and 1', true, 1, false],
  ])('%s -> %s', (_name, a, b, equal) => {
    expect(deepEqual(a, b)).toBe(equal);
    expect(deepEqual(b, a)).toBe(equal);
  });
});

describe('deepEqual at any depth', () => {
  const nest = (depth: number, leaf: unknown): unknown => {
    let value = leaf;
    for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { k: value };
    return value;
  };

  it('compares 100,000-level nestings without overflowing the stack', () => {
    expect(deepEqual(nest(100_000, 1), nest(100_000, 1))).toBe(true);
    expect(deepEqual(nest(100_000, 1), nest(100_000, 2))).toBe(false);
    expect(deepEqual(nest(100_000, 1), nest(99_999, 1))).toBe(false);
  });

  it('treats __proto__ and constructor as ordinary keys', () => {
    const parsed = JSON.parse('{"__proto__": {"x": 1}, "constructor": 2}') as unknown;
    expect(deepEqual(parsed, JSON.parse('{"constructor": 2, "__proto__": {"x": 1}}'))).toBe(true);
    expect(deepEqual(parsed, JSON.parse('{"__proto__": {"x": 2}, "constructor": 2}'))).toBe(false);
    expect(deepEqual(parsed, { constructor: 2 })).toBe(false);
  });
});

describe('evaluateAssertion', () => {
  it('equals and not_equals use deep equality', () => {
    expect(check({ output: 'category', op: 'equals', value: 'billing' }).passed).toBe(true);
    expect(check({ output: 'category', op: 'equals', value: 'shipping' })).toEqual({
      output: 'category',
      op: 'equals',
      expected: 'shipping',
      actual: 'billing',
      passed: false,
    });
    expect(check({ output: 'meta', op: 'equals', value: { source: null, lang: 'en' } }).passed).toBe(true);
    expect(check({ output: 'category', op: 'not_equals', value: 'shipping' }).passed).toBe(true);
    expect(check({ output: 'zero', op: 'not_equals', value: 0 }).passed).toBe(false);
    expect(check({ output: 'empty', op: 'equals', value: null }).passed).toBe(true);
  });

  it('contains and not_contains: substring, list element, object key', () => {
    expect(check({ output: 'answer', op: 'contains', value: 'refund' }).passed).toBe(true);
    expect(check({ output: 'answer', op: 'contains', value: 'Refund' }).passed).toBe(false);
    expect(check({ output: 'answer', op: 'not_contains', value: 'sorry' }).passed).toBe(true);
    expect(check({ output: 'answer', op: 'not_contains', value: 'refund' }).passed).toBe(false);
    expect(check({ output: 'tags', op: 'contains', value: { kind: 'card' } }).passed).toBe(true);
    expect(check({ output: 'tags', op: 'contains', value: 'card' }).passed).toBe(false);
    expect(check({ output: 'tags', op: 'not_contains', value: 'shipping' }).passed).toBe(true);
    expect(check({ output: 'meta', op: 'contains', value: 'lang' }).passed).toBe(true);
    expect(check({ output: 'meta', op: 'contains', value: 'en' }).passed).toBe(false);
    expect(check({ output: 'meta', op: 'not_contains', value: 'source' }).passed).toBe(false);
  });

  it('contains on the wrong types fails with a message, for not_contains too', () => {
    expect(check({ output: 'confidence', op: 'contains', value: '9' })).toMatchObject({
      passed: false,
      message: 'contains needs a string, list or object output (got number 0.91)',
    });
    expect(check({ output: 'confidence', op: 'not_contains', value: '9' }).passed).toBe(false);
    expect(check({ output: 'answer', op: 'contains', value: 5 })).toMatchObject({
      passed: false,
      message: 'cannot look for number 5 in a string output; use a string value',
    });
    expect(check({ output: 'meta', op: 'not_contains', value: 1 })).toMatchObject({
      passed: false,
      message: 'an object output contains keys: the value must be a key name (got number 1)',
    });
    expect(check({ output: 'empty', op: 'contains', value: 'x' }).message).toBe(
      'contains needs a string, list or object output (got null)',
    );
  });

  it('matches tests a regular expression on a string', () => {
    expect(check({ output: 'answer', op: 'matches', value: 'refund .* Monday' }).passed).toBe(true);
    expect(check({ output: 'answer', op: 'matches', value: '^refund' }).passed).toBe(false);
    expect(check({ output: 'answer', op: 'matches', value: '/^YOUR/i' }).passed).toBe(true);
    expect(check({ output: 'confidence', op: 'matches', value: '0\\.9' })).toMatchObject({
      passed: false,
      message: 'matches needs a string output (got number 0.91)',
    });
    expect(check({ output: 'answer', op: 'matches', value: '(' })).toMatchObject({
      passed: false,
      message: 'invalid regular expression: missing closing ): `(`',
    });
    expect(check({ output: 'answer', op: 'matches', value: 1 }).message).toBe(
      'the pattern must be a string (got number 1)',
    );
  });

  it('matches runs in linear time: ^(A+)+$ on long outputs is answered', () => {
    const pattern = { output: 'answer', op: 'matches', value: '^(A+)+$' } as const;
    const long = 'A'.repeat(100 * 1024);
    const results = [
      check(pattern, { answer: `${'A'.repeat(40)}!` }),
      check(pattern, { answer: `${long}!` }),
      check(pattern, { answer: long }),
      check({ ...pattern, value: '(a|aa)*$' }, { answer: `${'a'.repeat(100_000)}b` }),
    ];
    expect(results.map((r) => r.passed)).toEqual([false, false, true, true]);
  });

  it('matches a __proto__ output as data', () => {
    const parsed = JSON.parse('{"__proto__": "refund"}') as Record<string, unknown>;
    expect(check({ output: '__proto__', op: 'matches', value: '^ref' }, parsed).passed).toBe(true);
    expect(check({ output: '__proto__', op: 'matches', value: '^ref' }, {})).toMatchObject({
      passed: false,
      message: 'output "__proto__" is missing',
    });
  });

  it('gte and lte compare numbers only', () => {
    expect(check({ output: 'confidence', op: 'gte', value: 0.91 }).passed).toBe(true);
    expect(check({ output: 'confidence', op: 'gte', value: 0.95 }).passed).toBe(false);
    expect(check({ output: 'confidence', op: 'lte', value: 0.91 }).passed).toBe(true);
    expect(check({ output: 'confidence', op: 'lte', value: 0.5 }).passed).toBe(false);
    expect(check({ output: 'confidence', op: 'gte', value: 0.5 }, { confidence: '0.9' })).toMatchObject({
      passed: false,
      message: 'gte needs a number output (got a string)',
    });
    expect(check({ output: 'confidence', op: 'lte', value: '1' })).toMatchObject({
      passed: false,
      message: 'the bound must be a finite number (got a string)',
    });
  });

  it('exists: present and not null; false asserts absence', () => {
    expect(check({ output: 'answer', op: 'exists' })).toEqual({
      output: 'answer',
      op: 'exists',
      expected: true,
      actual: outputs.answer,
      passed: true,
    });
    expect(check({ output: 'zero', op: 'exists', value: true }).passed).toBe(true);
    expect(check({ output: 'empty', op: 'exists' })).toMatchObject({
      passed: false,
      message: 'output "empty" is null',
    });
    expect(check({ output: 'nope', op: 'exists' })).toMatchObject({
      passed: false,
      message: 'output "nope" is missing',
    });
    expect(check({ output: 'nope', op: 'exists', value: false })).toEqual({
      output: 'nope',
      op: 'exists',
      expected: false,
      actual: undefined,
      passed: true,
    });
    expect(check({ output: 'empty', op: 'exists', value: false }).passed).toBe(true);
    expect(check({ output: 'answer', op: 'exists', value: false })).toMatchObject({
      passed: false,
      message: 'output "answer" exists',
    });
  });

  it('a missing output fails every op but exists, with actual undefined', () => {
    for (const op of ['equals', 'not_equals', 'contains', 'not_contains', 'matches', 'gte', 'lte'] as const) {
      expect(check({ output: 'missing', op, value: 1 })).toEqual({
        output: 'missing',
        op,
        expected: 1,
        actual: undefined,
        passed: false,
        message: 'output "missing" is missing',
      });
    }
  });

  it('does not look up inherited properties', () => {
    expect(check({ output: 'toString', op: 'exists' }).passed).toBe(false);
    expect(check({ output: 'constructor', op: 'not_equals', value: 1 }).passed).toBe(false);
  });
});

describe('evaluateCase', () => {
  it('evaluates expected first, then assertions in order', () => {
    const results = evaluateCase(
      {
        expected: { category: 'billing', confidence: 0.5 },
        assertions: [
          { output: 'answer', op: 'contains', value: 'refund' },
          { output: 'confidence', op: 'gte', value: 0.8 },
        ],
      },
      outputs,
    );
    expect(results.map((r) => [r.output, r.op, r.passed])).toEqual([
      ['category', 'equals', true],
      ['confidence', 'equals', false],
      ['answer', 'contains', true],
      ['confidence', 'gte', true],
    ]);
    expect(results[1]).toEqual({
      output: 'confidence',
      op: 'equals',
      expected: 0.5,
      actual: 0.91,
      passed: false,
    });
  });

  it('fails every check when the execution has no outputs', () => {
    const results = evaluateCase(
      { expected: { category: 'billing' }, assertions: [{ output: 'answer', op: 'exists', value: false }] },
      null,
    );
    expect(results).toEqual([
      {
        output: 'category',
        op: 'equals',
        expected: 'billing',
        actual: undefined,
        passed: false,
        message: 'the execution has no outputs (it did not fulfill)',
      },
      {
        output: 'answer',
        op: 'exists',
        expected: false,
        actual: undefined,
        passed: false,
        message: 'the execution has no outputs (it did not fulfill)',
      },
    ]);
  });

  it('returns no results for a case with nothing to check', () => {
    expect(evaluateCase({ expected: {}, assertions: [] }, {})).toEqual([]);
  });
});
