/**
 * SIGINT/SIGTERM handling for a run: the first signal aborts the run (which stops submitting, marks unfinished
 * cases CANCELLED and writes every file); a second one exits at once, the journal being already on disk.
 */
import type { CliIo } from './cli.js';
import { EXIT } from './exit-codes.js';

/**
 * Runs `task` with an AbortSignal that the first SIGINT or SIGTERM aborts; a second signal calls `exit`.
 * @param exit How to leave at once. @default process.exit
 * @param beforeExit Called just before `exit` (to remove half-written files).
 */
/** Commands handling their own signals at the moment (a run under {@link withSignals}, the fake server). */
let activeRuns = 0;

/** Takes SIGINT and SIGTERM over from {@link exitOnEarlySignals} until the returned function is called. */
export function claimSignals(): () => void {
  activeRuns += 1;
  let released = false;
  return () => {
    if (!released) activeRuns -= 1;
    released = true;
  };
}

/**
 * Until a run starts, SIGINT and SIGTERM end the process at once with exit 130 (SPEC section 5: interrupted), without
 * a stack: nothing was submitted yet. Called once by the `vellum-batch` entry point.
 */
export function exitOnEarlySignals(
  io: CliIo,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  const onSignal = (name: NodeJS.Signals): void => {
    if (activeRuns > 0) return;
    io.stderr.write(`\n${name}: interrupted before the run started; nothing was submitted\n`);
    exit(EXIT.interrupted);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

export async function withSignals<T>(
  io: CliIo,
  task: (signal: AbortSignal) => Promise<T>,
  exit: (code: number) => void = (code) => process.exit(code),
  beforeExit?: () => void,
): Promise<T> {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      io.stderr.write(`\n${name} again: exiting now; the journal in the out directory is intact\n`);
      beforeExit?.();
      exit(EXIT.interrupted);
      return;
    }
    io.stderr.write(`\n${name}: stopping; writing results (press Ctrl-C again to exit at once)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const release = claimSignals();
  try {
    return await task(controller.signal);
  } finally {
    release();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
