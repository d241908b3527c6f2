/**
 * Hostile answers the engine must bound (issue 16), on a manual clock against the in-memory Vellum: status answers
 * that cannot be used (a redirect, a body that does not parse) are retried a fixed number of times with the reason
 * kept, and a server that goes away stops the run with a sentence that says for how long and how often.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExecuteWorkflowRequest, ExecutionStatusResponse, RequestOptions } from '../src/client.js';
import { ConnectionError, ResponseValidationError, SubmitOutcomeUnknownError } from '../src/errors.js';
import type { RunBatchOptions, RunProgress } from '../src/engine/options.js';
import { runBatch } from '../src/engine/run.js';
import type { Case, CaseRecord } from '../src/types.js';
import { ManualClock } from './support/manual-clock.js';
import { MemoryVellum } from './support/memory-vellum.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-hostile-engine-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const cases = (n: number): Case[] =>
  Array.from({ length: n }, (_, index) => ({
    index,
    id: `c${index}`,
    inputs: [{ name: 'q', type: 'STRING' as const, value: `q${index}` }],
    expected: {},
    assertions: [],
    metadata: {},
  }));

/** What the memory Vellum answers to a status look: unusable, running (whatever is true), or the truth. */
type Answer = 'unusable' | 'running' | 'true';

/** A memory Vellum whose status answers follow `answer(look)` (`look`: 1-based, per execution). */
class UnusableStatus extends MemoryVellum {
  constructor(
    clock: ManualClock,
    readonly answer: (look: number) => Answer,
  ) {
    super(clock, { durationMs: () => 500 });
  }

  override async getExecutionStatus(id: string, options?: RequestOptions): Promise<ExecutionStatusResponse> {
    const answer = await super.getExecutionStatus(id, options);
    const kind = this.answer(this.looks.get(id)!);
    if (kind === 'running') return { ...answer, status: 'INITIATED', outputs: {} };
    if (kind === 'unusable') {
      throw new ResponseValidationError(
        `GET /v1/workflows/executions/${id}/status answered 302, a redirect, which the client does not follow (is the base URL right?).`,
      );
    }
    return answer;
  }
}

async function run(
  clock: ManualClock,
  client: MemoryVellum,
  n: number,
  concurrency = 4,
  extra: Pick<RunBatchOptions, 'executionTimeoutMs' | 'mode' | 'onEvent' | 'repeat'> = {},
) {
  const list = cases(n);
  const result = await clock.drive(
    runBatch({
      client,
      dataset: { path: 'memory.jsonl', size: n, cases: () => list },
      workflow: { deploymentName: 'wf' },
      outDir: dir,
      clock,
      concurrency,
      ...extra,
    }),
  );
  const lines = (name: string) =>
    readFile(join(dir, name), 'utf8').then((text) =>
      text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    );
  return {
    result,
    records: (await lines('results.jsonl')) as unknown as CaseRecord[],
    journal: await lines('journal.jsonl'),
  };
}

describe('status answers that cannot be used', () => {
  it('end each case STATUS_UNREADABLE after 8 in a row, resumably, naming the last answer', async () => {
    const clock = new ManualClock();
    const vellum = new UnusableStatus(clock, () => 'unusable');
    const { records, journal } = await run(clock, vellum, 6);
    expect(records).toHaveLength(6);
    for (const record of records) {
      expect(vellum.looks.get(record.execution_id!)).toBe(8);
      expect(record.status).toBe('TIMED_OUT');
      expect(record.error).toEqual({
        code: 'STATUS_UNREADABLE',
        message: `8 status answers in a row for execution ${record.execution_id} could not be used (last: GET /v1/workflows/executions/${record.execution_id}/status answered 302, a redirect, which the client does not follow (is the base URL right?).); it may still run: --resume tracks it again`,
      });
    }
    // Provisional in the journal: --resume looks at these executions again instead of keeping the records.
    expect(journal.filter((e) => e['t'] === 'rec' && e['p'] === 1)).toHaveLength(6);
  });

  it('do not add up across a good answer: 7 unusable, one that reads running, 7 more, then the result', async () => {
    const clock = new ManualClock();
    const vellum = new UnusableStatus(clock, (look) =>
      look === 8 ? 'running' : look < 16 ? 'unusable' : 'true',
    );
    const { records } = await run(clock, vellum, 3);
    expect(records.map((r) => r.status)).toEqual(['FULFILLED', 'FULFILLED', 'FULFILLED']);
    for (const record of records) expect(vellum.looks.get(record.execution_id!)).toBe(16);
  });
});

