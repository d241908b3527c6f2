/**
 * The one read of a dataset: its bytes are hashed as they arrive and cut into lines, each decoded as strict
 * UTF-8 (a line that is not valid UTF-8 is reported by number, never decoded with U+FFFD in its place). A newline
 * byte never occurs inside a UTF-8 sequence, so decoding line by line is exactly decoding the whole file.
 */
import type { Hash } from 'node:crypto';
import type { DatasetIssue } from '../errors.js';

/** One line of the file (1-based `number`), without its `\n`; `text` is null when it is not valid UTF-8. */
export interface Line {
  readonly number: number;
  readonly text: string | null;
}

/** What a format reader yields: one raw case object per case position, or one unreadable part. */
export type Entry =
  | {
      readonly kind: 'raw';
      readonly line: number;
      readonly index: number;
      readonly raw: unknown;
      /** The JSON text `raw` was parsed from, when it is a whole line (JSONL): kept instead of the case. */
      readonly text?: string;
    }
  | { readonly kind: 'issue'; readonly issue: DatasetIssue };

/** The issue for a line that is not valid UTF-8. */
export function invalidUtf8(line: number): DatasetIssue {
  return { line, field: null, message: 'is not valid UTF-8 text (save the file as UTF-8)' };
}

const NEWLINE = 0x0a;

/**
 * The lines of a byte stream, each byte also fed to `hash`. A BOM at the start of the first line is dropped
 * (it is not part of the text); a last line without a newline is a line. A chunk may be reused by its source once
 * the next one is asked for: what is kept of it (a line's start) is copied.
 */
export async function* decodeLines(
  chunks: AsyncIterable<Uint8Array | string>,
  hash: Hash,
): AsyncGenerator<Line> {
  // ignoreBOM keeps a U+FEFF that starts any later line: only the file's first bytes may be a BOM.
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const decode = (bytes: Uint8Array, number: number): Line => {
    let text: string | null;
    try {
      text = decoder.decode(bytes);
    } catch {
      text = null;
    }
    if (number === 1 && text !== null && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { number, text };
  };
  let carry: Buffer[] = [];
  let number = 0;
  for await (const piece of chunks) {
    const chunk =
      typeof piece === 'string'
        ? Buffer.from(piece, 'utf8')
        : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    hash.update(chunk);
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE, start); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      const part = chunk.subarray(start, end);
      const bytes = carry.length === 0 ? part : Buffer.concat([...carry, part]);
      carry = [];
      yield decode(bytes, ++number);
      start = end + 1;
    }
    if (start < chunk.length) carry.push(Buffer.from(chunk.subarray(start)));
  }
  if (carry.length > 0) yield decode(Buffer.concat(carry), number + 1);
}
