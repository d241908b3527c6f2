/**
 * Dataset loading (SPEC section 3): JSONL/NDJSON, a JSON array, or CSV. The whole file is validated before
 * anything runs; every problem is collected and thrown at once as one {@link DatasetError}. Validated cases
 * are then streamed again from the file, so a large JSONL or CSV file is never held in memory.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { parse as parseCsv } from 'csv-parse';
import { z } from 'zod';
import { compilePattern } from './assertions.js';
import { DatasetError, type DatasetIssue } from './errors.js';
import {
  ASSERTION_OPS,
  INPUT_TYPES,
  type Assertion,
  type Case,
  type InputType,
  type WorkflowInput,
} from './types.js';

/** The file formats a dataset can have, chosen by extension. */
export type DatasetFormat = 'jsonl' | 'json' | 'csv';

/** What is known about a dataset once it has been validated. */
export interface DatasetInfo {
  /** The path as given to {@link openDataset}. */
  readonly path: string;
  readonly format: DatasetFormat;
  /** Number of cases that {@link Dataset.cases} yields (after the `filter`, when one was given). */
  readonly size: number;
}

/** A validated dataset whose cases are streamed from the file on demand. */
export interface Dataset extends DatasetInfo {
  /** Number of cases in the file, before any `filter`. */
  readonly total: number;
  /** Hex SHA-256 of the file's bytes: shards of one dataset are merged only when it matches. */
  readonly sha256: string;
  /**
   * Reads the file again and yields its cases in file order (`Case.index` is the position in the file,
   * also when a `filter` skips some). Each call starts a new read.
   *
   * @throws DatasetError when the file changed since it was validated and is no longer valid.
   */
  cases(): AsyncIterable<Case>;
}

/** Options of {@link openDataset}. */
export interface OpenDatasetOptions {
  /** Keeps only the cases it returns `true` for (sharding); applied after validation. @default keep all */
  readonly filter?: ((c: Case) => boolean) | undefined;
}

/** Extensions accepted by {@link openDataset}, with their format. */
export const DATASET_EXTENSIONS: Readonly<Record<string, DatasetFormat>> = {
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.json': 'json',
  '.csv': 'csv',
};

/** Chat roles accepted in a `CHAT_HISTORY` input. */
export const CHAT_ROLES = ['SYSTEM', 'USER', 'ASSISTANT', 'FUNCTION'] as const;

/** The most issues a {@link DatasetError} lists; one more issue says how many were left out. */
export const MAX_LISTED_ISSUES = 100;

const CASE_KEYS = ['id', 'inputs', 'expected', 'assert', 'metadata'] as const;
const RAW_INPUT_KEYS = ['name', 'type', 'value'] as const;
const ASSERTION_KEYS = ['output', 'op', 'value'] as const;

