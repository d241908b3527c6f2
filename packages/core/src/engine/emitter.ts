/**
 * The run's events, told to the caller's `onEvent` listener. A listener's fault changes nothing of the run: it is
 * told once, as a warning of the run, and later faults are ignored.
 */
import type { RunEvent } from './options.js';

/** An `emit` that calls `listener` and turns its first throw into a line of `warnings`. */
export function createEmitter(
  listener: ((event: RunEvent) => void) | undefined,
  warnings: string[],
): (event: RunEvent) => void {
  let failed = false;
  return (event) => {
    try {
      listener?.(event);
    } catch (error) {
      if (failed) return;
      failed = true;
      const reason = error instanceof Error ? error.message : String(error);
      warnings.push(
        `an onEvent listener threw (${reason}); the run goes on and ignores later listener errors`,
      );
    }
  };
}
