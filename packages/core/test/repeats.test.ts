/**
 * Repeats end to end against the testkit's HTTP fake: each case runs exactly N times under distinct external ids,
 * each repeat is journaled on its own, the record of a case aggregates its repeats, and resume, retry-failed, shards,
 * merge and the baseline comparison all keep to one execution per repeat.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeVellum } from '@vellum-batch/testkit';
import type { FakeVellum, FakeVellumOptions, Responder } from '@vellum-batch/testkit';
import { createClient } from '../src/client.js';
import { applyBaseline } from '../src/compare/apply.js';
import { ConfigError } from '../src/errors.js';
import { runBatch } from '../src/engine/run.js';
import type { RunBatchOptions, RunEvent } from '../src/engine/options.js';
import { mergeResults } from '../src/merge.js';
import { shardOf } from '../src/shard.js';
import type { Case, CaseRecord, Summary } from '../src/types.js';

let dir: string;
let server: FakeVellum | null = null;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-repeats-'));
});
afterEach(async () => {
  await server?.close();
  server = null;
  await rm(dir, { recursive: true, force: true });
});

function cases(n: number): Case[] {
  return Array.from({ length: n }, (_, index) => ({
    index,
    id: `case-${index}`,
    inputs: [{ name: 'q', type: 'STRING' as const, value: `q${index}` }],
    expected: {},
    assertions: [],
    metadata: {},
  }));
}

function source(
  list: Case[],
  shard: { index: number; count: number } | null = null,
): RunBatchOptions['dataset'] {
  return { path: 'memory.jsonl', size: list.length, shard, cases: () => list };
}

async function start(options: FakeVellumOptions = {}): Promise<FakeVellum> {
  server = await startFakeVellum({
    apiKey: 'k',
    deployments: ['wf'],
    durationMs: { min: 1, max: 20 },
    ...options,
  });
  return server;
}

async function run(
  fake: FakeVellum,
  list: Case[] | RunBatchOptions['dataset'],
  extra: Partial<RunBatchOptions> = {},
): Promise<{ summary: Summary; records: CaseRecord[]; events: RunEvent[] }> {
  const client = createClient({ apiKey: 'k', baseUrl: fake.url, retry: { baseDelayMs: 5, maxDelayMs: 20 } });
  const events: RunEvent[] = [];
  const outDir = extra.outDir ?? dir;
  try {
    const result = await runBatch({
      client,
      dataset: Array.isArray(list) ? source(list) : list,
      workflow: { deploymentName: 'wf' },
      outDir,
      initialDurationEstimateMs: 10,
      onEvent: (e) => events.push(e),
      ...extra,
    });
    return { summary: result.summary, records: await records(outDir), events };
  } finally {
    await client.close();
  }
}

async function records(outDir: string): Promise<CaseRecord[]> {
  const text = await readFile(join(outDir, 'results.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as CaseRecord);
}

/** External ids of every execution the fake created, with how many times each. */
function startedIds(fake: FakeVellum): Map<string, number> {
  const ids = new Map<string, number>();
  for (const e of fake.executions()) ids.set(e.externalId ?? '', (ids.get(e.externalId ?? '') ?? 0) + 1);
  return ids;
}

/** Rejects the repeats whose external id is in `reject`; fulfils the rest. */
function rejecting(reject: (externalId: string) => boolean): Responder {
  return (req) =>
    reject(req.externalId ?? '')
      ? { error: { message: 'no', code: 'NODE_EXECUTION' } }
      : { outputs: { ok: true } };
}

function expectVerdictsMatchRepeats(list: readonly CaseRecord[], minPass: number): void {
  for (const record of list) {
    const passed = record.repeats!.filter((r) => r.passed).length;
    expect(record.passed, record.id).toBe(passed >= minPass);
  }
}

