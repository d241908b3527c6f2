/**
 * What tells one vellum-batch step from every other in a workflow run, and the defaults made from it: the
 * external-id prefix, the artifact name and the sticky comment's key. The runner names the workflow
 * (`GITHUB_WORKFLOW`), the job (`GITHUB_JOB`) and the step (`GITHUB_ACTION`), but every job of a matrix has the
 * same three and the matrix itself is not in the environment: so the inputs a matrix varies (the deployment, the
 * release tag, the dataset, the base URL, an explicit artifact name) are hashed in too. A matrix over release tags
 * or datasets in one run therefore never shares a prefix, an artifact or a comment; two matrix jobs whose
 * inputs are all equal still would (set `external-id-prefix` and `artifact-name` from the matrix then).
 */
import { createHash } from 'node:crypto';
import type { RunContext } from './context.js';
import type { ActionInputs } from './inputs.js';

/** One vellum-batch step of a workflow, the same on every run and attempt (see the file's doc). */
export interface StepIdentity {
  readonly workflow: string;
  readonly job: string;
  readonly step: string;
  /** The inputs that tell apart jobs of one matrix, by name (null when unset). */
  readonly variant: Readonly<Record<string, string | null>>;
}

/**
 * The identity of this step.
 *
 * @param rawArtifactName - The `artifact-name` input as given (`''` when unset), to tell an explicit name from the
 *   default.
 */
export function stepIdentity(
  context: Pick<RunContext, 'workflow' | 'job' | 'step'>,
  inputs: ActionInputs,
  rawArtifactName: string,
): StepIdentity {
  const explicit = rawArtifactName.trim() === '' ? null : inputs.artifactName;
  const variant: Record<string, string | null> =
    inputs.mode === 'merge'
      ? { mode: 'merge', artifactName: inputs.artifactName }
      : {
          deploymentName: inputs.workflow.deploymentName ?? null,
          deploymentId: inputs.workflow.deploymentId ?? null,
          releaseTag: inputs.workflow.releaseTag,
          dataset: inputs.dataset,
          baseUrl: inputs.baseUrl === undefined ? null : JSON.stringify(inputs.baseUrl),
          artifactName: explicit,
        };
  return { workflow: context.workflow, job: context.job, step: context.step, variant };
}

/** 8 hex digits of SHA-256 over the identity: stable across runs and attempts, different per step and variant. */
export function identityHash(identity: StepIdentity): string {
  const variant = Object.keys(identity.variant)
    .sort()
    .map((key) => [key, identity.variant[key] ?? null]);
  return createHash('sha256')
    .update(JSON.stringify([identity.workflow, identity.job, identity.step, variant]))
    .digest('hex')
    .slice(0, 8);
}

/** The job id as a short name part: letters, digits, `_` and `-`, at most 20 characters (the hash keeps it unique). */
function jobPart(job: string): string {
  const clean = job.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 20);
  return clean === '' ? '' : `${clean}-`;
}

/**
 * The default external-id prefix, unique per workflow run, attempt, job, step and matrix variant (and shard):
 * `vb-{run id}-{attempt}-{job}-{hash}-`, plus `s{i}-` for shard `i`. A re-run attempt gets a new prefix, so it never
 * adopts the executions of an earlier attempt.
 */
export function defaultExternalIdPrefix(
  context: Pick<RunContext, 'runId' | 'runAttempt'>,
  identity: StepIdentity,
  shard: { readonly index: number } | null,
): string {
  const shardPart = shard === null ? '' : `s${shard.index}-`;
  return `vb-${context.runId}-${context.runAttempt}-${jobPart(identity.job)}${identityHash(identity)}-${shardPart}`;
}

/**
 * The base name of the results artifact (before `-shard-I-of-N` and `-attempt-N`): the `artifact-name` input when it
 * was given; in `mode: merge` and for a shard, the input's default too, because the merge finds the shards by that
 * name (`{artifact-name}-shard-I-of-N`, see `shards.ts`); otherwise `{default}-{job}-{hash}`, so that several
 * steps or matrix jobs of one run each upload their own artifact, under the same name on every run (a baseline
 * is looked up by name).
 */
export function artifactBase(inputs: ActionInputs, identity: StepIdentity, rawArtifactName: string): string {
  if (rawArtifactName.trim() !== '' || inputs.mode === 'merge' || inputs.shard !== null)
    return inputs.artifactName;
  return `${inputs.artifactName}-${jobPart(identity.job)}${identityHash(identity)}`;
}

/**
 * The key of the sticky PR comment's marker: `{job}:{step}:{hash}`, plus `:shard-I-of-N` for a shard (which comments
 * only with `comment: always`). It has no run id nor attempt: every push and re-run updates the same comment.
 */
export function commentKey(
  identity: StepIdentity,
  shard: { readonly index: number; readonly count: number } | null,
): string {
  const shardPart = shard === null ? '' : `:shard-${shard.index}-of-${shard.count}`;
  return `${identity.job}:${identity.step}:${identityHash(identity)}${shardPart}`;
}
