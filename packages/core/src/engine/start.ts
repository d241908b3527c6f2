/**
 * How a run begins, decided before anything is submitted: a fresh run (refusing to replace an unfinished one), a
 * resumed one (the journal must be of this very dataset, workflow, release tag, shard and prefix), or a new attempt
 * at the failures of a finished one. Then, case by case, what is left to do.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import type { Case, CaseRecord, WorkflowRef } from '../types.js';
import type { BatchSource, ResolvedOptions } from './options.js';
import { EmptyJournalError, readJournal } from './replay.js';
import type { ReplayState } from './replay.js';

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

/** What is left to do for one case. */
export type CasePlan =
  | { readonly kind: 'done'; readonly passed: boolean; readonly carried: CaseRecord | null }
  | { readonly kind: 'submit'; readonly externalId: string; readonly attempts: number }
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
          : `an unfinished run (run ${state.header.run_id}, started ${state.header.started_at}: ${state.header.dataset.cases - state.records.size} of ${state.header.dataset.cases} cases without a final result)`;
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
    problems.push(
      `${header.dataset.cases - state.records.size} cases have no final result yet: run with --resume first`,
    );
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
 * What this run still has to do for case `c`. `readPrevious` reads a record of the earlier attempt (retry-failed).
 */
export function planCase(
  start: StartPlan,
  c: Case,
  readPrevious: (offset: number, length: number) => CaseRecord,
): CasePlan {
  const resume = start.resume;
  if (resume !== null) {
    const done = resume.records.get(c.index);
    if (done !== undefined) return { kind: 'done', passed: done.passed, carried: null };
    const externalId = resume.externalIds.get(c.index) ?? `${start.prefix}${c.id}`;
    const submitted = resume.submitted.get(c.index);
    if (submitted !== undefined) {
      return {
        kind: 'track',
        externalId,
        executionId: submitted.executionId,
        submittedAt: submitted.at,
        attempts: 1,
      };
    }
    return { kind: 'submit', externalId, attempts: 1 };
  }
  const externalId = `${start.prefix}${c.id}`;
  const previous = start.previous;
  if (previous !== null) {
    const at = previous.state.records.get(c.index);
    if (at === undefined) return { kind: 'submit', externalId, attempts: 1 };
    if (at.passed) return { kind: 'done', passed: true, carried: readPrevious(at.offset, at.length) };
    return { kind: 'submit', externalId, attempts: at.attempts + 1 };
  }
  return { kind: 'submit', externalId, attempts: 1 };
}

function finished(state: ReplayState): boolean {
  return state.records.size >= state.header.dataset.cases;
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