/** A memory Vellum that, after `okSubmits` submits, fails every submit after 10 s as a refused connection. */
class GoesAway extends MemoryVellum {
  #submits = 0;
  constructor(
    readonly clock: ManualClock,
    readonly okSubmits: number,
  ) {
    super(clock, { durationMs: () => 500 });
  }

  override async executeWorkflowAsync(req: ExecuteWorkflowRequest, options?: RequestOptions) {
    if (++this.#submits <= this.okSubmits) return super.executeWorkflowAsync(req, options);
    await this.clock.sleep(10_000, options?.signal);
    throw new ConnectionError(
      'POST /v1/execute-workflow-async failed on the network: connect ECONNREFUSED 127.0.0.1:9 (ECONNREFUSED)',
    );
  }
}

describe('a Vellum that goes away mid-run', () => {
  it('stops the run as fatal with how long nothing reached it, how many requests failed and the last failure', async () => {
    const clock = new ManualClock();
    const { result, records } = await run(clock, new GoesAway(clock, 5), 10, 1);
    // One case at a time: after the 5th execution's last look, its 3 submits fail 10 s each (with 100 and 200 ms pauses).
    expect(result.stopped).toEqual({
      reason: 'fatal',
      message:
        'Vellum could not be reached for 30s: 3 requests in a row failed, each after its retries (last: POST /v1/execute-workflow-async failed on the network: connect ECONNREFUSED 127.0.0.1:9 (ECONNREFUSED))',
    });
    expect(records.filter((r) => r.status === 'FULFILLED')).toHaveLength(5);
    expect(records.filter((r) => r.status === 'CANCELLED')).toHaveLength(5);
  });
});

/** A memory Vellum whose submits answer 503 (nothing created) for the first `outageMs` of the run. */
class SubmitOutage extends MemoryVellum {
  readonly #start: number;
  constructor(
    readonly clock: ManualClock,
    readonly outageMs: number,
  ) {
    super(clock, { durationMs: () => 500 });
    this.#start = clock.now();
  }

  override async executeWorkflowAsync(req: ExecuteWorkflowRequest, options?: RequestOptions) {
    if (this.clock.now() - this.#start < this.outageMs) {
      await this.clock.sleep(50, options?.signal);
      throw new SubmitOutcomeUnknownError(
        `The submit with external id ${req.externalId} may have started an execution, but no usable answer came back: POST /v1/execute-workflow-async answered 503: Service unavailable`,
        req.externalId ?? null,
        null,
      );
    }
    return super.executeWorkflowAsync(req, options);
  }
}

describe('submits answered 5xx for a while', () => {
  it('are ridden out when the outage lasts 20 s: every case runs once, none given up', async () => {
    const clock = new ManualClock();
    const vellum = new SubmitOutage(clock, 20_000);
    const { records } = await run(clock, vellum, 4, 4);
    expect(records.map((r) => r.status)).toEqual(Array(4).fill('FULFILLED'));
    expect(vellum.executions).toHaveLength(4);
  });

  it('give a case up, resumably, once they went on for 60 s (with at least 4 tries), naming both', async () => {
    const clock = new ManualClock();
    const vellum = new SubmitOutage(clock, Infinity);
    const { records, journal } = await run(clock, vellum, 2, 2);
    for (const record of records) {
      expect(record).toMatchObject({ status: 'SUBMIT_FAILED', execution_id: null });
      expect(record.error?.code).toBe('SUBMIT_OUTCOME_UNKNOWN');
      // Pauses of 0.1, 0.2 ... 6.4 s, then 8 s: the 14th failure comes after 60 s.
      expect(record.error?.message).toMatch(
        new RegExp(
          `^14 submits under external id ${record.external_id} over 6[0-9]s got no usable answer \\(last: .*503: Service unavailable\\) and no execution carries that id yet; it may still have started: --resume looks again$`,
        ),
      );
    }
    expect(vellum.executions).toHaveLength(0);
    expect(journal.filter((e) => e['t'] === 'rec' && e['p'] === 1)).toHaveLength(2);
  });
});

/**
 * A memory Vellum that answers the submit of case c1 with c0's execution id (creating none for c1) after 100 ms, and
 * holds c0's own answer for `ownerAnswerMs`: c1 hears of c0's execution before c0 does.
 */
class AnswersAnotherCase extends MemoryVellum {
  /** Whether c1's submit is answered with c0's execution (else it gets its own). */
  misanswer = true;
  /** How many of c1's submits are, at most (then it gets its own). */
  misanswers = Infinity;

