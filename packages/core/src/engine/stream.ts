/**
 * A run as an async iterator of its records, for callers that would rather `for await` than listen to events.
 */
import type { CaseRecord } from '../types.js';
import type { RunBatchOptions, RunResult } from './options.js';
import { runBatch } from './run.js';

/** A started run. */
export interface BatchHandle {
  /**
   * The records of the run, in the order they are written (not index order), ending when the run ends. One
   * iteration per handle; records written before it starts are buffered. A later record of a case replaces an
   * earlier one (see the `record` event).
   */
  results(): AsyncIterableIterator<CaseRecord>;
  /** The run's result (rejects as {@link runBatch} does). */
  readonly done: Promise<RunResult>;
}

/** Starts {@link runBatch} with `options` and returns a handle on its records and its result. */
export function startBatch(options: RunBatchOptions): BatchHandle {
  const buffered: CaseRecord[] = [];
  let wake: (() => void) | null = null;
  let over = false;
  const done = runBatch({
    ...options,
    onEvent: (event) => {
      if (event.type === 'record') {
        buffered.push(event.record);
        wake?.();
      }
      options.onEvent?.(event);
    },
  });
  const settle = (): void => {
    over = true;
    wake?.();
  };
  done.then(settle, settle);
  let iterating = false;
  return {
    done,
    results() {
      if (iterating) throw new Error('startBatch: results() can be iterated once');
      iterating = true;
      async function* iterate(): AsyncGenerator<CaseRecord> {
        for (;;) {
          while (buffered.length > 0) yield buffered.shift()!;
          if (over) return;
          await new Promise<void>((resolve) => (wake = resolve));
          wake = null;
        }
      }
      return iterate();
    },
  };
}
