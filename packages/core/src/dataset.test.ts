import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inferInputs, loadDataset, openDataset, parseCase } from './dataset.js';
import { DatasetError, type DatasetIssue } from './errors.js';
import type { Case } from './types.js';

const fixtures = fileURLToPath(new URL('../test/fixtures/datasets/', import.meta.url));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-dataset-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

const jsonl = (...objects: unknown[]): string => objects.map((o) => JSON.stringify(o)).join('\n') + '\n';

/** The DatasetError thrown by opening `path`. */
async function datasetError(path: string): Promise<DatasetError> {
  const error: unknown = await openDataset(path).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetError);
  return error as DatasetError;
}

async function issuesOf(path: string): Promise<DatasetIssue[]> {
  return [...(await datasetError(path)).issues];
}

async function issuesOfLines(...objects: unknown[]): Promise<DatasetIssue[]> {
  return issuesOf(await file('cases.jsonl', jsonl(...objects)));
}

describe('formats', () => {
  it('loads JSONL with defaults, inference, explicit and raw inputs', async () => {
    const cases = await loadDataset(join(fixtures, 'valid.jsonl'));
    expect(cases).toHaveLength(3);
    const [first, second, third] = cases as [Case, Case, Case];
    expect(first).toEqual({
      index: 0,
      id: 'refund-1',
      inputs: [
        { name: 'query', type: 'STRING', value: 'Where is my refund?' },
        { name: 'history', type: 'CHAT_HISTORY', value: [{ role: 'USER', text: 'hi' }] },
        { name: 'max_items', type: 'NUMBER', value: 3 },
        { name: 'filters', type: 'JSON', value: { lang: 'en' } },
      ],
      expected: { category: 'billing' },
      assertions: [
        { output: 'answer', op: 'contains', value: 'refund' },
        { output: 'score', op: 'gte', value: 0.8 },
      ],
      metadata: { owner: 'support' },
    });
    // The blank line is not a case: the second case is at index 1, and its id defaults to it.
    expect(second.index).toBe(1);
    expect(second.id).toBe('1');
    expect(second.inputs).toEqual([
      { name: 'query', type: 'STRING', value: 'Reset my password' },
      { name: 'photo', type: 'IMAGE', value: { src: 'https://example.com/a.png' } },
    ]);
    expect(second.assertions).toEqual([{ output: 'answer', op: 'exists' }]);
    expect(second.expected).toEqual({});
    expect(second.metadata).toEqual({});
    expect(third.inputs).toEqual([
      { name: 'query', type: 'STRING', value: 'Where is my parcel?' },
      { name: 'count', type: 'STRING', value: '3' },
    ]);
  });

  it('accepts .ndjson as JSONL', async () => {
    const path = await file('set.NDJSON', jsonl({ inputs: { q: 'a' } }, { inputs: { q: 'b' } }));
    const dataset = await openDataset(path);
    expect(dataset).toMatchObject({ path, format: 'jsonl', size: 2, total: 2 });
  });

  it('loads a JSON array, element lines tracked', async () => {
    const path = join(fixtures, 'valid.json');
    const dataset = await openDataset(path);
    expect(dataset.format).toBe('json');
    const cases = await loadDataset(path);
    expect(cases.map((c) => [c.index, c.id])).toEqual([
      [0, 'refund-1'],
      [1, '1'],
      [2, 'shipping-1'],
    ]);
    expect(cases[1]!.inputs).toEqual([
      { name: 'query', type: 'STRING', value: 'Reset my password' },
      { name: 'max_items', type: 'NUMBER', value: 2 },
    ]);
  });

  it('names the index and the line of a bad JSON array element', async () => {
    const path = await file(
      'set.json',
      '[\n  {"inputs": {"q": "a"}},\n\n  {"id": "x",\n   "inputs": {"q": "[{,\\"}"}},\n  {"id": "y", "inputs": 3}, {"inputs": {}, "oops": 1}\n]\n',
    );
    const error = await datasetError(path);
    expect(error.issues).toEqual([
      {
        line: 6,
        field: 'inputs',
        message: 'must be an object of input values, or a list of {name, type, value} (got number 3)',
      },
      { line: 6, field: 'oops', message: 'unknown key (allowed: id, inputs, expected, assert, metadata)' },
    ]);
    expect(error.message).toContain(`${path}:6: inputs: must be an object of input values`);
  });

  it('reports invalid JSON and a non-array JSON file with a line', async () => {
    expect(await issuesOf(await file('bad.json', '[\n  {"inputs": {}},\n  {"inputs": }\n]'))).toEqual([
      { line: 3, field: null, message: expect.stringMatching(/^element 1 is not valid JSON: /) as unknown },
    ]);
    expect(await issuesOf(await file('bad2.json', '[\n  {"inputs": {}},\n  {"inputs": {}},\n]'))).toEqual([
      { line: null, field: null, message: expect.stringMatching(/^is not valid JSON: /) as unknown },
    ]);
    expect(await issuesOf(await file('obj.json', '{"cases": []}'))).toEqual([
      { line: 1, field: null, message: 'must be a JSON array of case objects (got an object)' },
    ]);
  });

  it('loads CSV: id column, expected.NAME columns, every other column a STRING input', async () => {
    const path = join(fixtures, 'valid.csv');
    const dataset = await openDataset(path);
    expect(dataset).toMatchObject({ format: 'csv', size: 3 });
    const cases = await loadDataset(path);
    expect(cases[0]).toEqual({
      index: 0,
      id: 'refund-1',
      inputs: [
        { name: 'query', type: 'STRING', value: 'Where is my refund?' },
        { name: 'language', type: 'STRING', value: 'en' },
      ],
      expected: { category: 'billing' },
      assertions: [],
      metadata: {},
    });
    expect(cases[1]!.inputs[0]).toEqual({
      name: 'query',
      type: 'STRING',
      value: 'Where is my\nparcel, please?',
    });
    expect(cases.map((c) => c.id)).toEqual(['refund-1', 'shipping-1', 'password-1']);
  });

  it('keeps numeric-looking CSV cells as strings and defaults ids without an id column', async () => {
    const cases = await loadDataset(await file('n.csv', 'max_items,query\n3,a\n4,b\n'));
    expect(cases.map((c) => c.id)).toEqual(['0', '1']);
    expect(cases[0]!.inputs).toEqual([
      { name: 'max_items', type: 'STRING', value: '3' },
      { name: 'query', type: 'STRING', value: 'a' },
    ]);
  });

  it('names each ragged CSV row (header counts as line 1), and header problems', async () => {
    const path = await file('r.csv', 'id,query\na,one\nb,two,extra\n\nc\nd,four\n');
    expect(await issuesOf(path)).toEqual([
      { line: 3, field: null, message: 'row has 3 fields, the header has 2' },
      { line: 5, field: null, message: 'row has 1 field, the header has 2' },
    ]);
    expect(await issuesOf(await file('h.csv', 'id,query,query,\na,b,c,d\n'))).toEqual([
      { line: 1, field: 'query', message: 'column "query" appears twice in the header' },
      { line: 1, field: null, message: 'column 4 has an empty name in the header' },
    ]);
    expect(await issuesOf(await file('q.csv', 'id,query\na,"open\n'))).toEqual([
      {
        line: 2,
        field: null,
        message: expect.stringMatching(/^is not valid CSV: Quote Not Closed/) as unknown,
      },
    ]);
  });

  it('reports duplicate ids in CSV with both lines', async () => {
    const path = await file('d.csv', 'id,query\na,1\nb,2\na,3\n');
    expect(await issuesOf(path)).toEqual([
      { line: 4, field: 'id', message: 'duplicate id "a" (first used on line 2)' },
    ]);
  });
});

