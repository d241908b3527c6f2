/**
 * Hostile datasets (issue 16): deep nesting, `__proto__` keys, invalid UTF-8, non-finite numbers and control
 * bytes are each refused with file:line:field, or kept as data, and never crash or reach the terminal raw.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { evaluateCase } from '../assertions.js';
import { DatasetError } from '../errors.js';
import type { Case } from '../types.js';
import { escapeText } from './issues.js';
import { loadDataset, openDataset } from './open.js';
import { MAX_NESTING_DEPTH } from './values.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-hostile-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

async function refusal(path: string): Promise<DatasetError> {
  const error: unknown = await openDataset(path).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetError);
  return error as DatasetError;
}

/** `[[[...leaf...]]]` nested `depth` levels (lists and objects alternating), as JSON text. */
function nested(depth: number, leaf = '1'): string {
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    open += i % 2 === 0 ? '[' : '{"k":';
    close = (i % 2 === 0 ? ']' : '}') + close;
  }
  return `${open}${leaf}${close}`;
}

// Control characters other than the newlines between listed issues.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/;

describe('nesting depth', () => {
  it('refuses 10,000 levels in JSONL inputs, expected and assert values, naming line and field', async () => {
    const deep = nested(10_000);
    const path = await file(
      'deep.jsonl',
      [
        '{"id": "ok", "inputs": {"q": "x"}}',
        `{"id": "a", "inputs": {"deep": ${deep}}}`,
        `{"id": "b", "inputs": {}, "expected": {"answer": ${deep}}}`,
        `{"id": "c", "inputs": {}, "assert": [{"output": "x", "op": "equals", "value": ${deep}}]}`,
      ].join('\n'),
    );
    const error = await refusal(path);
    const message = `nests lists and objects deeper than ${MAX_NESTING_DEPTH} levels (the limit for a case)`;
    expect(error.issues).toEqual([
      { line: 2, field: 'inputs.deep[0].k...', message },
      { line: 3, field: 'expected.answer[0].k...', message },
      { line: 4, field: 'assert[0].value[0]...', message },
    ]);
    expect(error.message).toContain(`${path}:2: inputs.deep[0].k...: nests lists and objects deeper than 64`);
  });

  it('refuses 10,000 levels in a JSON array element', async () => {
    const path = await file('deep.json', `[\n  {"inputs": {}},\n  {"inputs": {"x": ${nested(10_000)}}}\n]\n`);
    expect((await refusal(path)).issues).toEqual([
      {
        line: 3,
        field: 'inputs.x[0].k...',
        message: 'nests lists and objects deeper than 64 levels (the limit for a case)',
      },
    ]);
  });

  it('accepts exactly the limit, counting the case object and inputs as two levels', async () => {
    const ok = await file('ok.jsonl', `{"inputs": {"x": ${nested(MAX_NESTING_DEPTH - 2)}}}\n`);
    const [c] = await loadDataset(ok);
    expect(c?.inputs[0]?.type).toBe('JSON');
    const over = await file('over.jsonl', `{"inputs": {"x": ${nested(MAX_NESTING_DEPTH - 1)}}}\n`);
    expect((await refusal(over)).issues).toHaveLength(1);
  });
});

