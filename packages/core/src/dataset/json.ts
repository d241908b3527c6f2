/**
 * A JSON array of case objects. The array is parsed whole (JSON has no line boundaries to stream on); each
 * element's line is found by a scan of the text, so every issue names a line.
 */
import type { DatasetIssue } from '../errors.js';
import { describe } from './issues.js';
import { jsonMessage } from './jsonl.js';
import { invalidUtf8, type Entry, type Line } from './lines.js';

/** One entry per array element, or the issues that keep the file from parsing. */
export async function* jsonEntries(lines: AsyncIterable<Line>): AsyncGenerator<Entry> {
  const parts: string[] = [];
  let broken = false;
  for await (const { number, text } of lines) {
    if (text === null) {
      broken = true;
      yield { kind: 'issue', issue: invalidUtf8(number) };
    } else if (!broken) parts.push(text);
  }
  if (broken) return;
  const text = parts.join('\n');
  parts.length = 0;
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
  const elementLines = linesOf(text, elementOffsets(text));
  for (const [index, raw] of (data as unknown[]).entries()) {
    yield { kind: 'raw', line: elementLines[index] ?? 1, index, raw };
  }
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
