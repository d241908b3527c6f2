import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatasetError } from '../errors.js';
import type { Case } from '../types.js';
import { IdIndex } from './id-index.js';
import { openDataset } from './open.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-file-cases-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function all(cases: AsyncIterable<Case>): Promise<Case[]> {
  const out: Case[] = [];
  for await (const c of cases) out.push(c);
  return out;
}

describe('JSONL cases read again from the file', () => {
  it('yields what standard input yields: BOM, CRLF, blank lines, long lines across reads', async () => {
    const long = 'é'.repeat(700_000); // 1.4 MB: this line spans two reads of the file
    const text =
      '\ufeff{"id":"a","inputs":{"q":"x"}}\r\n' +
      '\n   \n' +
      `{"inputs":{"q":"${long}"},"expected":{"q":"${long}"}}\n` +
      '{"id":"c","inputs":[{"name":"n","type":"NUMBER","value":-0.5}],"assert":[{"output":"o","op":"matches","value":"^a"}]}';
    const path = join(dir, 'cases.jsonl');
    await writeFile(path, text);
    const fromFile = await all((await openDataset(path)).cases());
    const fromStdin = await all(
      (await openDataset('-', { format: 'jsonl', stdin: Readable.from([Buffer.from(text)]) })).cases(),
    );
    expect(fromFile).toEqual(fromStdin);
    expect(fromFile.map((c) => [c.index, c.id])).toEqual([
      [0, 'a'],
      [1, '1'],
      [2, 'c'],
    ]);
    expect(fromFile[1]!.inputs[0]!.value).toBe(long);
  });

  it('keeps only the filtered cases, with their positions in the file', async () => {
    const path = join(dir, 'cases.jsonl');
    await writeFile(
      path,
      Array.from({ length: 5_000 }, (_, i) => JSON.stringify({ id: `c${i}`, inputs: { i } })).join('\n'),
    );
    const dataset = await openDataset(path, { filter: (c) => c.index % 7 === 3 });
    const kept = await all(dataset.cases());
    expect(dataset).toMatchObject({ total: 5_000, size: kept.length });
    expect(kept.every((c) => c.index % 7 === 3 && c.id === `c${c.index}`)).toBe(true);
    expect(kept.at(-1)?.index).toBe(4_999 - ((4_999 - 3) % 7));
    // A second iteration reads the file again and yields the same cases.
    expect(await all(dataset.cases())).toEqual(kept);
  });

  it('yields every case of a file larger than its first arrays, after they are fitted to the count', async () => {
    const path = join(dir, 'cases.jsonl');
    // 3,000 cases: the arrays grow from 1,024 to 4,096 entries and are then cut to 3,000.
    await writeFile(
      path,
      Array.from({ length: 3_000 }, (_, i) => JSON.stringify({ id: `c${i}`, inputs: { i } })).join('\n'),
    );
    const dataset = await openDataset(path);
    const cases = await all(dataset.cases());
    expect(cases).toHaveLength(3_000);
    expect(cases.every((c, i) => c.index === i && c.id === `c${i}` && c.inputs[0]!.value === i)).toBe(true);
  });

  it('fails when the file is gone', async () => {
    const path = join(dir, 'cases.jsonl');
    await writeFile(path, '{"id":"a","inputs":{}}\n{"id":"b","inputs":{}}\n');
    const dataset = await openDataset(path);
    await rm(path);
    await expect(all(dataset.cases())).rejects.toThrow('ENOENT');
  });
});

describe('IdIndex', () => {
  it('finds every duplicate with the line first used, across table growth', () => {
    const index = new IdIndex();
    for (let i = 0; i < 20_000; i++) expect(index.firstLine(`id-${i}-ü`, i + 1)).toBe(-1);
    expect(index.size).toBe(20_000);
    for (let i = 0; i < 20_000; i += 997) expect(index.firstLine(`id-${i}-ü`, 99_999)).toBe(i + 1);
    expect(index.firstLine('id-1', 5)).toBe(-1);
    expect(index.firstLine('x'.repeat(100_000), 6)).toBe(-1);
    expect(index.firstLine('x'.repeat(100_000), 7)).toBe(6);
    expect(index.size).toBe(20_002);
  });

  it('reports a duplicate id of a dataset by both lines, also in a shard run', async () => {
    const path = join(dir, 'cases.jsonl');
    await writeFile(path, '{"id":"a","inputs":{}}\n{"id":"b","inputs":{}}\n{"id":"a","inputs":{}}\n');
    const error: unknown = await openDataset(path, { shard: { index: 2, count: 2 } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as DatasetError).message).toContain(
      `${path}:3: id: duplicate id "a" (first used on line 1)`,
    );
  });
});