const CaseSchema = z.strictObject({
  id: z.string().min(1).optional(),
  inputs: z.unknown().optional(),
  expected: z.record(z.string(), z.unknown()).optional(),
  assert: z.array(z.unknown()).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

const RawInputSchema = z.strictObject({
  name: z.string().min(1),
  type: z.enum(INPUT_TYPES),
  value: z.unknown().optional(),
});

const AssertionSchema = z.strictObject({
  output: z.string().min(1),
  op: z.enum(ASSERTION_OPS),
  value: z.unknown().optional(),
});

const ChatMessageSchema = z.looseObject({
  role: z.enum(CHAT_ROLES),
  text: z.string().optional(),
  content: z.unknown().optional(),
});
const ChatHistorySchema = z.array(ChatMessageSchema);
const MediaSchema = z.looseObject({ src: z.string().min(1) });

type PathPart = string | number;
type FieldIssue = Omit<DatasetIssue, 'line'>;

/**
 * Validates one case object (a JSONL line, a JSON array element, or a CSV row turned into an object).
 * `index` is the case's 0-based position in the file; it is also the default id.
 *
 * @returns the case, or every problem found in it (field paths like `inputs.history[0].role`).
 */
export function parseCase(raw: unknown, index: number): { case: Case } | { issues: FieldIssue[] } {
  if (!isPlainObject(raw)) {
    return {
      issues: [{ field: null, message: `must be a JSON object with "inputs" (got ${describe(raw)})` }],
    };
  }
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

  if (issues.length > 0 || !top.success) return { issues };
  const data = top.data;
  return {
    case: {
      index,
      id: data.id ?? String(index),
      inputs,
      expected: data.expected ?? {},
      assertions,
      metadata: data.metadata ?? {},
    },
  };
}

/**
 * Infers the typed inputs of an `inputs` object (SPEC section 3): string -> `STRING`; finite number -> `NUMBER`;
 * a non-empty list whose items are all objects with a valid `role` -> `CHAT_HISTORY`; an object with exactly
 * the keys `type` and `value` -> that explicit type; anything else -> `JSON`.
 *
 * @throws TypeError naming every problem when an input cannot be used (see {@link parseCase} for the checks).
 */
export function inferInputs(inputs: Record<string, unknown>): WorkflowInput[] {
  const checked = checkInputs(inputs);
  if (checked.issues.length > 0) {
    throw new TypeError(checked.issues.map((i) => `${i.field ?? 'inputs'}: ${i.message}`).join('; '));
  }
  return checked.inputs;
}

/**
 * Validates the whole file (streaming JSONL and CSV line by line, holding only the ids and the issues), then
 * returns a {@link Dataset} that streams the validated cases again.
 *
 * @throws DatasetError listing every problem in the file (at most {@link MAX_LISTED_ISSUES}, then a count),
 * also for a missing, empty or unsupported file.
 */
export async function openDataset(path: string, options: OpenDatasetOptions = {}): Promise<Dataset> {
  const format = formatOf(path);
  if (format === null) {
    const accepted = Object.keys(DATASET_EXTENSIONS).join(', ');
    const ext = extname(path);
    throw new DatasetError(path, [
      {
        line: null,
        field: null,
        message: `${ext === '' ? 'has no extension' : `has the unsupported extension "${ext}"`}: use one of ${accepted}`,
      },
    ]);
  }
  await checkReadable(path);

  const collector = new IssueCollector();
  const ids = new Map<string, number>();
  const filter = options.filter;
  let total = 0;
  let size = 0;
  for await (const entry of readEntries(path, format)) {
    if (entry.kind === 'issue') {
      collector.add(entry.issue);
      continue;
    }
    total++;
    const parsed = parseCase(entry.raw, entry.index);
    if ('issues' in parsed) {
      for (const issue of parsed.issues) collector.add({ line: entry.line, ...issue });
      continue;
    }
    const id = parsed.case.id;
    const first = ids.get(id);
    if (first === undefined) ids.set(id, entry.line);
    else {
      collector.add({
        line: entry.line,
        field: 'id',
        message: `duplicate id "${id}" (first used on line ${first})`,
      });
    }
    if (filter === undefined || filter(parsed.case)) size++;
  }
  if (total === 0 && collector.count === 0) {
    collector.add({
      line: null,
      field: null,
      message: `contains no cases${format === 'csv' ? ' (a header row and at least one row are needed)' : ''}`,
    });
  }
  if (collector.count > 0) throw new DatasetError(path, collector.issues());

  return {
    path,
    format,
    size,
    total,
    sha256: await fileSha256(path),
    cases: () => streamCases(path, format, filter),
  };
}

/** Hex SHA-256 of a file's bytes, streamed. */
async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

/**
 * Loads a whole dataset into memory (validated as by {@link openDataset}). Convenient for small files;
 * the engine streams with {@link openDataset} instead.
 *
 * @throws DatasetError listing every problem in the file.
 */
export async function loadDataset(path: string): Promise<Case[]> {
  const dataset = await openDataset(path);
  const cases: Case[] = [];
  for await (const c of dataset.cases()) cases.push(c);
  return cases;
}

async function* streamCases(
  path: string,
  format: DatasetFormat,
  filter: ((c: Case) => boolean) | undefined,
): AsyncGenerator<Case> {
  for await (const entry of readEntries(path, format)) {
    const parsed = entry.kind === 'issue' ? { issues: [entry.issue] } : parseCase(entry.raw, entry.index);
    if ('issues' in parsed) {
      const line = entry.kind === 'issue' ? entry.issue.line : entry.line;
      const issues = parsed.issues.map((i) => ({ line, field: i.field, message: i.message }));
      throw new DatasetError(path, [
        ...issues,
        { line: null, field: null, message: 'the file changed after it was validated' },
      ]);
    }
    if (filter === undefined || filter(parsed.case)) yield parsed.case;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Reading the formats: each yields one entry per case position (a raw object) or per unreadable part.

type Entry =
  | { readonly kind: 'raw'; readonly line: number; readonly index: number; readonly raw: unknown }
  | { readonly kind: 'issue'; readonly issue: DatasetIssue };

function readEntries(path: string, format: DatasetFormat): AsyncGenerator<Entry> {
  switch (format) {
    case 'jsonl':
      return jsonlEntries(path);
    case 'json':
      return jsonEntries(path);
    case 'csv':
      return csvEntries(path);
  }
}

async function* jsonlEntries(path: string): AsyncGenerator<Entry> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let line = 0;
  let index = 0;
  for await (const rawText of lines) {
    line++;
    const text = line === 1 ? stripBom(rawText) : rawText;
    if (text.trim() === '') continue;
    const position = index++;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      yield {
        kind: 'issue',
        issue: { line, field: null, message: `is not valid JSON: ${jsonMessage(error)}` },
      };
      continue;
    }
    yield { kind: 'raw', line, index: position, raw };
  }
}

async function* jsonEntries(path: string): AsyncGenerator<Entry> {
  const text = stripBom(await readFile(path, 'utf8'));
  if (text.trim() === '') return;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    yield { kind: 'issue', issue: locateJsonError(text, jsonMessage(error)) };
    return;
  }
  if (!Array.isArray(data)) {
    yield {
      kind: 'issue',
      issue: {
        line: 1,
        field: null,
        message: `must be a JSON array of case objects (got ${describe(data)})`,
      },
    };
    return;
  }
  const lines = linesOf(text, elementOffsets(text));
  for (const [index, raw] of (data as unknown[]).entries()) {
    yield { kind: 'raw', line: lines[index] ?? 1, index, raw };
  }
}

async function* csvEntries(path: string): AsyncGenerator<Entry> {
  const parser = createReadStream(path).pipe(
    parseCsv({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true }),
  );
  let header: string[] | null = null;
  let index = 0;
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const { record, info } = item;
      // csv-parse counts the line a record ends on; a quoted field may span lines.
      const line = info.lines - record.reduce((n, field) => n + countNewlines(field), 0);
      if (header === null) {
        header = record;
        for (const issue of headerIssues(record)) yield { kind: 'issue', issue: { line, ...issue } };
        continue;
      }
      const position = index++;
      if (record.length !== header.length) {
        yield {
          kind: 'issue',
          issue: {
            line,
            field: null,
            message: `row has ${record.length} field${record.length === 1 ? '' : 's'}, the header has ${header.length}`,
          },
        };
        continue;
      }
      yield { kind: 'raw', line, index: position, raw: csvRowToCase(header, record) };
    }
  } catch (error) {
    const lines = (error as { lines?: unknown }).lines;
    yield {
      kind: 'issue',
      issue: {
        line: typeof lines === 'number' ? lines : null,
        field: null,
        message: `is not valid CSV: ${(error as Error).message}`,
      },
    };
  }
}

