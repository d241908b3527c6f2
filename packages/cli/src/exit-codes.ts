/** Exit codes of `vellum-batch` (SPEC section 5). */
export const EXIT = {
  /** The gate passed. */
  passed: 0,
  /** The gate failed. */
  gateFailed: 1,
  /** Usage, configuration or dataset error: nothing was submitted. */
  usage: 2,
  /** A fatal error stopped the run (bad key, unknown deployment, quota); partial results were written. */
  fatal: 3,
  /** Interrupted by SIGINT or SIGTERM; partial results were written. */
  interrupted: 130,
} as const;

/** One of {@link EXIT}'s values. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
