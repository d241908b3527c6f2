/**
 * Opens the run's `journal.jsonl`: reopened after its last whole line when the run resumes (its records indexed
 * again), or created with a fresh run header. A journal that cannot be written is an {@link OutDirError} before
 * anything is submitted.
 */
import { join } from 'node:path';
import { JournalWriter } from './journal.js';
import type { BatchSource, ResolvedOptions } from './options.js';
import { ioError } from './out-dir.js';
import { repeatField } from './repeats.js';
import type { StartPlan } from './start.js';
import { repeatCount } from './units.js';

/** The journal of the run `start` describes, ready for its first line. */
export function openJournal(
  outDir: string,
  start: StartPlan,
  dataset: BatchSource,
  startedAt: Date,
  resolved: ResolvedOptions,
): JournalWriter {
  const path = join(outDir, 'journal.jsonl');
  let journal: JournalWriter;
  try {
    if (start.resume !== null) {
      journal = JournalWriter.reopen(
        path,
        start.resume.validBytes,
        dataset.size,
        repeatCount(resolved.repeat),
      );
      for (const [index, at] of start.resume.records) journal.indexRecord(index, at.offset, at.length);
      return journal;
    }
    journal = JournalWriter.create(path, {
      t: 'run',
      v: 1,
      run_id: start.runId,
      external_id_prefix: start.prefix,
      dataset: {
        path: dataset.path,
        cases: dataset.size,
        ...(dataset.sha256 !== undefined ? { sha256: dataset.sha256 } : {}),
      },
      workflow: start.workflow,
      shard: dataset.shard ?? null,
      started_at: startedAt.toISOString(),
      ...(start.attempt > 1 ? { attempt: start.attempt } : {}),
      ...repeatField(resolved.repeat),
    });
  } catch (error) {
    throw ioError(outDir, error);
  }
  if (journal.failure !== null) {
    journal.close();
    throw ioError(outDir, journal.failure);
  }
  return journal;
}
