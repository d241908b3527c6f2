/**
 * Comparing a run with a baseline run, case by case, matched by case id: regressions (passed in the baseline, fail
 * now), fixes (the reverse), cases still failing or still passing, cases added and removed, and the latency deltas.
 * The baseline is streamed: memory holds one small entry per baseline case, never the records themselves.
 */
import { ConfigError } from '../errors.js';
import { percentile } from '../report/summary.js';
import { shardOf } from '../shard.js';
import type { CaseRecord, Comparison, RecordBaseline, Summary, WorkflowRef } from '../types.js';
import { MAX_COMPARED_IDS } from './details.js';
import { readBaselineCases, readBaselineSummary } from './read-baseline.js';
import type { BaselineCase, BaselineSummary } from './read-baseline.js';

/** Options of {@link compareWithBaseline}. */
export interface CompareOptions {
  /**
   * The run being compared (from its summary): its workflow is checked against the baseline's, its shard limits the
   * baseline to the same cases, its dataset tells whether the datasets differ. @default none: no check, no shard
   */
  readonly current?: Pick<Summary, 'workflow' | 'shard' | 'dataset'> | undefined;
  /** Compare even when the baseline ran another deployment. @default false */
  readonly anyWorkflow?: boolean | undefined;
  /** The commit the baseline ran on, recorded in `comparison.baseline.commit`. @default none */
  readonly baselineCommit?: string | undefined;
  /** A link to the baseline's run, recorded in `comparison.baseline.run_url`. @default none */
  readonly baselineRunUrl?: string | undefined;
}

/** What {@link compareWithBaseline} resolves with. */
export interface BaselineComparison {
  readonly comparison: Comparison;
  /** The baseline's outcome of a case of this run, or null when the baseline has no case of that id. */
  baselineOf(id: string): RecordBaseline | null;
  /** The baseline's side of the first {@link MAX_COMPARED_IDS} regressions, in this run's order. */
  readonly regressed: readonly BaselineCase[];
}

/**
 * Compares `records` (one per case, as in `results.jsonl`) with the out directory of an earlier run or merge.
 * A baseline of another dataset is compared all the same (`dataset_changed`, `added` and `removed` tell); for a
 * shard run, only the baseline's cases of the same shard count. Records carrying `repeats` compare by their verdict
 * (`passed`), like any other.
 *
 * @param records - This run's records, read once.
 * @param baselineDir - The baseline's out directory (`summary.json` and `results.jsonl`).
 * @param options - See {@link CompareOptions}.
 * @throws {@link ConfigError} naming the file when the baseline is missing or damaged, when it ran another
 *   deployment than `options.current` (unless `anyWorkflow`), or when it holds one case id twice.
 */
export async function compareWithBaseline(
  records: AsyncIterable<CaseRecord> | Iterable<CaseRecord>,
  baselineDir: string,
  options: CompareOptions = {},
): Promise<BaselineComparison> {
  const summary = await readBaselineSummary(baselineDir);
  const current = options.current;
  if (current !== undefined && options.anyWorkflow !== true) checkSameWorkflow(current.workflow, summary);
  const inScope = current?.shard
    ? (id: string) => shardOf(id, current.shard!.count) === current.shard!.index
    : () => true;

  const before = new Map<string, RecordBaseline & { seen: boolean }>();
  for await (const c of readBaselineCases(baselineDir)) {
    if (!inScope(c.id)) continue;
    if (before.has(c.id)) {
      throw new ConfigError(
        `--baseline: ${baselineDir}/results.jsonl holds case "${c.id}" more than once: not one run's results`,
      );
    }
    before.set(c.id, { status: c.status, passed: c.passed, seen: false });
  }

  let regressions = 0;
  let fixes = 0;
  let stillFailing = 0;
  let stillPassing = 0;
  let added = 0;
  const regressedIds: string[] = [];
  const fixedIds: string[] = [];
  const latencies: number[] = [];
  for await (const record of records) {
    if (record.latency_ms !== null && Number.isFinite(record.latency_ms)) latencies.push(record.latency_ms);
    const old = before.get(record.id);
    if (old === undefined) {
      added += 1;
      continue;
    }
    old.seen = true;
    if (old.passed && !record.passed) {
      regressions += 1;
      if (regressedIds.length < MAX_COMPARED_IDS) regressedIds.push(record.id);
    } else if (!old.passed && record.passed) {
      fixes += 1;
      if (fixedIds.length < MAX_COMPARED_IDS) fixedIds.push(record.id);
    } else if (record.passed) stillPassing += 1;
    else stillFailing += 1;
  }
  let removed = 0;
  for (const entry of before.values()) if (!entry.seen) removed += 1;

  const regressed = regressedIds.length === 0 ? [] : await pick(baselineDir, regressedIds);
  const sorted = Float64Array.from(latencies).sort();
  const comparison: Comparison = {
    baseline: {
      run_id: summary.run_id,
      finished_at: summary.finished_at,
      dataset_sha256: summary.dataset.sha256 ?? null,
      release_tag: summary.workflow.release_tag,
      ...(options.baselineCommit === undefined ? {} : { commit: options.baselineCommit }),
      ...(options.baselineRunUrl === undefined ? {} : { run_url: options.baselineRunUrl }),
    },
    dataset_changed: current === undefined ? added + removed > 0 : datasetChanged(current.dataset, summary),
    regressions,
    fixes,
    still_failing: stillFailing,
    still_passing: stillPassing,
    added,
    removed,
    regressed_ids: regressedIds,
    fixed_ids: fixedIds,
    latency: {
      p50_delta_ms: delta(percentile(sorted, 50), summary.latency_ms.p50),
      p95_delta_ms: delta(percentile(sorted, 95), summary.latency_ms.p95),
    },
  };
  return {
    comparison,
    baselineOf: (id) => {
      const entry = before.get(id);
      return entry === undefined ? null : { status: entry.status, passed: entry.passed };
    },
    regressed,
  };
}