describe('__proto__, constructor and prototype are data', () => {
  const line =
    '{"id": "p", "inputs": {"__proto__": "in", "constructor": 2}, "expected": {"__proto__": {"a": 1}, "prototype": 3}, "metadata": {"__proto__": "m"}}';

  it('keeps the keys in inputs, expected and metadata', async () => {
    const [c] = (await loadDataset(await file('p.jsonl', `${line}\n`))) as [Case];
    expect(c.inputs).toEqual([
      { name: '__proto__', type: 'STRING', value: 'in' },
      { name: 'constructor', type: 'NUMBER', value: 2 },
    ]);
    expect(Object.keys(c.expected)).toEqual(['__proto__', 'prototype']);
    expect(Object.getOwnPropertyDescriptor(c.expected, '__proto__')?.value).toEqual({ a: 1 });
    expect(Object.keys(c.metadata)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(c.expected)).toBe(Object.prototype); // not replaced by the data
  });

  it('evaluates an expected __proto__: missing or different fails, equal passes', async () => {
    const [c] = (await loadDataset(await file('p.jsonl', `${line}\n`))) as [Case];
    const run = (outputs: string): boolean[] =>
      evaluateCase(c, JSON.parse(outputs) as Record<string, unknown>).map((r) => r.passed);
    expect(run('{"prototype": 3}')).toEqual([false, true]);
    expect(run('{"__proto__": {"a": 2}, "prototype": 3}')).toEqual([false, true]);
    expect(run('{"__proto__": {"a": 1}, "prototype": 3}')).toEqual([true, true]);
    expect(evaluateCase(c, { prototype: 3 })[0]).toMatchObject({
      output: '__proto__',
      passed: false,
      message: 'output "__proto__" is missing',
    });
  });

  it('keeps __proto__ CSV columns', async () => {
    const [c] = (await loadDataset(await file('p.csv', 'id,__proto__,expected.__proto__\na,in,out\n'))) as [
      Case,
    ];
    expect(c.inputs).toEqual([{ name: '__proto__', type: 'STRING', value: 'in' }]);
    expect(Object.keys(c.expected)).toEqual(['__proto__']);
    expect(evaluateCase(c, {})[0]?.passed).toBe(false);
  });
});

describe('invalid UTF-8 and non-finite numbers', () => {
  const bad = Buffer.from([0x22, 0x61, 0xff, 0xfe, 0x22]); // "a\xff\xfe"

  it('refuses invalid UTF-8 with its line in JSONL, JSON and CSV, never substituting U+FFFD', async () => {
    const ok = Buffer.from('{"inputs": {"q": "x"}}\n');
    const jsonlPath = await file(
      'u.jsonl',
      Buffer.concat([ok, Buffer.from('{"inputs": {"q": '), bad, Buffer.from('}}\n'), ok]),
    );
    const message = 'is not valid UTF-8 text (save the file as UTF-8)';
    expect((await refusal(jsonlPath)).issues).toEqual([{ line: 2, field: null, message }]);

    const jsonPath = await file(
      'u.json',
      Buffer.concat([Buffer.from('[\n  {"inputs": {}},\n  {"inputs": {"q": '), bad, Buffer.from('}}\n]\n')]),
    );
    expect((await refusal(jsonPath)).issues).toEqual([{ line: 3, field: null, message }]);

    const csvPath = await file(
      'u.csv',
      Buffer.concat([Buffer.from('id,q\na,fine\nb,'), bad, Buffer.from('\n')]),
    );
    expect((await refusal(csvPath)).issues).toEqual([{ line: 3, field: null, message }]);

    // A truncated multi-byte sequence at the end of the file.
    const cut = await file(
      'cut.jsonl',
      Buffer.concat([ok, Buffer.from('{"inputs": {"q": "'), Buffer.from([0xe2, 0x82])]),
    );
    expect((await refusal(cut)).issues).toEqual([{ line: 2, field: null, message }]);
  });

  it('accepts a BOM at the start, and keeps U+FEFF elsewhere as text', async () => {
    const bom = '\ufeff';
    const [a, b] = (await loadDataset(
      await file('b.jsonl', `${bom}{"inputs": {"q": "x"}}\n{"inputs": {"q": "${bom}y"}}\n`),
    )) as [Case, Case];
    expect(a.inputs[0]?.value).toBe('x');
    expect(b.inputs[0]?.value).toBe(`${bom}y`);
    expect(await loadDataset(await file('b.json', `${bom}[{"inputs": {}}]`))).toHaveLength(1);
    expect((await loadDataset(await file('b.csv', `${bom}id,q\na,x\n`)))[0]?.id).toBe('a');
  });

  it('refuses 1e999 in inputs, expected, assert values and metadata, by field', async () => {
    const path = await file(
      'n.jsonl',
      [
        '{"inputs": {"n": 1e999, "list": [1, -1e999]}}',
        '{"inputs": {}, "expected": {"score": 1e999}, "metadata": {"m": 1e999}}',
        '{"inputs": {}, "assert": [{"output": "s", "op": "gte", "value": 1e999}, {"output": "s", "op": "equals", "value": {"x": 1e999}}]}',
      ].join('\n'),
    );
    const finite = (got: string): string => `must be a finite number (got ${got}: too large for JSON)`;
    expect((await refusal(path)).issues).toEqual([
      { line: 1, field: 'inputs.n', message: finite('Infinity') },
      { line: 1, field: 'inputs.list[1]', message: finite('-Infinity') },
      { line: 2, field: 'expected.score', message: finite('Infinity') },
      { line: 2, field: 'metadata.m', message: finite('Infinity') },
      { line: 3, field: 'assert[0].value', message: finite('Infinity') },
      { line: 3, field: 'assert[1].value.x', message: finite('Infinity') },
    ]);
  });
});

