/**
 * How a run begins, decided before anything is submitted: a fresh run (refusing to replace an unfinished one), a
 * resumed one (the journal must be of this very dataset, workflow, release tag, shard, prefix and repeats), or a new
 * attempt at the failures of a finished one. Then, unit by unit (each repeat of each case), what is left to do.
 *
 * With repeats, `retry-failed` runs a failed case again whole (all its repeats, under the new attempt's external
 * ids), never only its failing repeats: the verdict of a case always comes from repeats run together, so retrying
 * cannot turn a flaky case into a pass one repeat at a time. A case that passed keeps all its repeats' records.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import type { CaseRecord, WorkflowRef } from '../types.js';
import type { BatchSource, ResolvedOptions } from './options.js';
import { repeatExternalId, type RepeatConfig } from './repeats.js';
import { EmptyJournalError, readJournal } from './replay.js';
import type { ReplayState } from './replay.js';
import { repeatCount, unitSlot, type Unit } from './units.js';

/** The out dir holds a run that did not finish: a fresh run there would make it impossible to resume. */
export class UnfinishedRunError extends ConfigError {
  override readonly code = 'unfinished_run';
}

/** How the run begins. */
export interface StartPlan {
  readonly workflow: WorkflowRef;
  readonly runId: string;
  readonly prefix: string;
  readonly attempt: number;
  /** The journal to continue (resume), or null for a new one. */
  readonly resume: ReplayState | null;
  /** The earlier attempt's journal (retry-failed), read for its records. */
  readonly previous: { readonly state: ReplayState; readonly path: string } | null;
  /** Things to tell the user once (a journal kept aside). */
  readonly notes: readonly string[];
}

/** What is left to do for one unit (one repeat of one case). */
export type CasePlan =
  | { readonly kind: 'done'; readonly passed: boolean; readonly carried: CaseRecord | null }
  | {
      readonly kind: 'submit';
      readonly externalId: string;
      readonly attempts: number;
      /**
       * The resumed journal holds this unit's intent but no execution id: its submit may have reached Vellum before
       * the run ended, so its external id is looked up before anything is sent (`submit.ts`).
       */
      readonly mayHaveStarted: boolean;
    }
  | {
      readonly kind: 'track';
      readonly externalId: string;
      readonly executionId: string;
      readonly submittedAt: number;
      readonly attempts: number;
    };

/** A fresh run id: 12 hex digits. */
export function newRunId(): string {
  return randomBytes(6).toString('hex');
}

/**
 * Decides how the run in `outDir` begins (see the module comment); a `dryRun` decides the same but renames nothing.
 * @throws UnfinishedRunError for a fresh run over an unfinished journal (unless `discardUnfinished`).
 * @throws ConfigError naming every difference when a journal to resume or retry is of another run.
 */
