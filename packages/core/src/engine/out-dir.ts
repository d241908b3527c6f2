/**
 * The out dir as a resource: created and checked before anything is submitted, and held by one run at a time through
 * a lock file (`.vellum-batch.lock`, holding the holder's pid, host and start time). A lock whose process is gone
 * (killed, crashed) is taken over, and the run says so.
 */
import { hostname } from 'node:os';
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError, VellumBatchError } from '../errors.js';

/** The name of the lock file in an out dir. */
export const LOCK_FILE = '.vellum-batch.lock';

/** Another run holds the out dir. */
export class OutDirBusyError extends ConfigError {
  override readonly code = 'out_dir_busy';
}

/**
 * The out dir cannot be used or written (not a directory, no permission, a read-only or full file system).
 * `beforeSubmit` tells whether anything had been submitted when it happened (then the run is resumable).
 */
export class OutDirError extends VellumBatchError {
  readonly beforeSubmit: boolean;
  constructor(message: string, beforeSubmit: boolean, options?: ErrorOptions) {
    super('out_dir_io', message, options);
    this.beforeSubmit = beforeSubmit;
  }
}

/** A held out dir. */
export interface OutDirLock {
  /** Set when a stale lock of a process that is gone was taken over. */
  readonly tookOver: string | null;
  /** Gives the out dir up (removes the lock if it is still this run's). */
  release(): void;
}

interface LockContent {
  readonly pid: number;
  readonly host: string;
  readonly started_at: string;
}

/**
 * Creates `outDir` if needed, checks it can be written, and takes its lock.
 * @throws OutDirError (before anything is submitted) when it cannot be created or written.
 * @throws OutDirBusyError when a live run holds it.
 */
export async function acquireOutDir(outDir: string, now: Date): Promise<OutDirLock> {
  await prepareOutDir(outDir);
  const path = join(outDir, LOCK_FILE);
  const content: LockContent = { pid: process.pid, host: hostname(), started_at: now.toISOString() };
  const text = `${JSON.stringify(content)}\n`;
  let tookOver: string | null = null;
  for (let tries = 0; ; tries++) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, text);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 0) throw ioError(outDir, error);
    }
    const holder = readLock(path);
    if (holder !== null && holderAlive(holder)) throw busy(outDir, holder);
    tookOver =
      holder === null
        ? `took over an unreadable lock in ${outDir}`
        : `took over the lock of pid ${holder.pid} (started ${holder.started_at}), which is no longer running`;
    try {
      unlinkSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(outDir, error);
    }
  }
  return {
    tookOver,
    release() {
      try {
        if (readFileSync(path, 'utf8') === text) unlinkSync(path);
      } catch {
        // gone already, or the out dir went away: nothing to give up
      }
    },
  };
}

/**
 * Refuses, without writing, an out dir whose lock a live process holds (another process: this one may plan its own).
 * @throws OutDirBusyError naming the holder.
 */
export function checkNotHeld(outDir: string): void {
  const holder = readLock(join(outDir, LOCK_FILE));
  if (holder !== null && holder.pid !== process.pid && holderAlive(holder)) throw busy(outDir, holder);
}

function busy(outDir: string, holder: LockContent): OutDirBusyError {
  return new OutDirBusyError(
    `${outDir} is in use by another vellum-batch run (pid ${holder.pid} on ${holder.host}, started ${holder.started_at}); wait for it to end or choose another --out; nothing was submitted`,
  );
}

/**
 * Checks, without writing, that `outDir` could be used: an existing directory, or a path whose nearest existing
 * ancestor is a directory. Returns the problem as a sentence, or null.
 */
export async function checkOutDir(outDir: string): Promise<string | null> {
  let path = resolve(outDir);
  for (;;) {
    try {
      const info = await stat(path);
      if (!info.isDirectory()) {
        return path === resolve(outDir)
          ? `the out dir ${outDir} is a file, not a directory`
          : `the out dir ${outDir} cannot be created: ${path} is a file`;
      }
      return null;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return ioError(outDir, error, false).message;
      const parent = resolve(path, '..');
      if (parent === path) return null;
      path = parent;
    }
  }
}

async function prepareOutDir(outDir: string): Promise<void> {
  const problem = await checkOutDir(outDir);
  if (problem !== null) throw new OutDirError(`${problem}; nothing was submitted`, true);
  // One level at a time, not `recursive: true`: on special file systems (`/proc`) Node's recursive mkdir spins.
  const missing: string[] = [];
  for (let path = resolve(outDir); ; path = resolve(path, '..')) {
    try {
      await stat(path);
      break;
    } catch {
      missing.unshift(path);
      if (resolve(path, '..') === path) break;
    }
  }
  for (const path of missing) {
    try {
      await mkdir(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(outDir, error);
    }
  }
}

function readLock(path: string): LockContent | null {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockContent>;
    if (typeof value.pid !== 'number' || typeof value.host !== 'string') return null;
    return { pid: value.pid, host: value.host, started_at: String(value.started_at) };
  } catch {
    return null;
  }
}

function holderAlive(holder: LockContent): boolean {
  // A lock from another host (a shared file system) cannot be checked: it is taken as held.
  if (holder.host !== hostname()) return true;
  if (holder.pid === process.pid) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const IO_REASONS: Readonly<Record<string, string>> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a part of the path is a file',
  EEXIST: 'a file is in the way',
  EISDIR: 'a directory is in the way',
  ENOENT: 'the path cannot be created there',
  EIO: 'an I/O error',
};

/** An {@link OutDirError} (before anything was submitted) with one sentence for a file system error. */
export function ioError(outDir: string, error: unknown, beforeSubmit = true): OutDirError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const reason = IO_REASONS[code] ?? (error instanceof Error ? error.message : String(error));
  return new OutDirError(
    `cannot write to the out dir ${outDir}: ${reason}${code !== '' ? ` (${code})` : ''}${beforeSubmit ? '; nothing was submitted' : ''}`,
    beforeSubmit,
    { cause: error },
  );
}
