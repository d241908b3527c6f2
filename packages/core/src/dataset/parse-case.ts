/**
 * One case object (a JSONL line, a JSON array element, or a CSV row turned into an object) checked against
 * SPEC section 3 and turned into a {@link Case}. Every problem is reported, by field.
 */
import { z } from 'zod';
import { compilePattern } from '../pattern.js';
import { ASSERTION_OPS, type Assertion, type Case, type WorkflowInput } from '../types.js';
import { checkInputs } from './infer.js';
import { describe, fieldPath, zodIssues, type FieldIssue, type PathPart } from './issues.js';
import { inspectValues } from './values.js';

const CASE_KEYS = ['id', 'inputs', 'expected', 'assert', 'metadata'] as const;
const ASSERTION_KEYS = ['output', 'op', 'value'] as const;

const CaseSchema = z.strictObject({
  id: z.string().min(1).optional(),
  inputs: z.unknown().optional(),
  expected: z.record(z.string(), z.unknown()).optional(),
  assert: z.array(z.unknown()).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

const AssertionSchema = z.strictObject({
  output: z.string().min(1),
  op: z.enum(ASSERTION_OPS),
  value: z.unknown().optional(),
});

/**
 * Validates one case object. `index` is the case's 0-based position in the file; it is also the default id.
 * The case's own objects are kept as parsed (zod only checks them): a key like `__proto__` in `expected` or
 * `metadata` stays a key, and is checked like any other.
 *
 * @returns the case, or every problem found in it (field paths like `inputs.history[0].role`).
 */
export function parseCase(raw: unknown, index: number): { case: Case } | { issues: FieldIssue[] } {
  if (!isPlainObject(raw)) {
    return {
      issues: [{ field: null, message: `must be a JSON object with "inputs" (got ${describe(raw)})` }],
    };
  }
  const values = inspectValues(raw);
  if (values.tooDeep) return { issues: values.issues };
  const issues: FieldIssue[] = [];
  const top = CaseSchema.safeParse(raw, { reportInput: true });
  if (!top.success) issues.push(...zodIssues(top.error, [], CASE_KEYS));

  let inputs: WorkflowInput[] = [];
  if (raw['inputs'] === undefined) {
    issues.push({
      field: 'inputs',
      message: 'is required: an object of input values, or a list of {name, type, value}',
    });
  } else {
    const checked = checkInputs(raw['inputs']);
    inputs = checked.inputs;
    issues.push(...checked.issues);
  }

  const assertions: Assertion[] = [];
  if (Array.isArray(raw['assert'])) {
    raw['assert'].forEach((item: unknown, i) => {
      const checked = checkAssertion(item, ['assert', i]);
      if ('issues' in checked) issues.push(...checked.issues);
      else assertions.push(checked.assertion);
    });
  }

  if (values.issues.length > 0 || issues.length > 0 || !top.success) {
    return { issues: merge(values.issues, issues) };
  }
  // zod's record output is a copy made by assignment, which drops a `__proto__` key: keep the parsed objects.
  return {
    case: {
      index,
      id: top.data.id ?? String(index),
      inputs,
      expected: (raw['expected'] as Record<string, unknown> | undefined) ?? {},
      assertions,
      metadata: (raw['metadata'] as Record<string, unknown> | undefined) ?? {},
    },
  };
}

function checkAssertion(
  item: unknown,
  path: PathPart[],
): { assertion: Assertion } | { issues: FieldIssue[] } {
  const parsed = AssertionSchema.safeParse(item, { reportInput: true });
  if (!parsed.success) return { issues: zodIssues(parsed.error, path, ASSERTION_KEYS) };
  const { output, op } = parsed.data;
  const hasValue = Object.hasOwn(item as object, 'value');
  const value = (item as { value?: unknown }).value;
  const valuePath = fieldPath([...path, 'value']);
  const issue = (message: string): { issues: FieldIssue[] } => ({ issues: [{ field: valuePath, message }] });
  if (op === 'exists') {
    if (hasValue && typeof value !== 'boolean')
      return issue(`must be true or false for exists (got ${describe(value)})`);
  } else if (!hasValue) {
    return issue(`is required for op "${op}"`);
  } else if (op === 'matches') {
    if (typeof value !== 'string')
      return issue(`must be a regular expression string (got ${describe(value)})`);
    try {
      compilePattern(value);
    } catch (error) {
      return issue(`is not a supported regular expression: ${(error as Error).message}`);
    }
  } else if ((op === 'gte' || op === 'lte') && (typeof value !== 'number' || !Number.isFinite(value))) {
    return issue(`must be a number for op "${op}" (got ${describe(value)})`);
  }
  return { assertion: hasValue ? { output, op, value } : { output, op } };
}

/** A non-finite number is reported by the value walk; a type check of the same field would say it again. */
function merge(walk: readonly FieldIssue[], checks: readonly FieldIssue[]): FieldIssue[] {
  const fields = new Set(walk.map((i) => i.field));
  return [...walk, ...checks.filter((i) => !fields.has(i.field))];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