describe('file-level errors', () => {
  it('rejects an unknown extension naming the accepted ones', async () => {
    const path = await file('cases.txt', 'x');
    const error = await datasetError(path);
    expect(error.message).toBe(
      `${path}: 1 problem found, nothing was submitted:\n  ${path}: has the unsupported extension ".txt": use one of .jsonl, .ndjson, .json, .csv`,
    );
    expect(error.file).toBe(path);
    expect(error.code).toBe('dataset');
  });

  it('rejects a missing file and a directory', async () => {
    const missing = join(dir, 'nope.jsonl');
    expect((await datasetError(missing)).message).toBe(
      `${missing}: 1 problem found, nothing was submitted:\n  ${missing}: file not found`,
    );
    const folder = join(dir, 'folder.json');
    await writeFile(join(dir, 'x'), '');
    await import('node:fs/promises').then((fs) => fs.mkdir(folder));
    expect(await issuesOf(folder)).toEqual([
      { line: null, field: null, message: 'is a directory, not a dataset file' },
    ]);
  });

  it.each([
    ['empty.jsonl', ''],
    ['blank.jsonl', '\n  \n\n'],
    ['empty.json', '[]'],
    ['empty2.json', ''],
    ['header.csv', 'id,query\n'],
  ])('rejects %s with zero cases', async (name, text) => {
    const issues = await issuesOf(await file(name, text));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      line: null,
      field: null,
      message: expect.stringMatching(/^contains no cases/) as unknown,
    });
  });
});

