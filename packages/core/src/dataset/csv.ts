/**
 * CSV with a header row (SPEC section 3): column `id` is the id, columns `expected.NAME` fill `expected`, every
 * other column is a `STRING` input. Rows stream through csv-parse; a quoted field may span lines.
 */
import { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import type { FieldIssue } from './issues.js';
import { invalidUtf8, type Entry, type Line } from './lines.js';

/** One entry per data row, or per problem (header, ragged row, unreadable text). */
export async function* csvEntries(lines: AsyncIterable<Line>): AsyncGenerator<Entry> {
  let badLine: number | null = null;
  // The text goes to csv-parse line by line, until a line that is not UTF-8 (reported once the rows before
  // it are read; what follows it is not parsed, since a quoted field may have begun on it).
  async function* text(): AsyncGenerator<string> {
    for await (const { number, text } of lines) {
      if (text === null) {
        badLine = number;
        return;
      }
      yield `${text}\n`;
    }
  }
  const parser = Readable.from(text(), { objectMode: false }).pipe(
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
    if (badLine === null) {
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
  if (badLine !== null) yield { kind: 'issue', issue: invalidUtf8(badLine) };
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
  // Entries, then Object.fromEntries (which defines properties): a column named `__proto__` stays a key.
  const inputs: [string, { type: 'STRING'; value: string }][] = [];
  const expected: [string, string][] = [];
  let id: string | undefined;
  header.forEach((name, i) => {
    const value = record[i] ?? '';
    if (name.trim() === '') return; // reported with the header
    if (name === 'id') id = value;
    else if (name.startsWith('expected.')) expected.push([name.slice('expected.'.length), value]);
    // Every other column is a STRING input; the explicit form keeps a value like "3" a string.
    else inputs.push([name, { type: 'STRING', value }]);
  });
  const raw = { inputs: Object.fromEntries(inputs), expected: Object.fromEntries(expected) };
  return id === undefined ? raw : { id, ...raw };
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