describe('runBatch with repeats', () => {
  it('runs every case N times under distinct external ids, one record per case, flaky counted', async () => {
    const fake = await start({ rejectRate: 0.3, seed: 7 });
    const list = cases(30);
    const {
      summary,
      records: out,
      events,
    } = await run(fake, list, {
      repeat: { count: 3, minPass: 2 },
      externalIdPrefix: 'vb-rep-',
      concurrency: 8,
    });
    const ids = startedIds(fake);
    expect(ids.size).toBe(90);
    expect([...ids.values()].every((n) => n === 1)).toBe(true);
    for (const c of list) {
      for (const k of [1, 2, 3]) expect(ids.has(`vb-rep-${c.id}-r${k}`), `${c.id} r${k}`).toBe(true);
    }
    expect(out.map((r) => r.index)).toEqual(list.map((c) => c.index));
    expect(out.every((r) => r.repeats?.length === 3)).toBe(true);
    expectVerdictsMatchRepeats(out, 2);
    const flaky = out.filter((r) => r.repeats!.some((x) => x.passed) && r.repeats!.some((x) => !x.passed));
    expect(flaky.length).toBeGreaterThan(0);
    expect(summary).toMatchObject({
      total: 30,
      passed: out.filter((r) => r.passed).length,
      repeat: { count: 3, min_pass: 2 },
      flaky: flaky.length,
      flaky_ids: flaky.map((r) => r.id),
    });
    // Each repeat's entry is its execution, as the server knows it.
    const byExternal = new Map([...fake.executions()].map((e) => [e.externalId, e]));
    for (const record of out) {
      for (const r of record.repeats!) {
        const e = byExternal.get(r.external_id)!;
        expect(r.execution_id).toBe(e.id);
        expect(r.status).toBe(e.status);
      }
      // The top-level fields are those of one of its repeats.
      expect(record.repeats!.map((r) => r.execution_id)).toContain(record.execution_id);
    }
    // Events: a record per case; progress counts executions; submits name their repeat.
    const recordEvents = events.filter((e) => e.type === 'record');
    expect(recordEvents).toHaveLength(30);
    expect(events.find((e) => e.type === 'started')).toMatchObject({
      repeat: { count: 3, minPass: 2 },
      progress: { total: 90 },
    });
    const submitted = events.filter((e) => e.type === 'submitted');
    expect(submitted).toHaveLength(90);
    expect(new Set(submitted.map((e) => `${e.index}/${e.repeat}`)).size).toBe(90);
    expect(recordEvents.at(-1)!.progress.finished).toBe(90);
    // The journal holds one record per repeat, each line with its case index and repeat.
    const journal = (await readFile(join(dir, 'journal.jsonl'), 'utf8')).trim().split('\n');
    expect(JSON.parse(journal[0]!)).toMatchObject({ repeat: { count: 3, min_pass: 2 } });
    const recs = journal
      .map((l) => JSON.parse(l) as { t: string; i: number; rep?: number })
      .filter((e) => e.t === 'rec');
    expect(recs).toHaveLength(90);
    expect(new Set(recs.map((e) => `${e.i}/${e.rep}`)).size).toBe(90);
    // report.md and junit.xml name the flaky cases.
    const md = await readFile(join(dir, 'report.md'), 'utf8');
    expect(md).toContain(`**Flaky** ${flaky.length} cases`);
    expect(md).toContain(`### Flaky cases (${flaky.length})`);
    const junit = await readFile(join(dir, 'junit.xml'), 'utf8');
    expect(junit.match(/<property name="flaky" value="true"\/>/g)).toHaveLength(flaky.length);
  });

  it('keeps the un-suffixed external id with a count of 1, and records carry their one repeat', async () => {
    const fake = await start();
    const { summary, records: out } = await run(fake, cases(3), {
      repeat: { count: 1 },
      externalIdPrefix: 'vb-one-',
    });
    expect([...startedIds(fake).keys()].sort()).toEqual(['vb-one-case-0', 'vb-one-case-1', 'vb-one-case-2']);
    expect(out.map((r) => r.repeats?.map((x) => x.external_id))).toEqual([
      ['vb-one-case-0'],
      ['vb-one-case-1'],
      ['vb-one-case-2'],
    ]);
    expect(summary).toMatchObject({ repeat: { count: 1, min_pass: 1 }, flaky: 0 });
    const journal = await readFile(join(dir, 'journal.jsonl'), 'utf8');
    expect(journal).not.toContain('"rep"');
  });

  it('without repeats, records and the summary carry no repeat fields', async () => {
    const fake = await start();
    const { summary, records: out } = await run(fake, cases(2));
    expect(out.every((r) => !('repeats' in r))).toBe(true);
    expect('repeat' in summary || 'flaky' in summary).toBe(false);
  });

  it('refuses bad repeat options with a ConfigError naming them', async () => {
    const fake = await start();
    await expect(run(fake, cases(1), { repeat: { count: 2, minPass: 3 } })).rejects.toThrow(
      'repeat.minPass: 3 is more than repeat.count (2): a case cannot pass more repeats than it runs',
    );
    await expect(run(fake, cases(1), { repeat: { count: 101 } })).rejects.toThrow(ConfigError);
    await expect(run(fake, cases(1), { repeat: { count: 0 } })).rejects.toThrow(/repeat\.count/);
    expect(fake.stats.executionsCreated).toBe(0);
  });

  it('resumes an interrupted run without submitting any repeat twice', async () => {
    const fake = await start({ durationMs: { min: 5, max: 40 } });
    const list = cases(12);
    const controller = new AbortController();
    let submits = 0;
    const first = await run(fake, list, {
      repeat: { count: 3, minPass: 2 },
      externalIdPrefix: 'vb-res-',
      concurrency: 6,
      signal: controller.signal,
      onEvent: (e) => e.type === 'submitted' && ++submits === 10 && controller.abort(),
    });
    expect(first.summary.stopped?.reason).toBe('interrupted');
    expect(first.records).toHaveLength(12);
    expect(first.records.some((r) => r.repeats!.some((x) => x.status === 'CANCELLED'))).toBe(true);
    const before = fake.stats.executionsCreated;
    expect(before).toBeLessThan(36);

    const second = await run(fake, list, { repeat: { count: 3, minPass: 2 }, mode: 'resume' });
    expect(second.summary.stopped).toBeNull();
    const ids = startedIds(fake);
    expect(ids.size).toBe(36);
    expect([...ids.values()].every((n) => n === 1)).toBe(true);
    expect(
      second.records.every(
        (r) => r.repeats?.length === 3 && r.repeats.every((x) => x.status === 'FULFILLED'),
      ),
    ).toBe(true);
    expect(second.summary).toMatchObject({ total: 12, passed: 12, flaky: 0 });
  });

  it('refuses to resume or retry a journal written with other repeats, naming both', async () => {
    const fake = await start();
    await run(fake, cases(2), { repeat: { count: 3, minPass: 2 } });
    await expect(run(fake, cases(2), { repeat: { count: 3 }, mode: 'resume' })).rejects.toThrow(
      'resume: ' +
        dir +
        " holds another run: the journal's run ran each case 3 times (a case passes with 2 of them), this one each case 3 times (a case passes with 3 of them)",
    );
    await expect(run(fake, cases(2), { mode: 'retry-failed' })).rejects.toThrow(
      "the journal's run ran each case 3 times (a case passes with 2 of them), this one each case once",
    );
    const plain = join(dir, 'plain');
    await run(fake, cases(2), { outDir: plain });
    await expect(
      run(fake, cases(2), { outDir: plain, repeat: { count: 2 }, mode: 'resume' }),
    ).rejects.toThrow(
      "the journal's run ran each case once, this one each case 2 times (a case passes with 2 of them)",
    );
    // A journal of one repeat resumes as a journal without repeats.
    await expect(
      run(fake, cases(2), { outDir: plain, repeat: { count: 1 }, mode: 'resume' }),
    ).resolves.toBeDefined();
  });

  it('retry-failed runs a failed case again with all its repeats, and keeps the repeats of a passed one', async () => {
    // First attempt: case-0 fails two of three repeats (fails), case-1 fails one (passes, flaky), case-2 passes.
    const failFirst = new Set(['vb-try-case-0-r1', 'vb-try-case-0-r3', 'vb-try-case-1-r2']);
    const fake = await start({ responder: rejecting((id) => failFirst.has(id)) });
    const first = await run(fake, cases(3), {
      repeat: { count: 3, minPass: 2 },
      externalIdPrefix: 'vb-try-',
    });
    expect(first.records.map((r) => r.passed)).toEqual([false, true, true]);
    expect(first.summary).toMatchObject({ flaky: 2, flaky_ids: ['case-0', 'case-1'] });

    const retried = await run(fake, cases(3), { repeat: { count: 3, minPass: 2 }, mode: 'retry-failed' });
    const ids = [...startedIds(fake).keys()];
    expect(ids).toHaveLength(12);
    const prefix = 'vb-try-r2-';
    expect(ids.filter((id) => id.startsWith(prefix)).sort()).toEqual([
      `${prefix}case-0-r1`,
      `${prefix}case-0-r2`,
      `${prefix}case-0-r3`,
    ]);
    expect(retried.records.map((r) => r.passed)).toEqual([true, true, true]);
    expect(retried.records[0]!.repeats!.map((r) => r.external_id)).toEqual([
      `${prefix}case-0-r1`,
      `${prefix}case-0-r2`,
      `${prefix}case-0-r3`,
    ]);
    expect(retried.records[0]!.attempts).toBe(2);
    // The passed case keeps its first attempt's repeats, flaky one included.
    expect(retried.records[1]!.repeats!.map((r) => [r.external_id, r.passed])).toEqual([
      ['vb-try-case-1-r1', true],
      ['vb-try-case-1-r2', false],
      ['vb-try-case-1-r3', true],
    ]);
    expect(retried.summary).toMatchObject({ passed: 3, flaky: 1, flaky_ids: ['case-1'] });
  });

  it('merges shards run with repeats, and refuses shards run with other repeats', async () => {
    const fake = await start({ rejectRate: 0.3, seed: 3 });
    const list = cases(20);
    const shardRun = async (index: number, repeat: RunBatchOptions['repeat']): Promise<string> => {
      const outDir = join(dir, `shard-${index}-${repeat?.minPass ?? 0}`);
      const mine = list.filter((c) => shardOf(c.id, 2) === index);
      await run(fake, { ...source(mine, { index, count: 2 }), total: list.length }, { outDir, repeat });
      return outDir;
    };
    const one = await shardRun(1, { count: 2, minPass: 1 });
    const two = await shardRun(2, { count: 2, minPass: 1 });
    const merged = await mergeResults({ inputs: [one, two], outDir: join(dir, 'merged') });
    const out = await records(join(dir, 'merged'));
    expect(out).toHaveLength(20);
    expect(out.every((r) => r.repeats?.length === 2)).toBe(true);
    expectVerdictsMatchRepeats(out, 1);
    const flaky = out.filter((r) => r.repeats!.some((x) => x.passed) && r.repeats!.some((x) => !x.passed));
    expect(merged.summary).toMatchObject({
      total: 20,
      repeat: { count: 2, min_pass: 1 },
      flaky: flaky.length,
    });

    const strict = await shardRun(2, { count: 2, minPass: 2 });
    await expect(mergeResults({ inputs: [one, strict], outDir: join(dir, 'bad') })).rejects.toThrow(
      `${strict} ran each case 2 times (passing with 2), ${one} each case 2 times (passing with 1): run every shard with the same --repeat and --min-pass`,
    );
  });

  it('compares the aggregated records with a baseline, keeping their repeats', async () => {
    const failNow = new Set(['vb-new-case-0-r1', 'vb-new-case-0-r2', 'vb-new-case-1-r1']);
    const fake = await start({ responder: rejecting((id) => failNow.has(id)) });
    const base = join(dir, 'base');
    await run(fake, cases(3), { outDir: base, externalIdPrefix: 'vb-base-' });
    const now = join(dir, 'now');
    await run(fake, cases(3), { outDir: now, externalIdPrefix: 'vb-new-', repeat: { count: 3, minPass: 2 } });
    const compared = await applyBaseline(now, base);
    // case-0 failed 2 of 3: a regression; case-1 failed 1 of 3: passes, flaky, not a regression.
    expect(compared.comparison).toMatchObject({
      regressions: 1,
      regressed_ids: ['case-0'],
      still_passing: 2,
    });
    expect(compared.summary).toMatchObject({ flaky: 2, repeat: { count: 3, min_pass: 2 } });
    const out = await records(now);
    expect(out.map((r) => [r.id, r.passed, r.repeats?.length, r.baseline?.passed])).toEqual([
      ['case-0', false, 3, true],
      ['case-1', true, 3, true],
      ['case-2', true, 3, true],
    ]);
  });
});
