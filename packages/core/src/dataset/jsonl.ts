/** JSONL / NDJSON: one case object per line; blank lines are skipped (and do not take a case position). */
import { invalidUtf8, type Entry, type Line } from './lines.js';

/** One entry per non-blank line. */
export async function* jsonlEntries(lines: AsyncIterable<Line>): AsyncGenerator<Entry> {
  let index = 0;
  for await (const { number, text } of lines) {
    if (text === null) {
      index++;
      yield { kind: 'issue', issue: invalidUtf8(number) };
      continue;
    }
    if (text.trim() === '') continue;
    const position = index++;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      yield {
        kind: 'issue',
        issue: { line: number, field: null, message: `is not valid JSON: ${jsonMessage(error)}` },
      };
      continue;
    }
    yield { kind: 'raw', line: number, index: position, raw, text };
  }
}

/** A JSON.parse error in one line (V8 quotes a piece of the text: it is escaped when shown). */
export function jsonMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ');
}