describe('control bytes are escaped in every message', () => {
  it('escapes ESC, DEL, C1 and bidi controls, and cuts long text', () => {
    expect(escapeText('a\u001b[31mb\u007f\u009b\u202ec\u2028')).toBe('a\\x1b[31mb\\x7f\\x9b\\u202ec\\u2028');
    expect(escapeText('\ud800x')).toBe('\\ud800x');
    expect(escapeText('😀')).toBe('😀');
    expect(escapeText('x'.repeat(1000), 10)).toBe(`${'x'.repeat(10)}... (990 more characters)`);
  });

  it('never shows a bad line raw: bad JSON, keys, ids, input names, patterns, CSV headers', async () => {
    const esc = '\u001b[2J\u001b]0;pwned\u0007';
    const jsonl = await file(
      'c.jsonl',
      [
        `${esc} not json`,
        JSON.stringify({ id: esc, inputs: {}, [`x${esc}`]: 1 }),
        JSON.stringify({ id: esc, inputs: [{ name: esc, type: 'STRING', value: 1 }] }),
        JSON.stringify({ inputs: {}, assert: [{ output: 'a', op: 'matches', value: `(${esc}` }] }),
        JSON.stringify({ inputs: {}, [`k${'y'.repeat(5000)}`]: 1 }),
        JSON.stringify({ id: esc, inputs: {} }),
        JSON.stringify({ id: esc, inputs: {} }),
      ].join('\n'),
    );
    const error = await refusal(jsonl);
    expect(error.message).not.toMatch(RAW_CONTROL);
    expect(error.message).toContain('\\x1b[2J\\x1b]0;pwned\\x07');
    expect(error.issues.map((i) => [i.line, i.field])).toEqual([
      [1, null],
      [2, '["x\\u001b[2J\\u001b]0;pwned\\u0007"]'],
      [3, 'inputs[0].value'],
      [4, 'assert[0].value'],
      [5, expect.stringMatching(/^ky+\.\.\. \(\d+ more characters\)$/) as unknown],
      [7, 'id'],
    ]);
    expect(error.issues[5]?.message).toBe('duplicate id "\\x1b[2J\\x1b]0;pwned\\x07" (first used on line 6)');
    expect(Math.max(...error.issues.map((i) => i.message.length))).toBeLessThan(500);

    const csv = await file('c.csv', `id,${esc},${esc}\na,1,2\n`);
    const csvError = await refusal(csv);
    expect(csvError.message).not.toMatch(RAW_CONTROL);
    expect(csvError.issues[0]?.message).toBe(
      'column "\\x1b[2J\\x1b]0;pwned\\x07" appears twice in the header',
    );
  });
});
