/**
 * A dry run: everything that can be checked without starting an execution (options, out dir, lock, the journal's
 * state for the mode, the key and the deployment with one read), and the plan a real run would follow.
 */
import type { WorkflowDeployment } from '../client.js';
import { resolveOptions, type RunBatchOptions, type RunMode, type TrackMode } from './options.js';
import { checkNotHeld, checkOutDir, OutDirError } from './out-dir.js';
import { resolveDeployment } from './run.js';
import type { RepeatConfig } from './repeats.js';
import { prepareStart } from './start.js';

/** What a run with the same options would do. */
export interface BatchPlan {
  readonly cases: number;
  readonly shard: { readonly index: number; readonly count: number } | null;
  readonly mode: RunMode;
  readonly track: TrackMode;
  readonly concurrency: number;
  /** How each case would be repeated, or null when each runs once. */
  readonly repeat: RepeatConfig | null;
  readonly outDir: string;
  readonly deployment: WorkflowDeployment;
  readonly releaseTag: string;
  /** The external id prefix the run would use (a fresh run's is drawn anew by the real run unless given). */
  readonly externalIdPrefix: string;
  /** What the run would tell before it starts (a journal it would keep aside). */
  readonly notes: readonly string[];
}

/**
 * Checks `options` as {@link runBatch} would, submitting nothing and writing nothing.
 * @throws what `runBatch` would throw before its first submit (ConfigError, UnfinishedRunError, OutDirBusyError,
 * OutDirError, the deployment read's AuthenticationError / NotFoundError / ConnectionError).
 */
export async function planBatch(options: RunBatchOptions): Promise<BatchPlan> {
  const resolved = resolveOptions(options);
  const problem = await checkOutDir(options.outDir);
  if (problem !== null) throw new OutDirError(`${problem}; nothing was submitted`, true);
  checkNotHeld(options.outDir);
  const deployment = await resolveDeployment(options.client, resolved, options.signal);
  const start = await prepareStart(
    options.outDir,
    resolved,
    options.dataset,
    {
      deployment_name: deployment.name,
      deployment_id: deployment.id,
      release_tag: resolved.target.releaseTag,
    },
    options.runId,
    true,
  );
  return {
    cases: options.dataset.size,
    shard: options.dataset.shard ?? null,
    mode: resolved.mode,
    track: resolved.track,
    concurrency: resolved.concurrency,
    repeat: resolved.repeat,
    outDir: options.outDir,
    deployment,
    releaseTag: resolved.target.releaseTag,
    externalIdPrefix: start.prefix,
    notes: start.notes,
  };
}