describe('case validation', () => {
  it('lists three mistakes on three lines, with the text the user sees', async () => {
    const path = join(fixtures, 'three-mistakes.jsonl');
    const error = await datasetError(path);
    expect(error.issues).toEqual([
      { line: 2, field: 'id', message: 'must be a string (got number 2)' },
      {
        line: 4,
        field: 'expect',
        message: 'unknown key; did you mean "expected"? (allowed: id, inputs, expected, assert, metadata)',
      },
      {
        line: 5,
        field: 'assert[1].op',
        message:
          'must be one of equals, not_equals, contains, not_contains, matches, gte, lte, exists (got "eq")',
      },
    ]);
    expect(error.message.split('\n')).toEqual([
      `${path}: 3 problems found, nothing was submitted:`,
      `  ${path}:2: id: must be a string (got number 2)`,
      `  ${path}:4: expect: unknown key; did you mean "expected"? (allowed: id, inputs, expected, assert, metadata)`,
      `  ${path}:5: assert[1].op: must be one of equals, not_equals, contains, not_contains, matches, gte, lte, exists (got "eq")`,
    ]);
  });

  it('reports invalid JSON lines and non-object lines, counting blank lines', async () => {
    const path = await file('c.jsonl', '{"inputs": {}}\n\nnot json\n[1, 2]\n"text"\n');
    const issues = await issuesOf(path);
    expect(issues.map((i) => [i.line, i.field])).toEqual([
      [3, null],
      [4, null],
      [5, null],
    ]);
    expect(issues[0]!.message).toMatch(/^is not valid JSON: /);
    expect(issues[1]!.message).toBe('must be a JSON object with "inputs" (got a list)');
    expect(issues[2]!.message).toBe('must be a JSON object with "inputs" (got "text")');
  });

  it('reports duplicate ids naming both lines, also against a default id', async () => {
    expect(
      await issuesOfLines(
        { inputs: {} },
        { id: '0', inputs: {} },
        { id: 'a', inputs: {} },
        { id: 'a', inputs: {} },
      ),
    ).toEqual([
      { line: 2, field: 'id', message: 'duplicate id "0" (first used on line 1)' },
      { line: 4, field: 'id', message: 'duplicate id "a" (first used on line 3)' },
    ]);
  });

  it('requires inputs (an empty object is fine) and a non-empty string id', async () => {
    expect(await issuesOfLines({ id: 'a' }, { id: '', inputs: {} }, { id: 'c', inputs: {} })).toEqual([
      {
        line: 1,
        field: 'inputs',
        message: 'is required: an object of input values, or a list of {name, type, value}',
      },
      { line: 2, field: 'id', message: 'must not be empty' },
    ]);
  });

  it('checks expected, metadata and assert shapes', async () => {
    expect(
      await issuesOfLines(
        { inputs: {}, expected: [1], metadata: 'x' },
        { inputs: {}, assert: { output: 'a', op: 'equals', value: 1 } },
      ),
    ).toEqual([
      { line: 1, field: 'expected', message: 'must be an object (got a list)' },
      { line: 1, field: 'metadata', message: 'must be an object (got "x")' },
      { line: 2, field: 'assert', message: 'must be a list (got an object)' },
    ]);
  });

  it('checks every assertion op value', async () => {
    const issues = await issuesOfLines({
      inputs: {},
      assert: [
        { output: 'a', op: 'equals' },
        { output: 'a', op: 'matches', value: '(unclosed' },
        { output: 'a', op: 'matches', value: 5 },
        { output: 'a', op: 'gte', value: '0.8' },
        { output: 'a', op: 'lte' },
        { output: 'a', op: 'exists', value: 'yes' },
        { output: '', op: 'exists' },
        { output: 'a', op: 'contains', value: 'x', extra: true },
        'not an object',
        { output: 'a', op: 'exists' },
        { output: 'a', op: 'exists', value: false },
        { output: 'a', op: 'matches', value: '/^re/i' },
        { output: 'a', op: 'not_equals', value: null },
      ],
    });
    expect(issues).toEqual([
      { line: 1, field: 'assert[0].value', message: 'is required for op "equals"' },
      {
        line: 1,
        field: 'assert[1].value',
        message: 'is not a supported regular expression: missing closing ): `(unclosed`',
      },
      { line: 1, field: 'assert[2].value', message: 'must be a regular expression string (got number 5)' },
      { line: 1, field: 'assert[3].value', message: 'must be a number for op "gte" (got "0.8")' },
      { line: 1, field: 'assert[4].value', message: 'is required for op "lte"' },
      { line: 1, field: 'assert[5].value', message: 'must be true or false for exists (got "yes")' },
      { line: 1, field: 'assert[6].output', message: 'must not be empty' },
      { line: 1, field: 'assert[7].extra', message: 'unknown key (allowed: output, op, value)' },
      { line: 1, field: 'assert[8]', message: 'must be an object (got "not an object")' },
    ]);
  });

  it('checks raw input lists: names, types, duplicates, values', async () => {
    const issues = await issuesOfLines({
      inputs: [
        { name: 'q', type: 'STRING', value: 'x' },
        { name: 'q', type: 'STRING', value: 'y' },
        { name: 'n', type: 'STRNG', value: 1 },
        { name: '', type: 'JSON', value: 1 },
        { name: 'm', type: 'NUMBER', value: '3' },
        { name: 'v', type: 'JSON' },
        { name: 'h', type: 'CHAT_HISTORY', value: [{ role: 'USER', text: 3 }] },
      ],
    });
    expect(issues).toEqual([
      { line: 1, field: 'inputs[1].name', message: 'duplicate input name "q" (also inputs[0])' },
      {
        line: 1,
        field: 'inputs[2].type',
        message:
          'must be one of STRING, NUMBER, JSON, CHAT_HISTORY, IMAGE, AUDIO, VIDEO, DOCUMENT (got "STRNG")',
      },
      { line: 1, field: 'inputs[3].name', message: 'must not be empty' },
      { line: 1, field: 'inputs[4].value', message: 'must be a finite number for type NUMBER (got "3")' },
      { line: 1, field: 'inputs[5].value', message: 'is required' },
      { line: 1, field: 'inputs[6].value[0].text', message: 'must be a string (got number 3)' },
    ]);
  });

  it('checks explicit typed inputs and chat histories in object form', async () => {
    const issues = await issuesOfLines({
      inputs: {
        history: [
          { role: 'USER', text: 'hi' },
          { role: 'user', text: 'there' },
        ],
        image: { type: 'IMAGE', value: { url: 'x' } },
        count: { type: 'NUMBER', value: '3' },
        kind: { type: 'TEXT', value: 'x' },
        '': 'empty name',
      },
    });
    expect(issues).toEqual([
      {
        line: 1,
        field: 'inputs.history[1].role',
        message:
          'must be one of SYSTEM, USER, ASSISTANT, FUNCTION (got "user") (a list of messages with a "role" is a CHAT_HISTORY; to send it as JSON, write {"type": "JSON", "value": [...]})',
      },
      {
        line: 1,
        field: 'inputs.image.value',
        message: 'must be {"src": "<url>"} for type IMAGE (got an object)',
      },
      { line: 1, field: 'inputs.count.value', message: 'must be a finite number for type NUMBER (got "3")' },
      {
        line: 1,
        field: 'inputs.kind.type',
        message:
          'must be one of STRING, NUMBER, JSON, CHAT_HISTORY, IMAGE, AUDIO, VIDEO, DOCUMENT (got "TEXT")',
      },
      { line: 1, field: 'inputs', message: 'input names must not be empty' },
    ]);
  });

  it('caps the list at 100 issues plus a count of the rest', async () => {
    const lines = Array.from({ length: 130 }, (_, i) => ({ id: i + 1000, inputs: {} }));
    const issues = await issuesOfLines(...lines);
    expect(issues).toHaveLength(101);
    expect(issues[99]).toEqual({ line: 100, field: 'id', message: 'must be a string (got number 1099)' });
    expect(issues[100]).toEqual({ line: null, field: null, message: '30 more problems found, not listed' });
  });
});