function headerIssues(header: readonly string[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (name.trim() === '')
      issues.push({ field: null, message: `column ${i + 1} has an empty name in the header` });
    else if (name === 'expected.')
      issues.push({ field: name, message: 'column name needs an output name after "expected."' });
    else if (seen.has(name))
      issues.push({ field: name, message: `column "${name}" appears twice in the header` });
    seen.add(name);
  });
  return issues;
}

function csvRowToCase(header: readonly string[], record: readonly string[]): Record<string, unknown> {
  const inputs: Record<string, string> = {};
  const expected: Record<string, string> = {};
  const raw: Record<string, unknown> = { inputs, expected };
  header.forEach((name, i) => {
    const value = record[i] ?? '';
    if (name.trim() === '') return; // reported with the header
    if (name === 'id') raw['id'] = value;
    else if (name.startsWith('expected.')) expected[name.slice('expected.'.length)] = value;
    else inputs[name] = value;
  });
  // Every non-id, non-expected column is a STRING input; the explicit form keeps a value like "3" a string.
  raw['inputs'] = Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [k, { type: 'STRING', value: v }]),
  );
  return raw;
}

// ---------------------------------------------------------------------------------------------------------
// Inputs and assertions.

function checkInputs(value: unknown): { inputs: WorkflowInput[]; issues: FieldIssue[] } {
  const inputs: WorkflowInput[] = [];
  const issues: FieldIssue[] = [];
  if (Array.isArray(value)) {
    const names = new Map<string, number>();
    value.forEach((item: unknown, i) => {
      const path: PathPart[] = ['inputs', i];
      const parsed = RawInputSchema.safeParse(item, { reportInput: true });
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
  for (const [name, input] of Object.entries(value)) {
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
  const path: PathPart[] = ['inputs', name];
  if (typeof value === 'string') return { input: { name, type: 'STRING', value } };
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return { input: { name, type: 'NUMBER', value } };
    return { issues: [{ field: fieldPath(path), message: 'must be a finite number' }] };
  }
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 2 && keys.includes('type') && keys.includes('value')) {
      const type = z.enum(INPUT_TYPES).safeParse(value['type'], { reportInput: true });
      if (!type.success) return { issues: zodIssues(type.error, [...path, 'type'], []) };
      const typed = checkTypedValue(type.data, value['value'], [...path, 'value']);
      if (typed.length > 0) return { issues: typed };
      return { input: { name, type: type.data, value: value['value'] } };
    }
  }
  if (Array.isArray(value) && value.length > 0 && value.every((m) => isPlainObject(m) && 'role' in m)) {
    const history = ChatHistorySchema.safeParse(value, { reportInput: true });
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
      const parsed = ChatHistorySchema.safeParse(value, { reportInput: true });
      return parsed.success ? [] : zodIssues(parsed.error, path, []);
    }
    case 'IMAGE':
    case 'AUDIO':
    case 'VIDEO':
    case 'DOCUMENT': {
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

function checkAssertion(
  item: unknown,
  path: PathPart[],
): { assertion: Assertion } | { issues: FieldIssue[] } {
  const parsed = AssertionSchema.safeParse(item, { reportInput: true });
  if (!parsed.success) return { issues: zodIssues(parsed.error, path, ASSERTION_KEYS) };
  const { output, op, value } = parsed.data;
  const hasValue = Object.hasOwn(item as object, 'value');
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
      return issue(`is not a valid regular expression: ${(error as Error).message}`);
    }
  } else if ((op === 'gte' || op === 'lte') && (typeof value !== 'number' || !Number.isFinite(value))) {
    return issue(`must be a number for op "${op}" (got ${describe(value)})`);
  }
  return { assertion: hasValue ? { output, op, value } : { output, op } };
}

// ---------------------------------------------------------------------------------------------------------
// Messages.

function zodIssues(error: z.ZodError, prefix: PathPart[], allowedKeys: readonly string[]): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path.filter((p): p is PathPart => typeof p !== 'symbol')];
    const input = (issue as { input?: unknown }).input;
    const got = input === undefined ? '' : ` (got ${describe(input)})`;
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          const hint = suggest(key, allowedKeys);
          out.push({
            field: fieldPath([...path, key]),
            message: `unknown key${hint === null ? '' : `; did you mean "${hint}"?`} (allowed: ${allowedKeys.join(', ')})`,
          });
        }
        break;
      case 'invalid_type':
        out.push({
          field: fieldPath(path),
          message: input === undefined ? 'is required' : `must be ${article(issue.expected)}${got}`,
        });
        break;
      case 'invalid_value':
        out.push({
          field: fieldPath(path),
          message: `must be one of ${issue.values.map(String).join(', ')}${got}`,
        });
        break;
      case 'too_small':
        out.push({ field: fieldPath(path), message: 'must not be empty' });
        break;
      default:
        out.push({ field: fieldPath(path), message: `${issue.message}${got}` });
    }
  }
  return out;
}

