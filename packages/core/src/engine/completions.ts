/**
 * Completions pushed to the engine from outside polling (Vellum's webhooks). The engine only needs to hear that an
 * execution ended and how; where the news comes from is the feed's business.
 */
import type { CaseError } from '../types.js';

/** One execution ended, as told by a webhook delivery (or any other push source). */
export interface Completion {
  /** The execution id, when the event carried one. */
  readonly executionId: string | null;
  /** The external id the execution was started with, when the event carried one. */
  readonly externalId: string | null;
  readonly status: 'FULFILLED' | 'REJECTED';
  /** The outputs as `{name: value}` (FULFILLED), else null. */
  readonly outputs: Readonly<Record<string, unknown>> | null;
  /** The error (REJECTED), else null. */
  readonly error: CaseError | null;
  /** The workflow deployment's UUID (`deployment_id` of the event's deployment context), when the event carried one. */
  readonly deploymentId?: string | null | undefined;
  /** The metadata the execution was started with (the deployment context's `metadata`), when the event carried it. */
  readonly metadata?: Readonly<Record<string, unknown>> | null | undefined;
}

/** Which completions a feed should pass on: those of one deployment and one run. */
export interface CompletionFilter {
  /** Only completions whose deployment context names this deployment UUID (or names none). */
  readonly deploymentId?: string | undefined;
  /**
   * Only completions whose `metadata.vellum_batch_run_id` is this run id (or is not set): the id the engine puts in
   * every submit's metadata.
   */
  readonly runId?: string | undefined;
}

/** A source of {@link Completion}s the engine subscribes to for the length of a run. */
export interface CompletionFeed {
  /**
   * Calls `listener` for every completion from now on; returns the function that unsubscribes. A listener that
   * returns `false` (exactly) does not know the completion's execution: a feed may count it as ignored.
   */
  subscribe(listener: (completion: Completion) => unknown): () => void;
  /**
   * Narrows the feed to one deployment and one run (replacing an earlier filter): a feed that implements it drops
   * completions of other deployments and runs before they reach a listener. Call it once the deployment's UUID and
   * the run id are known, before the first submit.
   */
  restrictTo?(filter: CompletionFilter): void;
}
