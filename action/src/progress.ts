/**
 * The action's log while a batch runs: the start, a progress line every few seconds, the server's limit, the run's
 * warnings, a stop.
 */
import type { RunEvent } from '@vellum-batch/core';
import type { ActionIo } from './main.js';
import { progressLine } from './summary.js';

/** How often a progress line is logged. */
const PROGRESS_EVERY_MS = 5_000;

/**
 * Logs the start, a progress line every few seconds, the server's limit, each warning of the run (as a warning
 * annotation) and why a run stops. The last line is
 * {@link finalLine}, from the summary: the engine counts a case finished before its execution leaves `running`,
 * so a line written on the last record could read `1 running` after the end.
 */
export function progressLogger(io: ActionIo): (event: RunEvent) => void {
  let last = 0;
  return (event) => {
    switch (event.type) {
      case 'started':
        io.info(
          `run ${event.runId} started: ` +
            (event.repeat === undefined
              ? `${event.progress.total} cases`
              : `${event.progress.total / event.repeat.count} cases × ${event.repeat.count} repeats (${event.progress.total} executions)`),
        );
        last = Date.now();
        return;
      case 'server-limit':
        io.info(`Vellum is running at most ${event.limit} executions at once for this workspace`);
        return;
      case 'stopping':
        io.warning(`stopping (${event.reason}): ${event.message}`);
        return;
      case 'warning':
        // What the run says once (Vellum rate limiting, a journal kept aside, a record that is not its case's).
        io.warning(event.message);
        return;
      default: {
        const now = Date.now();
        const p = event.progress;
        if (now - last >= PROGRESS_EVERY_MS && p.finished < p.total) {
          last = now;
          io.info(progressLine(p));
        }
      }
    }
  };
}