function article(expected: string): string {
  switch (expected) {
    case 'record':
    case 'object':
      return 'an object';
    case 'array':
      return 'a list';
    default:
      return `a ${expected}`;
  }
}

/** The closest allowed key when `key` looks like a typo of it (edit distance <= 3, or a prefix). */
function suggest(key: string, allowed: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const lower = key.toLowerCase();
    const d = lower.startsWith(candidate) || candidate.startsWith(lower) ? 1 : editDistance(lower, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.min(3, Math.max(1, Math.floor(key.length / 2))) ? best : null;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(
        Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** `['inputs', 'history', 0, 'role']` -> `inputs.history[0].role`. */
function fieldPath(parts: readonly PathPart[]): string | null {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[^.[\]"\s]+$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out === '' ? null : out;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 37)}...` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return `${typeof value} ${JSON.stringify(value)}`;
}

class IssueCollector {
  count = 0;
  readonly #listed: DatasetIssue[] = [];
  add(issue: DatasetIssue): void {
    this.count++;
    if (this.#listed.length < MAX_LISTED_ISSUES) this.#listed.push(issue);
  }
  issues(): DatasetIssue[] {
    const more = this.count - this.#listed.length;
    if (more <= 0) return [...this.#listed];
    return [
      ...this.#listed,
      { line: null, field: null, message: `${more} more problem${more === 1 ? '' : 's'} found, not listed` },
    ];
  }
}

// ---------------------------------------------------------------------------------------------------------
// Files and text.

function formatOf(path: string): DatasetFormat | null {
  return DATASET_EXTENSIONS[extname(path).toLowerCase()] ?? null;
}

async function checkReadable(path: string): Promise<void> {
  let message: string | null = null;
  try {
    const info = await stat(path);
    if (info.isDirectory()) message = 'is a directory, not a dataset file';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    message = code === 'ENOENT' ? 'file not found' : `cannot be read: ${(error as Error).message}`;
  }
  if (message !== null) throw new DatasetError(path, [{ line: null, field: null, message }]);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function jsonMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ');
}

/**
 * Where a JSON array file is broken. V8 does not always say where, so each element is parsed alone to find
 * the first broken one; a broken array structure (a trailing comma, say) falls back to V8's position, if any.
 */
function locateJsonError(text: string, message: string): DatasetIssue {
  const offsets = text.trimStart().startsWith('[') ? elementOffsets(text) : [];
  const lines = linesOf(text, offsets);
  for (const [i, start] of offsets.entries()) {
    const end = offsets[i + 1] ?? text.lastIndexOf(']');
    const slice = text
      .slice(start, end > start ? end : undefined)
      .trimEnd()
      .replace(/,$/, '');
    try {
      JSON.parse(slice);
    } catch (error) {
      return {
        line: lines[i] ?? null,
        field: null,
        message: `element ${i} is not valid JSON: ${jsonMessage(error)}`,
      };
    }
  }
  const position = /position (\d+)/.exec(message);
  const lineMatch = /line (\d+)/.exec(message);
  const line = lineMatch ? Number(lineMatch[1]) : position ? lineAt(text, Number(position[1])) : null;
  return { line, field: null, message: `is not valid JSON: ${message}` };
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function lineAt(text: string, offset: number): number {
  return countNewlines(text.slice(0, offset)) + 1;
}

/** Offsets where each element of the top-level array of a valid JSON text starts. */
function elementOffsets(text: string): number[] {
  const offsets: number[] = [];
  let depth = 0;
  let inString = false;
  let expecting = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    const start = depth === 1 && expecting && ch !== undefined && !/[\s,\]]/.test(ch);
    if (start) {
      offsets.push(i);
      expecting = false;
    }
    if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') {
      depth++;
      if (depth === 1) expecting = true;
    } else if (ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 1) expecting = true;
  }
  return offsets;
}

/** 1-based line of each offset (offsets ascending). */
function linesOf(text: string, offsets: readonly number[]): number[] {
  const lines: number[] = [];
  let line = 1;
  let at = 0;
  for (const offset of offsets) {
    for (; at < offset; at++) if (text.charCodeAt(at) === 10) line++;
    lines.push(line);
  }
  return lines;
}