export async function prepareStart(
  outDir: string,
  options: ResolvedOptions,
  dataset: BatchSource,
  workflow: WorkflowRef,
  runIdOption: string | undefined,
  dryRun: boolean,
): Promise<StartPlan> {
  const journalPath = join(outDir, 'journal.jsonl');
  const fresh = (notes: string[] = []): StartPlan => {
    const runId = runIdOption ?? newRunId();
    const prefix = options.externalIdPrefix ?? `vb-${runId}-`;
    return { workflow, runId, prefix, attempt: 1, resume: null, previous: null, notes };
  };
  const state = await readExisting(journalPath, options.mode === 'fresh');
  if (options.mode === 'fresh') {
    if (state === null || (state !== 'damaged' && finished(state))) return fresh();
    if (!options.discardUnfinished) {
      const what =
        state === 'damaged'
          ? 'a damaged journal'
          : `an unfinished run (run ${state.header.run_id}, started ${state.header.started_at}: ${unfinished(state)} without a final result)`;
      throw new UnfinishedRunError(
        `${outDir} holds ${what}. Continue it with --resume, or start over with --fresh (its journal is then kept as journal.discarded-N.jsonl); nothing was submitted`,
      );
    }
    if (dryRun) return fresh([`the unfinished run's journal would be kept as journal.discarded-N.jsonl`]);
    const kept = await keepAside(outDir, 'discarded');
    return fresh([`the unfinished run's journal was kept as ${kept}`]);
  }

  const flag = options.mode;
  if (state === null || state === 'damaged') {
    if (flag === 'retry-failed') {
      throw new ConfigError(`retry-failed: there is no journal in ${outDir}: nothing to retry`);
    }
    // The journal's header is written before the first submit: without one, nothing was started. Begin afresh.
    return fresh();
  }
  const { header } = state;
  const problems = differences(state, options, dataset, workflow);
  if (flag === 'retry-failed' && !finished(state)) {
    problems.push(`${unfinished(state)} have no final result yet: run with --resume first`);
  }
  if (problems.length > 0) {
    throw new ConfigError(`${flag}: ${outDir} holds another run: ${problems.join('; ')}`);
  }
  if (flag === 'resume') {
    return {
      workflow,
      runId: header.run_id,
      prefix: header.external_id_prefix,
      attempt: header.attempt ?? 1,
      resume: state,
      previous: null,
      notes: [],
    };
  }
  const attempt = (header.attempt ?? 1) + 1;
  const kept = join(outDir, `journal.attempt-${attempt - 1}.jsonl`);
  if (!dryRun) await rename(journalPath, kept);
  const runId = runIdOption ?? newRunId();
  const prefix = options.externalIdPrefix ?? `${header.external_id_prefix}r${attempt}-`;
  return { workflow, runId, prefix, attempt, resume: null, previous: { state, path: kept }, notes: [] };
}

/**
 * What this run still has to do for `unit`. `readPrevious` reads a record of the earlier attempt (retry-failed);
 * `repeat` is this run's (the journal's, which must be the same).
 */
export function planCase(
  start: StartPlan,
  unit: Unit,
  readPrevious: (offset: number, length: number) => CaseRecord,
  repeat: RepeatConfig | null,
): CasePlan {
  const c = unit.case;
  const slot = unit.slot;
  const resume = start.resume;
  const ownId = repeatExternalId(`${start.prefix}${c.id}`, unit.repeat, repeatCount(repeat));
  if (resume !== null) {
    const done = resume.records.get(slot);
    if (done !== undefined) return { kind: 'done', passed: done.passed, carried: null };
    const externalId = resume.externalIds.get(slot) ?? ownId;
    const submitted = resume.submitted.get(slot);
    if (submitted !== undefined) {
      return {
        kind: 'track',
        externalId,
        executionId: submitted.executionId,
        submittedAt: submitted.at,
        attempts: 1,
      };
    }
    return { kind: 'submit', externalId, attempts: 1, mayHaveStarted: resume.externalIds.has(slot) };
  }
  const externalId = ownId;
  const previous = start.previous;
  if (previous !== null) {
    const at = previous.state.records.get(slot);
    if (at === undefined) return { kind: 'submit', externalId, attempts: 1, mayHaveStarted: false };
    if (previousCasePassed(previous.state, c.index, repeat)) {
      return { kind: 'done', passed: at.passed, carried: readPrevious(at.offset, at.length) };
    }
    return { kind: 'submit', externalId, attempts: at.attempts + 1, mayHaveStarted: false };
  }
  return { kind: 'submit', externalId, attempts: 1, mayHaveStarted: false };
}

/** Whether case `index` passed in the earlier attempt: its record passed, or enough of its repeats' records did. */
function previousCasePassed(state: ReplayState, index: number, repeat: RepeatConfig | null): boolean {
  const count = repeatCount(repeat);
  let passed = 0;
  for (let k = 1; k <= count; k++)
    if (state.records.get(unitSlot(index, k, count))?.passed === true) passed++;
  return passed >= (repeat?.minPass ?? 1);
}

/** Units (each repeat of each case) the journal's run has. */
function units(state: ReplayState): number {
  return state.header.dataset.cases * (state.header.repeat?.count ?? 1);
}

function finished(state: ReplayState): boolean {
  return state.records.size >= units(state);
}

