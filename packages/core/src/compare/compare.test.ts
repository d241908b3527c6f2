import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { meta, record, writeOutDir } from '../../test/baseline-fixtures.js';
import { ConfigError } from '../errors.js';
import { shardOf } from '../shard.js';
import type { Summary } from '../types.js';
import { compareWithBaseline } from './compare.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-compare-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const current = (overrides: Partial<Summary> = {}): Pick<Summary, 'workflow' | 'shard' | 'dataset'> => ({
  workflow: { deployment_name: 'support-assistant', deployment_id: null, release_tag: 'LATEST' },
  shard: null,
  dataset: { path: 'cases.jsonl', cases: 5, sha256: 'aaaa' },
  ...overrides,
});

async function rejection(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('compareWithBaseline', () => {
  it('sorts every case into regression, fix, still failing, still passing, added and removed', async () => {
    const base = join(dir, 'base');
    await writeOutDir(
      base,
      [
        record(0, 'a', true),
        record(1, 'b', true, 'refund: we sent it'),
        record(2, 'c', false),
        record(3, 'd', false),
        record(4, 'e', true),
      ],
      meta({ runId: 'run-base', dataset: { path: 'cases.jsonl', cases: 5, sha256: 'aaaa' } }),
    );
    const now = [
      record(0, 'a', true),
      record(1, 'b', false, 'no idea'),
      record(2, 'c', true),
      record(3, 'd', false),
      record(5, 'f', false),
    ];
    const result = await compareWithBaseline(now, base, { current: current(), baselineCommit: 'abc1234' });
    expect(result.comparison).toEqual({
      baseline: {
        run_id: 'run-base',
        finished_at: '2026-01-02T00:00:30.000Z',
        dataset_sha256: 'aaaa',
        release_tag: 'LATEST',
        commit: 'abc1234',
      },
      dataset_changed: false,
      regressions: 1,
      fixes: 1,
      still_failing: 1,
      still_passing: 1,
      added: 1,
      removed: 1,
      regressed_ids: ['b'],
      fixed_ids: ['c'],
      // now: latencies 1000,1001,1002,1003,1005 (p50 1002, p95 1005); baseline 1000..1004 (p50 1002, p95 1004)
      latency: { p50_delta_ms: 0, p95_delta_ms: 1 },
    });
    expect(result.baselineOf('b')).toEqual({ status: 'FULFILLED', passed: true });
    expect(result.baselineOf('f')).toBeNull();
    expect(result.regressed.map((c) => [c.id, c.outputs])).toEqual([['b', { answer: 'refund: we sent it' }]]);
  });

  it('says when the datasets differ, and reads records carrying repeats by their verdict', async () => {
    const base = join(dir, 'base');
    await writeOutDir(
      base,
      [record(0, 'a', true)],
      meta({ dataset: { path: 'x.jsonl', cases: 1, sha256: 'bbbb' } }),
    );
    const repeat = (passed: boolean, k: number) => ({
      execution_id: `e${k}`,
      external_id: `vb-a-r${k}`,
      status: 'FULFILLED' as const,
      passed,
      latency_ms: 5,
    });
    const repeated = { ...record(0, 'a', false), repeats: [repeat(true, 1), repeat(false, 2)] };
    const result = await compareWithBaseline([repeated], base, { current: current() });
    expect(result.comparison).toMatchObject({ dataset_changed: true, regressions: 1, regressed_ids: ['a'] });
  });

  it('refuses a baseline of another deployment unless anyWorkflow', async () => {
    const base = join(dir, 'base');
    await writeOutDir(
      base,
      [record(0, 'a', true)],
      meta({ workflow: { deployment_name: 'billing-bot', deployment_id: null, release_tag: 'LATEST' } }),
    );
    const error = await rejection(compareWithBaseline([record(0, 'a', true)], base, { current: current() }));
    expect(error.message).toBe(
      '--baseline: the baseline ran the deployment named "billing-bot", this run named "support-assistant": ' +
        'a comparison across deployments is refused (pass --baseline-any-workflow to compare anyway)',
    );
    const any = await compareWithBaseline([record(0, 'a', true)], base, {
      current: current(),
      anyWorkflow: true,
    });
    expect(any.comparison.still_passing).toBe(1);
  });

  it('allows another release tag of the same deployment', async () => {
    const base = join(dir, 'base');
    await writeOutDir(
      base,
      [record(0, 'a', true)],
      meta({ workflow: { deployment_name: 'support-assistant', deployment_id: null, release_tag: 'v1' } }),
    );
    const result = await compareWithBaseline([record(0, 'a', true)], base, { current: current() });
    expect(result.comparison.baseline.release_tag).toBe('v1');
  });

  it('counts only the cases of its own shard as removed', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `case-${i}`);
    const base = join(dir, 'base');
    await writeOutDir(
      base,
      ids.map((id, i) => record(i, id, true)),
    );
    const mine = ids.filter((id) => shardOf(id, 2) === 1);
    const now = mine.slice(1).map((id) => record(ids.indexOf(id), id, true));
    const result = await compareWithBaseline(now, base, {
      current: current({ shard: { index: 1, count: 2 } }),
    });
    expect(mine.length).toBeLessThan(40);
    expect(result.comparison).toMatchObject({ removed: 1, added: 0, still_passing: mine.length - 1 });
  });

  it('names the file when the baseline is missing or damaged', async () => {
    const base = join(dir, 'base');
    expect((await rejection(compareWithBaseline([], base))).message).toBe(
      `--baseline: ${base} is not a vellum-batch out directory: ${join(base, 'summary.json')} is missing`,
    );
    await writeOutDir(base, [record(0, 'a', true)]);
    await writeFile(join(base, 'summary.json'), '{"total": 1,');
    expect((await rejection(compareWithBaseline([], base))).message).toMatch(
      new RegExp(`^--baseline: ${escape(join(base, 'summary.json'))} is damaged: not valid JSON`),
    );
    await writeFile(join(base, 'summary.json'), '{"total": 1}');
    expect((await rejection(compareWithBaseline([], base))).message).toMatch(
      new RegExp(`^--baseline: ${escape(join(base, 'summary.json'))} is damaged: run_id: `),
    );
  });

  it('names the file and line of a damaged results.jsonl, and a missing one', async () => {
    const base = join(dir, 'base');
    await writeOutDir(base, [record(0, 'a', true), record(1, 'b', true)]);
    const results = join(base, 'results.jsonl');
    await writeFile(
      results,
      `${JSON.stringify({ index: 0, id: 'a', status: 'FULFILLED', passed: true })}\n{"index":1}\n`,
    );
    expect((await rejection(compareWithBaseline([], base))).message).toBe(
      `--baseline: ${results}:2: not a valid record: id: Invalid input: expected string, received undefined`,
    );
    await writeFile(
      results,
      `${JSON.stringify({ index: 0, id: 'a', status: 'FULFILLED', passed: true })}\n`.repeat(2),
    );
    expect((await rejection(compareWithBaseline([], base))).message).toBe(
      `--baseline: ${results} holds case "a" more than once: not one run's results`,
    );
    await rm(results);
    expect((await rejection(compareWithBaseline([], base))).message).toBe(
      `--baseline: ${base} is not a complete vellum-batch out directory: ${results} is missing`,
    );
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