describe('inferInputs', () => {
  it.each<[string, unknown, string]>([
    ['string', 'hello', 'STRING'],
    ['empty string', '', 'STRING'],
    ['integer', 3, 'NUMBER'],
    ['float', -0.5, 'NUMBER'],
    [
      'chat history',
      [
        { role: 'SYSTEM', text: 'be nice' },
        { role: 'ASSISTANT', content: { type: 'STRING' } },
      ],
      'CHAT_HISTORY',
    ],
    ['empty list', [], 'JSON'],
    ['list of strings', ['a'], 'JSON'],
    ['list mixing messages and others', [{ role: 'USER', text: 'a' }, { text: 'b' }], 'JSON'],
    ['object', { lang: 'en' }, 'JSON'],
    ['object with type only', { type: 'STRING' }, 'JSON'],
    ['object with type, value and more', { type: 'STRING', value: 'x', extra: 1 }, 'JSON'],
    ['null', null, 'JSON'],
    ['boolean', true, 'JSON'],
    ['numeric string', '3', 'STRING'],
  ])('%s -> %s', (_name, value, type) => {
    expect(inferInputs({ x: value })).toEqual([{ name: 'x', type, value }]);
  });

  it('unwraps explicit typed inputs', () => {
    expect(
      inferInputs({
        a: { type: 'JSON', value: 'text sent as JSON' },
        b: { value: [], type: 'CHAT_HISTORY' },
        c: { type: 'DOCUMENT', value: { src: 'https://x/doc.pdf' } },
        d: { type: 'STRING', value: '3' },
      }),
    ).toEqual([
      { name: 'a', type: 'JSON', value: 'text sent as JSON' },
      { name: 'b', type: 'CHAT_HISTORY', value: [] },
      { name: 'c', type: 'DOCUMENT', value: { src: 'https://x/doc.pdf' } },
      { name: 'd', type: 'STRING', value: '3' },
    ]);
  });

  it('throws a TypeError naming the bad input', () => {
    expect(() => inferInputs({ n: { type: 'NUMBER', value: 'x' } })).toThrow(
      new TypeError('inputs.n.value: must be a finite number for type NUMBER (got "x")'),
    );
    expect(() => inferInputs({ n: Infinity })).toThrow('inputs.n: must be a finite number');
  });
});