  constructor(
    readonly clock: ManualClock,
    readonly ownerAnswerMs: number,
    durationMs: number | ((n: number) => number),
  ) {
    super(clock, { durationMs: typeof durationMs === 'number' ? () => durationMs : durationMs });
  }

  override async executeWorkflowAsync(req: ExecuteWorkflowRequest, options?: RequestOptions) {
    const q = req.inputs[0]?.value;
    if (q === 'q1' && this.misanswer && this.misanswers-- > 0) {
      await this.clock.sleep(100, options?.signal);
      return { execution_id: this.executions[0]!.id };
    }
    const answer = await super.executeWorkflowAsync(req, options);
    if (q === 'q0') await this.clock.sleep(this.ownerAnswerMs, options?.signal);
    return answer;
  }
}

describe('a submit answered with the execution of a case whose own answer is still on its way', () => {
  it('goes to the case Vellum lists it under: the owner tracks it, the other is refused without an execution', async () => {
    const clock = new ManualClock();
    const vellum = new AnswersAnotherCase(clock, 2_000, 10_000);
    const { result, records } = await run(clock, vellum, 3, 3);
    const [owner, other, third] = records;
    expect(vellum.executions.map((e) => e.externalId)).toEqual([owner!.external_id, third!.external_id]);
    expect(owner).toMatchObject({ status: 'FULFILLED', execution_id: 'exec-00000', outputs: { n: 0 } });
    expect(third).toMatchObject({ status: 'FULFILLED', execution_id: 'exec-00001', outputs: { n: 1 } });
    expect(other).toMatchObject({ status: 'SUBMIT_FAILED', execution_id: null, passed: false });
    expect(other!.error).toEqual({
      code: 'DUPLICATE_EXECUTION_ID',
      message: `Vellum answered execution id exec-00000 for external id ${other!.external_id}, but that is the execution of case c0; not adopted`,
    });
    expect(result.warnings).toEqual([]);
  });

  it('when the other case was already recorded with it: the owner takes it and that record is replaced by a refused one', async () => {
    const clock = new ManualClock();
    const vellum = new AnswersAnotherCase(clock, 30_000, 500);
    const told: CaseRecord[] = [];
    let progress: RunProgress | null = null;
    const { result, records, journal } = await run(clock, vellum, 2, 2, {
      onEvent: (event) => {
        progress = event.progress;
        if (event.type === 'record') told.push(event.record);
      },
    });
    const [owner, other] = records;
    expect(owner).toMatchObject({ status: 'FULFILLED', execution_id: 'exec-00000', outputs: { n: 0 } });
    expect(other).toMatchObject({
      status: 'SUBMIT_FAILED',
      execution_id: null,
      outputs: null,
      passed: false,
    });
    expect(other!.error).toEqual({
      code: 'DUPLICATE_EXECUTION_ID',
      message: `Vellum answered execution id exec-00000 for external id ${other!.external_id}, but that is the execution of case c0; not adopted`,
    });
    expect(result.summary).toMatchObject({ total: 2, passed: 1, failed: 1 });
    expect(progress).toMatchObject({ finished: 2, passed: 1, failed: 1 });
    // c1 was told FULFILLED with c0's result, then told again refused; the journal's latest record of c1 is the refusal.
    expect(told.map((r) => [r.id, r.status])).toEqual([
      ['c1', 'FULFILLED'],
      ['c1', 'SUBMIT_FAILED'],
      ['c0', 'FULFILLED'],
    ]);
    expect(
      journal.filter((e) => e['t'] === 'rec' && e['i'] === 1).map((e) => (e['r'] as CaseRecord).status),
    ).toEqual(['FULFILLED', 'SUBMIT_FAILED']);
    expect(result.warnings).toContain(
      `the case at index 1 was recorded with execution exec-00000, which a submit answer gave it, but Vellum lists that execution under external id ${owner!.external_id} (case c0), which takes it: that record is replaced by SUBMIT_FAILED (DUPLICATE_EXECUTION_ID); --retry-failed runs it again`,
    );
  });

  it('with repeats, replaces the recorded repeat and tells the case again, failed', async () => {
    const clock = new ManualClock();
    // c1's two repeats (input q1) are both answered with c0's first execution; c0's answers take 30 s.
    const vellum = new AnswersAnotherCase(clock, 30_000, 500);
    const told: CaseRecord[] = [];
    const { result, records } = await run(clock, vellum, 2, 4, {
      repeat: { count: 2, minPass: 1 },
      onEvent: (event) => event.type === 'record' && told.push(event.record),
    });
    const [owner, other] = records;
    expect(owner).toMatchObject({ status: 'FULFILLED', passed: true });
    expect(owner!.repeats!.map((r) => r.execution_id)).toEqual(['exec-00000', 'exec-00001']);
    expect(other).toMatchObject({ passed: false, status: 'SUBMIT_FAILED' });
    expect(other!.repeats!.map((r) => [r.status, r.execution_id])).toEqual([
      ['SUBMIT_FAILED', null],
      ['SUBMIT_FAILED', null],
    ]);
    expect(told.filter((r) => r.id === 'c1').map((r) => r.passed)).toEqual([true, false]);
    expect(result.summary).toMatchObject({ total: 2, passed: 1, failed: 1 });
  });

  it('with repeats, replaces the recorded repeat of a case whose other repeats are still running', async () => {
    const clock = new ManualClock();
    // c1's first repeat is answered with c0's first execution; its second runs 60 s (exec-00002), so c1 is still in
    // the air when c0 hears back at 30 s.
    const vellum = new AnswersAnotherCase(clock, 30_000, (n) => (n === 2 ? 60_000 : 500));
    vellum.misanswers = 1;
    const told: CaseRecord[] = [];
    const { records } = await run(clock, vellum, 2, 4, {
      repeat: { count: 2, minPass: 1 },
      onEvent: (event) => event.type === 'record' && told.push(event.record),
    });
    const other = records[1]!;
    expect(other.repeats!.map((r) => [r.status, r.execution_id])).toEqual([
      ['SUBMIT_FAILED', null],
      ['FULFILLED', 'exec-00002'],
    ]);
    expect(other).toMatchObject({ passed: true, execution_id: 'exec-00002' });
    // Told once, when its last repeat is in, with the replaced repeat (results.jsonl is rebuilt from the journal).
    const toldOther = told.filter((r) => r.id === 'c1');
    expect(toldOther).toHaveLength(1);
    expect(toldOther[0]!.repeats!.map((r) => r.status)).toEqual(['SUBMIT_FAILED', 'FULFILLED']);
  });

  it("when the owner hears back during the other case's last look at its deadline: that look lands DUPLICATE_EXECUTION_ID, not with the owner's result", async () => {
    const clock = new ManualClock();
    // c1 holds exec-00000 from 100 ms, its deadline is at 1.1 s; every status look before 1.5 s (when c0 hears back)
    // takes 1 s, so c1's first look answers running at 1.1 s, and its last look is in the air when c0 takes the
    // execution; that look answers FULFILLED (the execution ends at 1.2 s).
    const start = clock.now();
    const vellum = new (class extends AnswersAnotherCase {
      override async getExecutionStatus(id: string, options?: RequestOptions) {
        if (clock.now() - start < 1_500) await clock.sleep(1_000, options?.signal);
        return super.getExecutionStatus(id, options);
      }
    })(clock, 1_500, 1_200);
    const { records, result } = await run(clock, vellum, 2, 2, { executionTimeoutMs: 1_000 });
    const [owner, other] = records;
    expect(owner).toMatchObject({ status: 'FULFILLED', execution_id: 'exec-00000', outputs: { n: 0 } });
    expect(other).toMatchObject({ status: 'SUBMIT_FAILED', execution_id: null, outputs: null });
    expect(other!.error).toMatchObject({ code: 'DUPLICATE_EXECUTION_ID' });
    expect(result.warnings).toEqual([]);
  });
});

/** The journal of a finished run, cut back to what a crash right after its submits went out leaves: header, intents. */
async function crashedAfterSubmits(
  edit: (entries: Record<string, unknown>[]) => Record<string, unknown>[] = (e) => e,
) {
  const path = join(dir, 'journal.jsonl');
  const entries = (await readFile(path, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const kept = edit(entries.filter((e) => e['t'] === 'run' || e['t'] === 'intent'));
  await writeFile(path, kept.map((e) => `${JSON.stringify(e)}\n`).join(''));
  await Promise.all(['results.jsonl', 'summary.json'].map((name) => rm(join(dir, name), { force: true })));
}

describe('resuming a journal that holds a submit intent without its execution id', () => {
  it('looks the external id up before submitting: a Vellum that starts a reused id again gets no second execution', async () => {
    const clock = new ManualClock();
    const vellum = new MemoryVellum(clock, { durationMs: () => 500, reusedExternalId: 'start' });
    await run(clock, vellum, 3, 3);
    await crashedAfterSubmits();
    const { records } = await run(clock, vellum, 3, 3, { mode: 'resume' });
    expect(vellum.executions).toHaveLength(3);
    expect(records.map((r) => [r.status, r.execution_id])).toEqual([
      ['FULFILLED', 'exec-00000'],
      ['FULFILLED', 'exec-00001'],
      ['FULFILLED', 'exec-00002'],
    ]);
  });

  it('tracks by neither case an execution id journaled for two: the owner adopts it by external id, the other is submitted', async () => {
    const clock = new ManualClock();
    const vellum = new AnswersAnotherCase(clock, 0, 500);
    await run(clock, vellum, 2, 2);
    // c1's answer named c0's execution (Vellum created none for c1) and the crash came before c1 landed refused.
    await crashedAfterSubmits((entries) => [
      ...entries,
      { t: 'sub', i: 1, exec: 'exec-00000', at: new Date(clock.now()).toISOString() },
      { t: 'sub', i: 0, exec: 'exec-00000', at: new Date(clock.now()).toISOString() },
    ]);
    vellum.misanswer = false;
    const { records } = await run(clock, vellum, 2, 2, { mode: 'resume' });
    const [owner, other] = records;
    expect(owner).toMatchObject({ status: 'FULFILLED', execution_id: 'exec-00000', outputs: { n: 0 } });
    expect(other).toMatchObject({ status: 'FULFILLED', execution_id: 'exec-00001', outputs: { n: 1 } });
    expect(vellum.executions.map((e) => e.externalId)).toEqual([owner!.external_id, other!.external_id]);
  });
});
