/**
 * Expectation and assertion evaluation: turns a case's `expected` map and `assert` list, plus the outputs of
 * its execution, into {@link AssertionResult}s. Nothing here takes more than linear time in the outputs' size:
 * patterns run by RE2 (`pattern.ts`) and equality is iterative, so a hostile output cannot freeze a run. Evaluation never throws: a check that cannot be evaluated
 * (a missing output, a value of the wrong type, a bad regular expression) is `passed: false` with a `message`.
 */
import { compilePattern, type Pattern } from './pattern.js';
import type { Assertion, AssertionResult, Case } from './types.js';

/**
 * Deep equality of JSON-like values: objects compare by their own enumerable keys, in any order; arrays
 * compare element by element, in order; numbers compare by value (`0` equals `-0`, `NaN` equals `NaN`).
 * An array never equals a non-array object, and `null` equals only `null`. Iterative: any depth is safe.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  const pending: [unknown, unknown][] = [[a, b]];
  for (let pair = pending.pop(); pair !== undefined; pair = pending.pop()) {
    const [left, right] = pair;
    if (left === right) continue;
    if (typeof left === 'number' && typeof right === 'number') {
      if (Number.isNaN(left) && Number.isNaN(right)) continue;
      return false;
    }
    if (typeof left !== 'object' || typeof right !== 'object' || left === null || right === null)
      return false;
    const leftIsArray = Array.isArray(left);
    if (leftIsArray !== Array.isArray(right)) return false;
    if (leftIsArray) {
      const l = left as readonly unknown[];
      const r = right as readonly unknown[];
      if (l.length !== r.length) return false;
      for (let i = 0; i < l.length; i++) pending.push([l[i], r[i]]);
      continue;
    }
    const l = left as Readonly<Record<string, unknown>>;
    const r = right as Readonly<Record<string, unknown>>;
    const keys = Object.keys(l);
    if (keys.length !== Object.keys(r).length) return false;
    for (const key of keys) {
      if (!Object.hasOwn(r, key)) return false;
      pending.push([l[key], r[key]]);
    }
  }
  return true;
}

/**
 * Evaluates `expected` (each entry as an `equals` check by {@link deepEqual}), then each assertion, in order.
 *
 * `outputs` is the execution's `{name: value}` map, or `null` when the execution did not fulfill; then every
 * check fails with a message. `actual` is `undefined` in a result whose output is missing (the JSONL writer
 * drops the key). `actual` is never truncated: report writers shorten it for display.
 */
export function evaluateCase(
  c: Pick<Case, 'expected' | 'assertions'>,
  outputs: Readonly<Record<string, unknown>> | null,
): AssertionResult[] {
  const results: AssertionResult[] = [];
  for (const [output, expected] of Object.entries(c.expected)) {
    results.push(evaluateAssertion({ output, op: 'equals', value: expected }, outputs));
  }
  for (const assertion of c.assertions) results.push(evaluateAssertion(assertion, outputs));
  return results;
}

/**
 * Evaluates one assertion against an execution's outputs (`null` when it did not fulfill). Never throws.
 */
export function evaluateAssertion(
  assertion: Assertion,
  outputs: Readonly<Record<string, unknown>> | null,
): AssertionResult {
  const { output, op } = assertion;
  const expected = op === 'exists' ? (assertion.value ?? true) : assertion.value;
  const present = outputs !== null && Object.hasOwn(outputs, output);
  const actual = present ? outputs[output] : undefined;
  const result = (passed: boolean, message?: string): AssertionResult =>
    message === undefined
      ? { output, op, expected, actual, passed }
      : { output, op, expected, actual, passed, message };

  if (outputs === null) return result(false, 'the execution has no outputs (it did not fulfill)');
  if (op === 'exists') {
    const exists = present && actual !== null;
    if (expected === false) return result(!exists, exists ? `output "${output}" exists` : undefined);
    return result(exists, exists ? undefined : `output "${output}" is ${present ? 'null' : 'missing'}`);
  }
  if (!present) return result(false, `output "${output}" is missing`);

  switch (op) {
    case 'equals':
      return result(deepEqual(actual, expected));
    case 'not_equals':
      return result(!deepEqual(actual, expected));
    case 'contains':
    case 'not_contains': {
      const found = containsValue(actual, expected);
      if (typeof found === 'string') return result(false, found);
      return result(op === 'contains' ? found : !found);
    }
    case 'matches': {
      if (typeof expected !== 'string')
        return result(false, `the pattern must be a string (got ${kind(expected)})`);
      if (typeof actual !== 'string')
        return result(false, `matches needs a string output (got ${kind(actual)})`);
      let pattern: Pattern;
      try {
        pattern = compilePattern(expected);
      } catch (error) {
        return result(false, `invalid regular expression: ${(error as Error).message}`);
      }
      return result(pattern.test(actual));
    }
    case 'gte':
    case 'lte': {
      if (typeof expected !== 'number' || !Number.isFinite(expected)) {
        return result(false, `the bound must be a finite number (got ${kind(expected)})`);
      }
      if (typeof actual !== 'number' || !Number.isFinite(actual)) {
        return result(false, `${op} needs a number output (got ${kind(actual)})`);
      }
      return result(op === 'gte' ? actual >= expected : actual <= expected);
    }
  }
}

/** `true`/`false` when the question makes sense, a message explaining why not otherwise. */
function containsValue(actual: unknown, needle: unknown): boolean | string {
  if (typeof actual === 'string') {
    if (typeof needle !== 'string')
      return `cannot look for ${kind(needle)} in a string output; use a string value`;
    return actual.includes(needle);
  }
  if (Array.isArray(actual)) return actual.some((item) => deepEqual(item, needle));
  if (typeof actual === 'object' && actual !== null) {
    if (typeof needle !== 'string')
      return `an object output contains keys: the value must be a key name (got ${kind(needle)})`;
    return Object.hasOwn(actual, needle);
  }
  return `contains needs a string, list or object output (got ${kind(actual)})`;
}

/** A short description of a value's kind for messages. */
function kind(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${value.toString()}`;
  }
  return typeof value;
}
