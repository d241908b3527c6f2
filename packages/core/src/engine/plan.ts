/**
 * A dry run: everything that can be checked without starting an execution (options, out dir, lock, the journal's
 * state for the mode, the key and the deployment with one read), and the plan a real run would follow.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowDeployment } from '../client.js';
import { resolveOptions, type RunBatchOptions, type RunMode, type TrackMode } from './options.js';
import { checkOutDir, LOCK_FILE, OutDirBusyError, OutDirError } from './out-dir.js';
import { resolveDeployment } from './run.js';
import { prepareStart } from './start.js';

/** What a run with the same options would do. */
export interface BatchPlan {
  readonly cases: number;
  readonly shard: { readonly index: number; readonly count: number } | null;
  readonly mode: RunMode;
  readonly track: TrackMode;
  readonly concurrency: number;
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
  const lockPath = join(options.outDir, LOCK_FILE);
  if (existsSync(lockPath)) {
    const holder = safeRead(lockPath);
    if (holder !== null && holder.pid !== process.pid && alive(holder.pid)) {
      throw new OutDirBusyError(
        `${options.outDir} is in use by another vellum-batch run (pid ${holder.pid}, started ${holder.started_at})`,
      );
    }
  }
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
    outDir: options.outDir,
    deployment,
    releaseTag: resolved.target.releaseTag,
    externalIdPrefix: start.prefix,
    notes: start.notes,
  };
}

function safeRead(path: string): { pid: number; started_at: string } | null {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown; started_at?: unknown };
    return typeof value.pid === 'number' ? { pid: value.pid, started_at: String(value.started_at) } : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
