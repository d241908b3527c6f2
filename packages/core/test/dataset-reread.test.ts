/**
 * A JSONL dataset is read again as the run goes: a line whose text changed after the dataset was checked is never
 * submitted; the run stops as fatal, naming the line. The cases before it have their records; the journal's run is
 * unfinished (a resume needs the file as it was checked, by its SHA-256).
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startFakeVellum } from '@vellum-batch/testkit';
import type { FakeVellum } from '@vellum-batch/testkit';
import { createClient } from '../src/client.js';
import { openDataset } from '../src/dataset.js';
import { runBatch } from '../src/engine/run.js';
import type { CaseRecord } from '../src/types.js';

let dir: string;
let fake: FakeVellum | null = null;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-reread-'));
});
afterEach(async () => {
  await fake?.close();
  fake = null;
  await rm(dir, { recursive: true, force: true });
});

const line = (i: number, query = `q${i}`): string => JSON.stringify({ id: `c${i}`, inputs: { query } });

it('stops before submitting a case whose line changed after the check, naming the line', async () => {
  fake = await startFakeVellum({ apiKey: 'k', deployments: ['wf'], durationMs: 0 });
  const path = join(dir, 'cases.jsonl');
  await writeFile(path, `${[0, 1, 2, 3].map((i) => line(i)).join('\n')}\n`);
  const dataset = await openDataset(path);
  const client = createClient({ apiKey: 'k', baseUrl: fake.url });
  const out = join(dir, 'out');
  try {
    const { summary } = await runBatch({
      client,
      dataset,
      workflow: { deploymentName: 'wf' },
      outDir: out,
      concurrency: 1,
      onEvent: (event) => {
        // Before the first case is read: line 3 gets other inputs.
        if (event.type === 'started') {
          writeFileSync(path, `${[line(0), line(1), line(2, 'changed'), line(3)].join('\n')}\n`);
        }
      },
    });
    expect(summary.stopped?.reason).toBe('fatal');
    expect(summary.stopped?.message).toContain(
      `the dataset could not be read to its end: ${path}:3 changed after the dataset was checked`,
    );
  } finally {
    await client.close();
  }
  const records = (await readFile(join(out, 'results.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as CaseRecord);
  // c1 was in flight when line 3 was read (the feed reads a case before it waits for room): it is recorded, as any
  // case a stop finds in flight.
  expect(records.map((r) => r.id)).toEqual(['c0', 'c1']);
  expect(records[0]!.status).toBe('FULFILLED');
  const started = [...fake.executions()].map((e) => e.externalId?.slice(-2));
  expect(started).not.toContain('c2');
  expect(started).not.toContain('c3');
});
