/**
 * The engine end to end against the testkit's real HTTP fake of Vellum: every case ends with exactly one record,
 * the server created exactly one execution per case, and the records match the server's ground truth.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeVellum } from '@vellum-batch/testkit';
import type { FakeVellum, FakeVellumOptions } from '@vellum-batch/testkit';
import { createClient } from '../src/client.js';
import { runBatch } from '../src/engine/run.js';
import type { RunBatchOptions, RunEvent } from '../src/engine/options.js';
import type { Case, CaseRecord, Summary } from '../src/types.js';
import { AuthenticationError, NotFoundError } from '../src/errors.js';

let dir: string;
let server: FakeVellum | null = null;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-engine-'));
});
afterEach(async () => {
  await server?.close();
  server = null;
  await rm(dir, { recursive: true, force: true });
});

function makeCase(
  index: number,
  inputs: Record<string, unknown>,
  expected: Record<string, unknown> = {},
): Case {
  return {
    index,
    id: `case-${index}`,
    inputs: Object.entries(inputs).map(([name, value]) => ({
      name,
      type: typeof value === 'string' ? 'STRING' : typeof value === 'number' ? 'NUMBER' : 'JSON',
      value,
    })),
    expected,
    assertions: [],
    metadata: {},
  };
}

function source(cases: Case[]): RunBatchOptions['dataset'] {
  return { path: 'memory.jsonl', size: cases.length, cases: () => cases };
}

async function start(options: FakeVellumOptions = {}): Promise<FakeVellum> {
  server = await startFakeVellum({ apiKey: 'k-secret-123', deployments: ['wf'], ...options });
  return server;
}

async function run(
  fake: FakeVellum,
  cases: Case[],
  extra: Partial<RunBatchOptions> = {},
  apiKey = 'k-secret-123',
): Promise<{ summary: Summary; records: CaseRecord[]; events: RunEvent[] }> {
  const client = createClient({ apiKey, baseUrl: fake.url, retry: { baseDelayMs: 5, maxDelayMs: 20 } });
  const events: RunEvent[] = [];
  try {
    const result = await runBatch({
      client,
      dataset: source(cases),
      workflow: { deploymentName: 'wf' },
      outDir: dir,
      initialDurationEstimateMs: 20,
      onEvent: (e) => events.push(e),
      ...extra,
    });
    const lines = (await readFile(join(dir, 'results.jsonl'), 'utf8')).trim().split('\n');
    const records = lines.filter((l) => l !== '').map((l) => JSON.parse(l) as CaseRecord);
    return { summary: result.summary, records, events };
  } finally {
    await client.close();
  }
}

describe('runBatch against the testkit server', () => {
  it('gives every case exactly one record matching the server, with rejections and failed expectations', async () => {
    const fake = await start({ concurrency: 6, durationMs: { min: 5, max: 40 } });
    const cases = Array.from({ length: 80 }, (_, i) => {
      if (i % 10 === 3) return makeCase(i, { q: `q${i}`, fake_reject: 'refused by policy' });
      // Every 7th case expects the wrong echo.
      return makeCase(i, { q: `q${i}` }, { q: i % 7 === 0 ? 'nope' : `q${i}` });
    });
    const { summary, records } = await run(fake, cases, { concurrency: 20 });

    expect(records.map((r) => r.index)).toEqual(cases.map((c) => c.index));
    expect(fake.stats.executionsCreated).toBe(80);
    for (const record of records) {
      const truth = fake.byExternalId(record.external_id)!;
      expect(record.execution_id).toBe(truth.id);
      expect(record.status).toBe(truth.status);
      if (truth.status === 'FULFILLED') expect(record.outputs).toEqual(truth.outputs);
      else expect(record.error).toEqual(truth.error);
    }
    const rejected = cases.filter((c) => c.index % 10 === 3).length;
    const wrong = cases.filter((c) => c.index % 10 !== 3 && c.index % 7 === 0).length;
    expect(summary.total).toBe(80);
    expect(summary.rejected).toBe(rejected);
    expect(summary.passed).toBe(80 - rejected - wrong);
    expect(summary.failed).toBe(rejected + wrong);
    expect(summary.verdict).toBe('fail');
    expect(summary.api_calls.submit).toBe(80);
    expect(summary.stopped).toBeNull();
    expect(fake.stats.maxRunning).toBe(6);
    const failing = records.find((r) => r.id === 'case-7')!;
    expect(failing.assertions).toEqual([
      { output: 'q', op: 'equals', expected: 'nope', actual: 'q7', passed: false },
    ]);
  });

  it('writes results.jsonl, summary.json, report.md, junit.xml and the journal, without the key', async () => {
    const fake = await start();
    const cases = Array.from({ length: 12 }, (_, i) => makeCase(i, { q: `q${i}` }, { q: `q${i}` }));
    const { summary } = await run(fake, cases, { gate: { maxFailureRate: 0 } });
    expect(summary.verdict).toBe('pass');
    const files = ['results.jsonl', 'summary.json', 'report.md', 'junit.xml', 'journal.jsonl'];
    for (const file of files) {
      const text = await readFile(join(dir, file), 'utf8');
      expect(text.length).toBeGreaterThan(0);
      expect(text).not.toContain('k-secret-123');
    }
    const written = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as Summary;
    expect(written.passed).toBe(12);
    const journal = (await readFile(join(dir, 'journal.jsonl'), 'utf8')).trim().split('\n');
    const kinds = journal.map((line) => (JSON.parse(line) as { t: string }).t);
    expect(kinds.filter((k) => k === 'intent')).toHaveLength(12);
    expect(kinds.filter((k) => k === 'sub')).toHaveLength(12);
    expect(kinds.filter((k) => k === 'rec')).toHaveLength(12);
    expect(kinds[0]).toBe('run');
  });

  it('learns the server limit from queued statuses and does not poll the queue every round', async () => {
    // The first four executions (the first the FIFO server starts) run 2 s, the rest 30 ms: the queue is still there
    // when the engine first looks (about a second after submitting), however slowly a busy machine runs this test.
    let submitted = 0;
    const fake = await start({ concurrency: 4, durationMs: () => (submitted++ < 4 ? 2_000 : 30) });
    const cases = Array.from({ length: 60 }, (_, i) => makeCase(i, { q: `q${i}` }));
    const { summary, events } = await run(fake, cases, { concurrency: 40 });
    expect(summary.fulfilled).toBe(60);
    // The limit is bounded from above by the older unfinished executions each queued answer reveals.
    const limits = events.filter((e) => e.type === 'server-limit').map((e) => e.limit);
    expect(limits.at(-1)).toBeGreaterThanOrEqual(4);
    expect(limits.at(-1)).toBeLessThanOrEqual(6);
    expect(fake.stats.maxRunning).toBe(4);
    // How few status requests this costs is a real-time ratio: bench/ measures it (queue-bound, status/exec).
    // What cannot depend on timing: every execution was looked at at least once, and none was started twice.
    expect(fake.stats.requests.status).toBeGreaterThanOrEqual(60);
    expect(fake.stats.executionsCreated).toBe(60);
  });

  it('reconciles a submit whose answer was lost instead of starting the case twice', async () => {
    const fake = await start({ faults: { dropAfterAcceptRate: 0.3 }, seed: 7 });
    const cases = Array.from({ length: 40 }, (_, i) => makeCase(i, { q: `q${i}` }, { q: `q${i}` }));
    const { summary, records } = await run(fake, cases);
    expect(fake.stats.faultsInjected.dropped).toBeGreaterThan(0);
    expect(fake.stats.executionsCreated).toBe(40);
    expect(summary.passed).toBe(40);
    expect(new Set(records.map((r) => r.execution_id)).size).toBe(40);
  });

  it('rides out 429s, 5xx and status lag', async () => {
    const fake = await start({
      faults: { rateLimitRate: 0.1, retryAfterSeconds: 0, serverErrorRate: 0.05, statusLagMs: 30 },
      seed: 3,
    });
    const cases = Array.from({ length: 50 }, (_, i) => makeCase(i, { q: `q${i}` }, { q: `q${i}` }));
    const { summary } = await run(fake, cases);
    expect(summary.passed).toBe(50);
    expect(summary.api_calls.retries).toBeGreaterThan(0);
    expect(fake.stats.executionsCreated).toBe(50);
  });

  it('refuses a bad key before anything is submitted or written, with the deployment read', async () => {
    const fake = await start();
    const cases = Array.from({ length: 30 }, (_, i) => makeCase(i, { q: `q${i}` }));
    const error = await run(fake, cases, { concurrency: 1 }, 'wrong-key').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toMatch(/403/);
    expect((error as Error).message).not.toContain('wrong-key');
    expect(fake.stats.requests.submit).toBe(0);
    expect(fake.stats.executionsCreated).toBe(0);
    await expect(readFile(join(dir, 'journal.jsonl'), 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('refuses an unknown deployment before anything is submitted, naming it', async () => {
    const fake = await start();
    const client = createClient({ apiKey: 'k-secret-123', baseUrl: fake.url });
    const cases = Array.from({ length: 5 }, (_, i) => makeCase(i, { q: `q${i}` }));
    const error = await runBatch({
      client,
      dataset: source(cases),
      workflow: { deploymentName: 'no-such-workflow' },
      outDir: dir,
      concurrency: 1,
    }).catch((e: unknown) => e);
    await client.close();
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toMatch(/no-such-workflow/);
    expect(fake.stats.requests.submit).toBe(0);
  });

  it('ends unfinished cases TIMED_OUT at the run deadline and still writes every record', async () => {
    const fake = await start({ durationMs: 20 });
    const cases = Array.from({ length: 30 }, (_, i) =>
      i < 5 ? makeCase(i, { q: `q${i}`, fake_never_finish: true }) : makeCase(i, { q: `q${i}` }),
    );
    const { summary, records } = await run(fake, cases, { concurrency: 5, timeoutMs: 400 });
    expect(summary.stopped?.reason).toBe('deadline');
    expect(records).toHaveLength(30);
    expect(records.slice(0, 5).every((r) => r.status === 'TIMED_OUT')).toBe(true);
    expect(records.slice(5).every((r) => r.status === 'TIMED_OUT' && r.execution_id === null)).toBe(true);
    expect(records[0]!.error?.message).toMatch(
      /^run stopped \(deadline\) before execution \S+ finished: the run deadline/,
    );
  });

  it('times out one execution after --execution-timeout while the others finish', async () => {
    const fake = await start({ durationMs: 10 });
    const cases = Array.from({ length: 10 }, (_, i) =>
      i === 4 ? makeCase(i, { q: 'stuck', fake_never_finish: true }) : makeCase(i, { q: `q${i}` }),
    );
    const { summary, records } = await run(fake, cases, { executionTimeoutMs: 300 });
    expect(records[4]!.status).toBe('TIMED_OUT');
    expect(records[4]!.error?.code).toBe('EXECUTION_TIMEOUT');
    expect(summary.fulfilled).toBe(9);
    expect(summary.stopped).toBeNull();
  });

  it('cancels unfinished cases when aborted and resolves with every record', async () => {
    const fake = await start({ durationMs: 10_000, concurrency: 2 });
    const cases = Array.from({ length: 20 }, (_, i) => makeCase(i, { q: `q${i}` }));
    const controller = new AbortController();
    const pending = run(fake, cases, {
      concurrency: 4,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'submitted' && e.progress.submitted === 4) controller.abort();
      },
    });
    const { summary, records } = await pending;
    expect(summary.stopped?.reason).toBe('interrupted');
    expect(records).toHaveLength(20);
    expect(records.every((r) => r.status === 'CANCELLED')).toBe(true);
    expect(records.filter((r) => r.execution_id !== null)).toHaveLength(4);
    expect(fake.stats.executionsCreated).toBe(4);
  });

  it('refuses a workflow named twice or not at all before sending anything', async () => {
    const fake = await start();
    const client = createClient({ apiKey: 'k-secret-123', baseUrl: fake.url });
    const base = { client, dataset: source([makeCase(0, { q: 'x' })]), outDir: dir };
    await expect(runBatch({ ...base, workflow: {} })).rejects.toThrow(/exactly one workflow/);
    await expect(runBatch({ ...base, workflow: { deploymentName: 'a', deploymentId: 'b' } })).rejects.toThrow(
      /exactly one workflow/,
    );
    await expect(runBatch({ ...base, workflow: { deploymentName: 'wf' }, concurrency: 0 })).rejects.toThrow(
      /concurrency/,
    );
    await client.close();
    expect(fake.stats.requests.submit).toBe(0);
  });

  it('trips the quota breaker after repeated PROVIDER_QUOTA_EXCEEDED rejections instead of burning the set', async () => {
    const fake = await start({ durationMs: 1 });
    const cases = Array.from({ length: 40 }, (_, i) =>
      makeCase(i, { q: `q${i}`, fake_reject: 'quota exhausted', fake_error_code: 'PROVIDER_QUOTA_EXCEEDED' }),
    );
    const { summary, records } = await run(fake, cases, { concurrency: 1, quotaBreakerThreshold: 5 });
    expect(summary.stopped?.reason).toBe('fatal');
    expect(summary.stopped?.message).toBe(
      '5 executions in a row were rejected with PROVIDER_QUOTA_EXCEEDED: the provider quota looks exhausted',
    );
    expect(fake.stats.executionsCreated).toBe(5);
    expect(records.filter((r) => r.status === 'REJECTED')).toHaveLength(5);
    expect(records.filter((r) => r.status === 'CANCELLED')).toHaveLength(35);
  });

  it('does not trip the breaker when quota rejections are interleaved with successes', async () => {
    const fake = await start({ durationMs: 1 });
    const cases = Array.from({ length: 20 }, (_, i) =>
      i % 2 === 0
        ? makeCase(i, { q: `q${i}`, fake_reject: 'quota', fake_error_code: 'PROVIDER_QUOTA_EXCEEDED' })
        : makeCase(i, { q: `q${i}` }),
    );
    const { summary } = await run(fake, cases, { concurrency: 1, quotaBreakerThreshold: 3 });
    expect(summary.stopped).toBeNull();
    expect(summary.rejected).toBe(10);
  });

  it('retry-failed runs only the cases that did not pass, under new external ids, counting attempts', async () => {
    const fake = await start({ durationMs: 5 });
    const cases = Array.from({ length: 10 }, (_, i) =>
      i < 3 ? makeCase(i, { q: `q${i}`, fake_reject: 'flaky' }) : makeCase(i, { q: `q${i}` }, { q: `q${i}` }),
    );
    const first = await run(fake, cases, { externalIdPrefix: 'first-' });
    expect(first.summary.passed).toBe(7);
    // Now the three flaky cases pass.
    const fixed = cases.map((c, i) => (i < 3 ? makeCase(i, { q: `q${i}` }, { q: `q${i}` }) : c));
    const second = await run(fake, fixed, { mode: 'retry-failed' });
    expect(second.summary.passed).toBe(10);
    expect(fake.stats.executionsCreated).toBe(13);
    const retried = second.records.slice(0, 3);
    expect(retried.map((r) => r.external_id)).toEqual([
      'first-r2-case-0',
      'first-r2-case-1',
      'first-r2-case-2',
    ]);
    expect(retried.every((r) => r.attempts === 2 && r.status === 'FULFILLED')).toBe(true);
    expect(
      second.records.slice(3).every((r) => r.attempts === 1 && r.external_id.startsWith('first-case-')),
    ).toBe(true);
    const kept = await readFile(join(dir, 'journal.attempt-1.jsonl'), 'utf8');
    expect(kept.split('\n')[0]).toContain('"external_id_prefix":"first-"');
  });

  it('refuses to resume a journal of another dataset or workflow, naming the difference', async () => {
    const fake = await start({ deployments: ['wf', 'other'] });
    const cases = Array.from({ length: 4 }, (_, i) => makeCase(i, { q: `q${i}` }));
    await run(fake, cases);
    await expect(run(fake, cases.slice(0, 3), { mode: 'resume' })).rejects.toThrow(
      /resume: .* holds another run: the journal's run had 4 cases, this dataset has 3/,
    );
    await expect(run(fake, cases, { mode: 'resume', workflow: { deploymentName: 'other' } })).rejects.toThrow(
      /the journal's run targets wf/,
    );
    expect(fake.stats.executionsCreated).toBe(4);
  });
});
