/**
 * Sharding and merging end to end: three `run --shard I/3` processes and a `merge` give exactly the records and
 * verdict of one unsharded run; a missing or doubled shard is an error, not a silent pass.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeVellum } from '@vellum-batch/testkit';
import type { FakeVellum } from '@vellum-batch/testkit';
import { runCli } from './helpers.js';

let dir: string;
let fake: FakeVellum;
const KEY = 'shard-key';
const CASES = 3000;

function runArgs(out: string, ...extra: string[]): string[] {
  return [
    'run',
    '--dataset',
    join(dir, 'cases.jsonl'),
    '--workflow',
    'demo',
    '--base-url',
    fake.url,
    '--out',
    out,
    '--concurrency',
    '128',
    '--max-failure-rate',
    '10%',
    ...extra,
  ];
}

function comparable(record: Record<string, unknown>): unknown {
  const { index, id, status, passed, outputs, error, assertions } = record;
  return { index, id, status, passed, outputs, error, assertions };
}

async function records(out: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(out, 'results.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function summary(out: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as Record<string, unknown>;
}

describe('run --shard and merge', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-shard-'));
    fake = await startFakeVellum({ apiKey: KEY, deployments: ['demo'], durationMs: { min: 0, max: 5 } });
    const lines = Array.from({ length: CASES }, (_, i) =>
      JSON.stringify({
        id: `case-${i}`,
        inputs: { q: `q${i}`, ...(i % 97 === 5 ? { fake_reject: 'nope' } : {}) },
        expected: { q: i % 61 === 0 ? 'wrong' : `q${i}` },
      }),
    );
    await writeFile(join(dir, 'cases.jsonl'), `${lines.join('\n')}\n`);
    const env = { VELLUM_API_KEY: KEY };
    const results = await Promise.all([
      runCli(runArgs(join(dir, 'all')), { env }),
      ...[1, 2, 3].map((i) => runCli(runArgs(join(dir, `s${i}`), '--shard', `${i}/3`), { env })),
    ]);
    for (const result of results) expect(result.code, result.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('splits the cases by id hash with every case in exactly one shard', async () => {
    const sizes = await Promise.all([1, 2, 3].map(async (i) => (await records(join(dir, `s${i}`))).length));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(CASES);
    for (const size of sizes) expect(size).toBeGreaterThan(CASES / 3 - 150);
    const shard = (await summary(join(dir, 's2')))['shard'];
    expect(shard).toEqual({ index: 2, count: 3 });
  });

  it('merges three shards into exactly the records and verdict of the unsharded run', async () => {
    const merged = join(dir, 'merged');
    const result = await runCli([
      'merge',
      join(dir, 's1'),
      join(dir, 's3'),
      join(dir, 's2'),
      '--out',
      merged,
      '--max-failure-rate',
      '10%',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const whole = await records(join(dir, 'all'));
    const combined = await records(merged);
    expect(combined.map(comparable)).toEqual(whole.map(comparable));
    const a = await summary(join(dir, 'all'));
    const b = await summary(merged);
    for (const key of [
      'total',
      'passed',
      'failed',
      'fulfilled',
      'rejected',
      'errored',
      'verdict',
      'failure_rate',
    ]) {
      expect(b[key], key).toEqual(a[key]);
    }
    expect(b['shard']).toBeNull();
    const junit = await readFile(join(merged, 'junit.xml'), 'utf8');
    expect(junit.match(/<testcase /g)).toHaveLength(CASES);
  });

  it('applies the gate once at the merge: a stricter gate fails the merged set', async () => {
    const result = await runCli([
      'merge',
      join(dir, 's1'),
      join(dir, 's2'),
      join(dir, 's3'),
      '--out',
      join(dir, 'strict'),
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAIL: \d+\/3000 passed/);
    expect(result.stdout).toMatch(/failure rate .* is above the allowed 0%/);
  });

  it('refuses a missing shard and a shard given twice, naming them', async () => {
    const missing = await runCli(['merge', join(dir, 's1'), join(dir, 's3'), '--out', join(dir, 'm1')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('shard 2 of 3 is missing');
    const twice = await runCli([
      'merge',
      join(dir, 's1'),
      join(dir, 's2'),
      join(dir, 's2'),
      join(dir, 's3'),
      '--out',
      join(dir, 'm2'),
    ]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/shard 2 of 3 is given 2 times/);
    const whole = await runCli(['merge', join(dir, 'all'), '--out', join(dir, 'm3')]);
    expect(whole.code).toBe(2);
    expect(whole.stderr).toContain('ran the whole dataset, not a shard');
  });
});
