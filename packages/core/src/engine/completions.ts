/**
 * Completions pushed to the engine from outside polling (Vellum's signed webhooks). The engine only needs to hear
 * that an execution ended and how; where the news comes from is the feed's business.
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
}

/** A source of {@link Completion}s the engine subscribes to for the length of a run. */
export interface CompletionFeed {
  /** Calls `listener` for every completion from now on; returns the function that unsubscribes. */
  subscribe(listener: (completion: Completion) => void): () => void;
}
