/**
 * One case object (a JSONL line, a JSON array element, or a CSV row turned into an object) checked against
 * SPEC section 3 and turned into a {@link Case}. Every problem is reported, by field. The zod schemas are the
 * contract and word every problem; a case that plainly fits them (a few type checks, no allocation) is taken
 * without building zod's objects, which is most of the cost of a valid case.
 */
import { z } from 'zod';
import { compilePattern } from '../pattern.js';
import { ASSERTION_OPS, type Assertion, type Case, type WorkflowInput } from '../types.js';
import { checkInputs } from './infer.js';
import { describe, fieldPath, zodIssues, type FieldIssue, type PathPart } from './issues.js';
import { inspectValues, valuesAreClean } from './values.js';

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
  const values = valuesAreClean(raw) ? CLEAN : inspectValues(raw);
  if (values.tooDeep) return { issues: values.issues };
  const issues: FieldIssue[] = [];
  const top = fitsCase(raw)
    ? { success: true as const, data: { id: raw['id'] as string | undefined } }
    : CaseSchema.safeParse(raw, { reportInput: true });
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

const CLEAN = { issues: [], tooDeep: false } as const;

/** True when {@link CaseSchema} accepts `raw` (false: ask it, for the words). */
function fitsCase(raw: Record<string, unknown>): boolean {
  for (const key in raw) {
    if (!Object.hasOwn(raw, key)) continue;
    const value = raw[key];
    switch (key) {
      case 'id':
        if (typeof value !== 'string' || value.length === 0) return false;
        break;
      case 'inputs':
        break;
      case 'expected':
      case 'metadata':
        if (!isPlainObject(value)) return false;
        break;
      case 'assert':
        if (!Array.isArray(value)) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** True when {@link AssertionSchema} accepts `item`. */
function fitsAssertion(item: unknown): item is { output: string; op: Assertion['op']; value?: unknown } {
  if (!isPlainObject(item)) return false;
  for (const key in item) {
    if (Object.hasOwn(item, key) && key !== 'output' && key !== 'op' && key !== 'value') return false;
  }
  const { output, op } = item;
  return (
    typeof output === 'string' && output.length > 0 && (ASSERTION_OPS as readonly unknown[]).includes(op)
  );
}

function checkAssertion(
  item: unknown,
  path: PathPart[],
): { assertion: Assertion } | { issues: FieldIssue[] } {
  let output: string;
  let op: Assertion['op'];
  if (fitsAssertion(item)) {
    ({ output, op } = item);
  } else {
    const parsed = AssertionSchema.safeParse(item, { reportInput: true });
    if (!parsed.success) return { issues: zodIssues(parsed.error, path, ASSERTION_KEYS) };
    ({ output, op } = parsed.data);
  }
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