/** `3 of 40 cases`, or with repeats `5 of 120 executions` (each repeat of each case is one). */
function unfinished(state: ReplayState): string {
  const what = state.header.repeat === undefined ? 'cases' : 'executions';
  return `${units(state) - state.records.size} of ${units(state)} ${what}`;
}

/** The journal in the out dir: null when there is none (or it is empty), 'damaged' when it cannot be read. */
async function readExisting(path: string, tolerateDamage: boolean): Promise<ReplayState | 'damaged' | null> {
  if (!existsSync(path)) return null;
  try {
    return await readJournal(path);
  } catch (error) {
    if (error instanceof EmptyJournalError) return null;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if (tolerateDamage && error instanceof ConfigError) return 'damaged';
    throw error;
  }
}

/** Every way the journal's run differs from this one. */
function differences(
  state: ReplayState,
  options: ResolvedOptions,
  dataset: BatchSource,
  workflow: WorkflowRef,
): string[] {
  const { header } = state;
  const problems: string[] = [];
  const sha = dataset.sha256;
  if (header.dataset.sha256 !== undefined && sha !== undefined && header.dataset.sha256 !== sha) {
    problems.push(
      `the journal's run used ${header.dataset.path} (sha256 ${header.dataset.sha256.slice(0, 12)}…), this dataset ${dataset.path} is another file (sha256 ${sha.slice(0, 12)}…)`,
    );
  } else if (header.dataset.cases !== dataset.size) {
    problems.push(`the journal's run had ${header.dataset.cases} cases, this dataset has ${dataset.size}`);
  }
  const target = options.target;
  const sameWorkflow =
    target.name !== null
      ? header.workflow.deployment_name === target.name
      : header.workflow.deployment_id === target.id;
  if (!sameWorkflow) {
    problems.push(
      `the journal's run targets ${header.workflow.deployment_name ?? header.workflow.deployment_id}, this one ${workflow.deployment_name ?? workflow.deployment_id}`,
    );
  }
  if (header.workflow.release_tag !== workflow.release_tag) {
    problems.push(
      `the journal's run used release tag ${header.workflow.release_tag}, this one ${workflow.release_tag}`,
    );
  }
  const shard = dataset.shard ?? null;
  if (
    (header.shard?.index ?? null) !== (shard?.index ?? null) ||
    (header.shard?.count ?? null) !== (shard?.count ?? null)
  ) {
    const name = (s: { index: number; count: number } | null): string =>
      s === null ? 'no shard' : `shard ${s.index}/${s.count}`;
    problems.push(`the journal's run covered ${name(header.shard)}, this one ${name(shard)}`);
  }
  const theirs =
    header.repeat === undefined ? null : { count: header.repeat.count, minPass: header.repeat.min_pass };
  if (
    repeatCount(theirs) !== repeatCount(options.repeat) ||
    (theirs?.minPass ?? 1) !== (options.repeat?.minPass ?? 1)
  ) {
    problems.push(
      `the journal's run ran ${describeRepeat(theirs)}, this one ${describeRepeat(options.repeat)}`,
    );
  }
  if (
    options.mode === 'resume' &&
    options.externalIdPrefix !== undefined &&
    options.externalIdPrefix !== header.external_id_prefix
  ) {
    problems.push(
      `the journal's external id prefix is ${header.external_id_prefix}, this run's ${options.externalIdPrefix}`,
    );
  }
  return problems;
}

/** `each case once`, or `each case 3 times (a case passes with 2 of them)`. */
function describeRepeat(repeat: RepeatConfig | null): string {
  if (repeatCount(repeat) === 1) return 'each case once';
  return `each case ${repeat!.count} times (a case passes with ${repeat!.minPass} of them)`;
}

/** Renames `journal.jsonl` to the first free `journal.{kind}-N.jsonl`; returns that name. */
async function keepAside(outDir: string, kind: string): Promise<string> {
  for (let n = 1; ; n++) {
    const name = `journal.${kind}-${n}.jsonl`;
    const path = join(outDir, name);
    if (!existsSync(path)) {
      await rename(join(outDir, 'journal.jsonl'), path);
      return name;
    }
  }
}
