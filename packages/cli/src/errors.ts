/**
 * Every error a command can end with, turned into the exit code and the one sentence the user sees (SPEC section 5).
 * No stack trace reaches a user; `VELLUM_BATCH_DEBUG=1` adds it for bug reports.
 */
import { CommanderError } from 'commander';
import {
  ApiError,
  AuthenticationError,
  ConfigError,
  ConnectionError,
  DatasetError,
  NotFoundError,
  OutDirError,
  TimeoutError,
} from '@vellum-batch/core';
import { EXIT } from './exit-codes.js';
import type { ExitCode } from './exit-codes.js';

/** How a command that threw ends. `message` is null when the error already spoke (commander's own output). */
export function describeError(
  error: unknown,
  env: NodeJS.ProcessEnv,
): { code: ExitCode; message: string | null } {
  if (error instanceof CommanderError) {
    // Help and version end with exit code 0; every parse problem is a usage error.
    return { code: error.exitCode === 0 ? EXIT.passed : EXIT.usage, message: null };
  }
  if (error instanceof DatasetError || error instanceof ConfigError)
    return { code: EXIT.usage, message: error.message };
  if (error instanceof OutDirError) {
    return { code: error.beforeSubmit ? EXIT.usage : EXIT.fatal, message: error.message };
  }
  if (error instanceof AuthenticationError) {
    return {
      code: EXIT.fatal,
      message: `Vellum refused the API key (${error.status}: ${error.detail}); check the key and its workspace; nothing was submitted`,
    };
  }
  if (error instanceof NotFoundError) {
    return {
      code: EXIT.fatal,
      message: `Vellum does not know this workflow deployment (${error.request} answered ${error.status}: ${error.detail}); check --workflow or --deployment-id; nothing was submitted`,
    };
  }
  if (error instanceof ConnectionError || error instanceof TimeoutError) {
    return { code: EXIT.fatal, message: `Vellum cannot be reached: ${error.message}; nothing was submitted` };
  }
  if (error instanceof ApiError)
    return { code: EXIT.fatal, message: `${error.message}; nothing was submitted` };
  if (isAbort(error)) {
    return { code: EXIT.interrupted, message: 'interrupted before the run started; nothing was submitted' };
  }
  const text = error instanceof Error ? error.message : String(error);
  const stack = env['VELLUM_BATCH_DEBUG'] && error instanceof Error && error.stack ? `\n${error.stack}` : '';
  return {
    code: EXIT.fatal,
    message: `unexpected error: ${text} (this is a bug: please report it with VELLUM_BATCH_DEBUG=1 set; a run's journal in its out dir lets --resume continue it)${stack}`,
  };
}

function isAbort(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}