describe('parseCase', () => {
  it('returns the case, or field issues without lines', () => {
    expect(parseCase({ inputs: { q: 'a' } }, 4)).toEqual({
      case: {
        index: 4,
        id: '4',
        inputs: [{ name: 'q', type: 'STRING', value: 'a' }],
        expected: {},
        assertions: [],
        metadata: {},
      },
    });
    expect(parseCase({ inputs: {}, asserts: [] }, 0)).toEqual({
      issues: [
        {
          field: 'asserts',
          message: 'unknown key; did you mean "assert"? (allowed: id, inputs, expected, assert, metadata)',
        },
      ],
    });
    expect(parseCase(null, 0)).toEqual({
      issues: [{ field: null, message: 'must be a JSON object with "inputs" (got null)' }],
    });
  });
});

describe('streaming', () => {
  it('streams a 20,000-line JSONL, re-reading on each call', async () => {
    const path = join(dir, 'big.jsonl');
    const out = createWriteStream(path);
    for (let i = 0; i < 20_000; i++)
      out.write(`{"id": "case-${i}", "inputs": {"query": "question ${i}", "n": ${i}}}\n`);
    await new Promise<void>((resolve, reject) =>
      out.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );

    const dataset = await openDataset(path);
    expect(dataset.size).toBe(20_000);
    for (let round = 0; round < 2; round++) {
      let count = 0;
      let first: Case | undefined;
      let last: Case | undefined;
      for await (const c of dataset.cases()) {
        first ??= c;
        last = c;
        count++;
      }
      expect(count).toBe(20_000);
      expect(first?.id).toBe('case-0');
      expect(last).toMatchObject({ id: 'case-19999', index: 19_999 });
    }
  });

  it('applies the filter to streamed cases, keeping file positions as indexes', async () => {
    const path = await file('f.jsonl', jsonl(...Array.from({ length: 10 }, (_, i) => ({ inputs: { i } }))));
    const dataset = await openDataset(path, { filter: (c) => c.index % 3 === 1 });
    expect(dataset.size).toBe(3);
    expect(dataset.total).toBe(10);
    const indexes: number[] = [];
    for await (const c of dataset.cases()) indexes.push(c.index);
    expect(indexes).toEqual([1, 4, 7]);
  });

  it('still validates cases the filter leaves out', async () => {
    const path = await file('f.jsonl', jsonl({ inputs: {} }, { id: 5, inputs: {} }));
    await expect(openDataset(path, { filter: (c) => c.index === 0 })).rejects.toThrow(
      'must be a string (got number 5)',
    );
  });

  it('never yields a case whose line changed after the dataset was checked', async () => {
    const path = await file('f.jsonl', jsonl({ id: 'a', inputs: {} }, { id: 'b', inputs: {} }));
    const dataset = await openDataset(path);
    await writeFile(
      path,
      `${jsonl({ id: 'a', inputs: {} })}${JSON.stringify({ id: 'b', inputs: { q: 1 } })}\n`,
    );
    const ids: string[] = [];
    await expect(
      (async () => {
        for await (const c of dataset.cases()) ids.push(c.id);
      })(),
    ).rejects.toThrow(`${path}:2 changed after the dataset was checked (its text is not what was validated)`);
    expect(ids).toEqual(['a']);
    await writeFile(path, jsonl({ id: 'a', inputs: {} }));
    await expect(dataset.cases()[Symbol.asyncIterator]().next()).resolves.toMatchObject({
      value: { id: 'a' },
    });
    const cut = dataset.cases()[Symbol.asyncIterator]();
    await cut.next();
    await expect(cut.next()).rejects.toThrow(
      `${path}:2 changed after the dataset was checked (the file now ends before it)`,
    );
  });
});
