/**
 * Typed workflow inputs from a case's `inputs` (SPEC section 3): an object of values whose types are inferred,
 * or a list of raw `{name, type, value}`. Values are passed on as parsed (never copied key by key), so keys
 * like `__proto__` stay data.
 */
import { z } from 'zod';
import { INPUT_TYPES, type InputType, type WorkflowInput } from '../types.js';
import { describe, fieldPath, zodIssues, type FieldIssue, type PathPart } from './issues.js';

/** Chat roles accepted in a `CHAT_HISTORY` input. */
export const CHAT_ROLES = ['SYSTEM', 'USER', 'ASSISTANT', 'FUNCTION'] as const;

const RAW_INPUT_KEYS = ['name', 'type', 'value'] as const;

const RawInputSchema = z.strictObject({
  name: z.string().min(1),
  type: z.enum(INPUT_TYPES),
  value: z.unknown().optional(),
});

const ChatMessageSchema = z.looseObject({
  role: z.enum(CHAT_ROLES),
  text: z.string().optional(),
  content: z.unknown().optional(),
});
const ChatHistorySchema = z.array(ChatMessageSchema);
const MediaSchema = z.looseObject({ src: z.string().min(1) });

/**
 * Infers the typed inputs of an `inputs` object (SPEC section 3): string -> `STRING`; finite number -> `NUMBER`;
 * a non-empty list whose items are all objects with a valid `role` -> `CHAT_HISTORY`; an object with exactly
 * the keys `type` and `value` -> that explicit type; anything else -> `JSON`.
 *
 * @throws TypeError naming every problem when an input cannot be used (see `parseCase` for the checks).
 */
export function inferInputs(inputs: Record<string, unknown>): WorkflowInput[] {
  const checked = checkInputs(inputs);
  if (checked.issues.length > 0) {
    throw new TypeError(checked.issues.map((i) => `${i.field ?? 'inputs'}: ${i.message}`).join('; '));
  }
  return checked.inputs;
}

/** The typed inputs of a case's `inputs` value, or every problem found in it. */
export function checkInputs(value: unknown): { inputs: WorkflowInput[]; issues: FieldIssue[] } {
  const inputs: WorkflowInput[] = [];
  const issues: FieldIssue[] = [];
  if (Array.isArray(value)) {
    const names = new Map<string, number>();
    value.forEach((item: unknown, i) => {
      const path: PathPart[] = ['inputs', i];
      const parsed = fitsRawInput(item)
        ? { success: true as const, data: item }
        : RawInputSchema.safeParse(item, { reportInput: true });
      if (!parsed.success) {
        issues.push(...zodIssues(parsed.error, path, RAW_INPUT_KEYS));
        return;
      }
      const { name, type } = parsed.data;
      const first = names.get(name);
      if (first !== undefined) {
        issues.push({
          field: fieldPath([...path, 'name']),
          message: `duplicate input name "${name}" (also inputs[${first}])`,
        });
        return;
      }
      names.set(name, i);
      if (!Object.hasOwn(item as object, 'value')) {
        issues.push({ field: fieldPath([...path, 'value']), message: 'is required' });
        return;
      }
      const typed = checkTypedValue(type, parsed.data.value, [...path, 'value']);
      if (typed.length > 0) issues.push(...typed);
      else inputs.push({ name, type, value: parsed.data.value });
    });
    return { inputs, issues };
  }
  if (!isPlainObject(value)) {
    issues.push({
      field: 'inputs',
      message: `must be an object of input values, or a list of {name, type, value} (got ${describe(value)})`,
    });
    return { inputs, issues };
  }
  for (const name in value) {
    if (!Object.hasOwn(value, name)) continue;
    const input = value[name];
    if (name.trim() === '') {
      issues.push({ field: 'inputs', message: 'input names must not be empty' });
      continue;
    }
    const inferred = inferInput(name, input);
    if ('issues' in inferred) issues.push(...inferred.issues);
    else inputs.push(inferred.input);
  }
  return { inputs, issues };
}

