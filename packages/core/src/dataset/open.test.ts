import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatasetError } from '../errors.js';
import { shardOf } from '../shard.js';
import { openDataset, type Dataset } from './open.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-open-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lines = (n: number): string =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ id: `case-${i}`, inputs: { q: `é ${i}` } })).join(
    '\n',
  ) + '\n';

async function ids(dataset: Dataset): Promise<string[]> {
  const out: string[] = [];
  for await (const c of dataset.cases()) out.push(c.id);
  return out;
}

describe('one pass', () => {
  it('hashes the exact bytes it validated', async () => {
    const path = join(dir, 'a.jsonl');
    await writeFile(path, `\ufeff${lines(50)}`);
    const dataset = await openDataset(path);
    expect(dataset.sha256).toBe(
      createHash('sha256')
        .update(await readFile(path))
        .digest('hex'),
    );
    expect(dataset).toMatchObject({ size: 50, total: 50, format: 'jsonl' });
  });

  it('keeps only a shard’s cases; the shards together are the file', async () => {
    const path = join(dir, 'a.jsonl');
    await writeFile(path, lines(200));
    const seen: string[] = [];
    for (let index = 1; index <= 3; index++) {
      const shard = await openDataset(path, { shard: { index, count: 3 } });
      const own = await ids(shard);
      expect(shard.total).toBe(200);
      expect(shard.size).toBe(own.length);
      expect(own.every((id) => shardOf(id, 3) === index)).toBe(true);
      seen.push(...own);
    }
    expect(seen.sort()).toEqual((await ids(await openDataset(path))).sort());
    const both = await openDataset(path, { shard: { index: 1, count: 3 }, filter: (c) => c.index < 100 });
    expect((await ids(both)).every((id) => Number(id.slice(5)) < 100 && shardOf(id, 3) === 1)).toBe(true);
  });
});

describe('standard input', () => {
  it('reads "-" once, in the given format, and yields the cases on every call', async () => {
    const bytes = Buffer.from(lines(3));
    // Chunks cut inside a two-byte character and inside lines.
    const cut = bytes.indexOf(Buffer.from('é')) + 1;
    let reads = 0;
    function* stdin(): Generator<Buffer> {
      reads++;
      yield bytes.subarray(0, cut);
      yield bytes.subarray(cut, cut + 7);
      yield bytes.subarray(cut + 7);
    }
    const dataset = await openDataset('-', { format: 'jsonl', stdin: Readable.from(stdin()) });
    expect(dataset).toMatchObject({ path: '-', format: 'jsonl', size: 3, total: 3 });
    expect(dataset.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(await ids(dataset)).toEqual(['case-0', 'case-1', 'case-2']);
    expect(await ids(dataset)).toEqual(['case-0', 'case-1', 'case-2']);
    expect(reads).toBe(1);
    const first = (await dataset.cases()[Symbol.asyncIterator]().next()).value as { inputs: unknown };
    expect(first.inputs).toEqual([{ name: 'q', type: 'STRING', value: 'é 0' }]);
  });

  it('reads CSV and JSON from a stream, and names <stdin> in errors', async () => {
    const csv = await openDataset('-', { format: 'csv', stdin: Readable.from(['id,q\na,', 'x\n']) });
    expect(await ids(csv)).toEqual(['a']);
    const json = await openDataset('-', { format: 'json', stdin: Readable.from(['[{"inputs": {}}]']) });
    expect(json.size).toBe(1);

    const error: unknown = await openDataset('-', {
      format: 'jsonl',
      stdin: Readable.from(['{"inputs": {}}\n{"inputs": 3}\n']),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as DatasetError).message).toContain('<stdin>:2: inputs: must be an object');
  });

  it('needs a format for "-"', async () => {
    await expect(openDataset('-', { stdin: Readable.from([]) })).rejects.toThrow(
      '<stdin>: standard input has no extension: give its format (jsonl, json or csv)',
    );
  });
});