/**
 * Checks a baseline before a run starts, so that a wrong `--baseline` fails before anything is submitted: its
 * `summary.json` must read, and it must have run the same deployment (unless `anyWorkflow`). `results.jsonl` is
 * read later, by the comparison itself.
 *
 * @param baselineDir - The baseline's out directory.
 * @param options - The deployment about to run, and whether another one is accepted. @default `anyWorkflow` false
 * @throws {@link ConfigError} as {@link compareWithBaseline} does for the summary and the deployment.
 */
export async function checkBaseline(
  baselineDir: string,
  options: {
    readonly workflow: Pick<WorkflowRef, 'deployment_name' | 'deployment_id'>;
    readonly anyWorkflow?: boolean | undefined;
  },
): Promise<void> {
  const summary = await readBaselineSummary(baselineDir);
  if (options.anyWorkflow !== true) checkSameWorkflow(options.workflow, summary);
}

/**
 * Refuses a baseline of another deployment. The summary names the deployment as the user gave it (by name or by
 * id); when one run named it and the other gave its id, they cannot be matched and the baseline is refused too.
 */
function checkSameWorkflow(
  workflow: Pick<WorkflowRef, 'deployment_name' | 'deployment_id'>,
  baseline: BaselineSummary,
): void {
  const other = baseline.workflow;
  const sameId =
    workflow.deployment_id !== null &&
    other.deployment_id !== null &&
    workflow.deployment_id === other.deployment_id;
  const sameName =
    workflow.deployment_name !== null &&
    other.deployment_name !== null &&
    workflow.deployment_name === other.deployment_name;
  if (sameId || sameName) return;
  throw new ConfigError(
    `--baseline: the baseline ran the deployment ${describe(other)}, this run ${describe(workflow)}: ` +
      `a comparison across deployments is refused (pass --baseline-any-workflow to compare anyway)`,
  );
}

function describe(workflow: Pick<WorkflowRef, 'deployment_name' | 'deployment_id'>): string {
  if (workflow.deployment_name !== null) return `named "${workflow.deployment_name}"`;
  return `with id "${workflow.deployment_id ?? '?'}"`;
}

function datasetChanged(current: Summary['dataset'], baseline: BaselineSummary): boolean {
  const a = current.sha256;
  const b = baseline.dataset.sha256;
  if (a !== undefined && b !== undefined) return a !== b;
  return current.cases !== baseline.dataset.cases;
}

function delta(now: number | null, before: number | null): number | null {
  return now === null || before === null ? null : now - before;
}

/** The baseline's cases of `ids`, in the order of `ids` (a second pass over the baseline's file). */
async function pick(baselineDir: string, ids: readonly string[]): Promise<BaselineCase[]> {
  const wanted = new Set(ids);
  const found = new Map<string, BaselineCase>();
  for await (const c of readBaselineCases(baselineDir)) {
    if (wanted.has(c.id)) found.set(c.id, c);
    if (found.size === wanted.size) break;
  }
  return ids.flatMap((id) => {
    const c = found.get(id);
    return c === undefined ? [] : [c];
  });
}