function inferInput(name: string, value: unknown): { input: WorkflowInput } | { issues: FieldIssue[] } {
  if (typeof value === 'string') return { input: { name, type: 'STRING', value } };
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return { input: { name, type: 'NUMBER', value } };
    return { issues: [{ field: fieldPath(['inputs', name]), message: 'must be a finite number' }] };
  }
  const path: PathPart[] = ['inputs', name];
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 2 && keys.includes('type') && keys.includes('value')) {
      const type = isInputType(value['type'])
        ? { success: true as const, data: value['type'] }
        : z.enum(INPUT_TYPES).safeParse(value['type'], { reportInput: true });
      if (!type.success) return { issues: zodIssues(type.error, [...path, 'type'], []) };
      const typed = checkTypedValue(type.data, value['value'], [...path, 'value']);
      if (typed.length > 0) return { issues: typed };
      return { input: { name, type: type.data, value: value['value'] } };
    }
  }
  if (Array.isArray(value) && value.length > 0 && value.every((m) => isPlainObject(m) && 'role' in m)) {
    const history = fitsChatHistory(value)
      ? { success: true as const }
      : ChatHistorySchema.safeParse(value, { reportInput: true });
    if (history.success) return { input: { name, type: 'CHAT_HISTORY', value } };
    // Every item has a `role`: this is meant as a chat history, so a bad role is a mistake, not JSON.
    const issues = zodIssues(history.error, path, []);
    return {
      issues: issues.map((i) => ({
        ...i,
        message: `${i.message} (a list of messages with a "role" is a CHAT_HISTORY; to send it as JSON, write {"type": "JSON", "value": [...]})`,
      })),
    };
  }
  return { input: { name, type: 'JSON', value } };
}

function checkTypedValue(type: InputType, value: unknown, path: PathPart[]): FieldIssue[] {
  switch (type) {
    case 'STRING':
      return typeof value === 'string'
        ? []
        : [{ field: fieldPath(path), message: `must be a string for type STRING (got ${describe(value)})` }];
    case 'NUMBER':
      return typeof value === 'number' && Number.isFinite(value)
        ? []
        : [
            {
              field: fieldPath(path),
              message: `must be a finite number for type NUMBER (got ${describe(value)})`,
            },
          ];
    case 'JSON':
      return [];
    case 'CHAT_HISTORY': {
      if (fitsChatHistory(value)) return [];
      const parsed = ChatHistorySchema.safeParse(value, { reportInput: true });
      return parsed.success ? [] : zodIssues(parsed.error, path, []);
    }
    case 'IMAGE':
    case 'AUDIO':
    case 'VIDEO':
    case 'DOCUMENT': {
      if (isPlainObject(value) && typeof value['src'] === 'string' && value['src'].length > 0) return [];
      const parsed = MediaSchema.safeParse(value, { reportInput: true });
      if (parsed.success) return [];
      return [
        {
          field: fieldPath(path),
          message: `must be {"src": "<url>"} for type ${type} (got ${describe(value)})`,
        },
      ];
    }
  }
}

// The checks below are true only where the zod schema above accepts the value (they skip building zod's objects
// for the common case; the schema words every problem).

function isInputType(value: unknown): value is InputType {
  return (INPUT_TYPES as readonly unknown[]).includes(value);
}

/** True when {@link RawInputSchema} accepts `item`. */
function fitsRawInput(item: unknown): item is { name: string; type: InputType; value?: unknown } {
  if (!isPlainObject(item)) return false;
  for (const key in item) {
    if (Object.hasOwn(item, key) && key !== 'name' && key !== 'type' && key !== 'value') return false;
  }
  const { name, type } = item;
  return typeof name === 'string' && name.length > 0 && isInputType(type);
}

/** True when {@link ChatHistorySchema} accepts `value`. */
function fitsChatHistory(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (const m of value as unknown[]) {
    if (!isPlainObject(m) || !(CHAT_ROLES as readonly unknown[]).includes(m['role'])) return false;
    const text = m['text'];
    if (text !== undefined && typeof text !== 'string') return false;
  }
  return true;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
