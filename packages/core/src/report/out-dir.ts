/**
 * The last step of a run or a merge: the records (in index order) become `results.jsonl`, and the summary, `junit.xml`
 * and `report.md` are written beside it, in one pass over the records. `results.jsonl` appears last (renamed from its
 * `.tmp`), so an out dir that has results also has its report; a failed write leaves no `.tmp` behind.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CaseRecord, Summary } from '../types.js';
import { serializeRecord } from './jsonl.js';
import { SummaryBuilder, type SummaryMeta } from './summary.js';
import { writeReports } from './write.js';

/** What {@link finishOutDir} wrote. */
export interface FinishedOutDir {
  readonly summary: Summary;
  readonly markdown: string;
}

/**
 * Writes the result files of `outDir` from `records`, sorted by index.
 * @throws the file system's error when a file cannot be written (nothing half-written is left).
 */
export async function finishOutDir(
  outDir: string,
  records: Iterable<CaseRecord> | AsyncIterable<CaseRecord>,
  meta: SummaryMeta,
): Promise<FinishedOutDir> {
  const resultsPath = join(outDir, 'results.jsonl');
  const tmp = `${resultsPath}.tmp`;
  const builder = new SummaryBuilder();
  try {
    const out = createWriteStream(tmp);
    const failed = once(out, 'error').then(([error]) => Promise.reject(error as Error));
    failed.catch(() => undefined);
    try {
      for await (const record of records) {
        builder.add(record);
        if (!out.write(`${serializeRecord(record)}\n`)) await Promise.race([once(out, 'drain'), failed]);
      }
      out.end();
      await Promise.race([once(out, 'finish'), failed]);
    } finally {
      out.destroy();
    }
    const summary = builder.build(meta);
    const { markdown } = await writeReports(outDir, summary, { resultsPath: tmp });
    await rename(tmp, resultsPath);
    return { summary, markdown };
  } catch (error) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw error;
  }
}
