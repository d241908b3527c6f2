/**
 * Reading a journal back (`--resume`, `--retry-failed`): what each case (with repeats: each repeat of each case)
 * reached before the run stopped. Streams the file line by line; per unit it keeps only where its record lies, or its
 * execution id. Everything is keyed by unit slot (see `units.ts`): the case index, for a journal without repeats.
 */
import { createReadStream } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { JournalHeader } from './journal.js';
import { unitSlot } from './units.js';

const headerSchema = z.object({
  t: z.literal('run'),
  v: z.literal(1),
  run_id: z.string(),
  external_id_prefix: z.string(),
  dataset: z.object({
    path: z.string(),
    cases: z.number().int().nonnegative(),
    sha256: z.string().optional(),
  }),
  workflow: z.object({
    deployment_name: z.string().nullable(),
    deployment_id: z.string().nullable(),
    release_tag: z.string(),
  }),
  shard: z.object({ index: z.number().int(), count: z.number().int() }).nullable(),
  started_at: z.string(),
  attempt: z.number().int().positive().optional(),
  repeat: z.object({ count: z.number().int().positive(), min_pass: z.number().int().positive() }).optional(),
});

/** The repeat (1-based) of a line; absent: 1 (every line of a journal without repeats). */
const rep = z.number().int().positive().optional();

const entrySchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('intent'), i: z.number().int().nonnegative(), rep, ext: z.string() }),
  z.object({
    t: z.literal('sub'),
    i: z.number().int().nonnegative(),
    rep,
    exec: z.string(),
    at: z.string(),
  }),
  z.object({
    t: z.literal('rec'),
    i: z.number().int().nonnegative(),
    rep,
    r: z.looseObject({ passed: z.boolean(), status: z.string(), attempts: z.number() }),
    p: z.literal(1).optional(),
  }),
]);

/** The journal has no header: its run died before writing anything, so nothing was submitted. */
export class EmptyJournalError extends ConfigError {
  constructor(path: string) {
    super(`${path}: empty journal: there is no run to resume`);
  }
}

/** What a journal says about each unit, by slot. */
export interface ReplayState {
  readonly header: JournalHeader;
  /** Byte offset and length of each final record line, by slot (provisional records are not final). */
  readonly records: Map<
    number,
    { readonly offset: number; readonly length: number; readonly passed: boolean; readonly attempts: number }
  >;
  /**
   * Units submitted (execution id known) without a final record: also those the run stopped under (their record is
   * provisional), whose executions may have gone on running. An execution id journaled for two or more such units is
   * kept for none (see {@link withoutShared}).
   */
  readonly submitted: Map<
    number,
    { readonly executionId: string; readonly at: number; readonly externalId: string }
  >;
  /** External id of every unit whose submit was at least intended. */
  readonly externalIds: Map<number, string>;
  /** Bytes of the file up to the end of its last complete line (a torn last line is cut off when appending). */
  readonly validBytes: number;
}

/**
 * Reads `path`. A torn last line (the process died mid-write) is ignored; any other bad line is an error naming
 * the line, since guessing could start a case twice.
 */
export async function readJournal(path: string): Promise<ReplayState> {
  const records: ReplayState['records'] = new Map();
  const submitted: ReplayState['submitted'] = new Map();
  const externalIds = new Map<number, string>();
  let header: JournalHeader | null = null;
  let offset = 0;
  let lineNumber = 0;
  let validBytes = 0;
  let pending: { line: number; message: string } | null = null;

  const stream = createReadStream(path);
  let carry = Buffer.alloc(0);
  const handle = (line: Buffer, start: number): void => {
    lineNumber += 1;
    if (pending !== null) {
      throw new ConfigError(
        `${path}:${pending.line}: ${pending.message}; the journal is damaged, so the run cannot resume safely`,
      );
    }
    let value: unknown;
    try {
      value = JSON.parse(line.toString('utf8'));
    } catch {
      pending = { line: lineNumber, message: 'not valid JSON' };
      return;
    }
    if (header === null) {
      const parsed = headerSchema.safeParse(value);
      if (!parsed.success) throw new ConfigError(`${path}:1: not a vellum-batch journal header`);
      header = parsed.data as JournalHeader;
    } else {
      const parsed = entrySchema.safeParse(value);
      if (!parsed.success) {
        pending = {
          line: lineNumber,
          message: `not a journal entry (${parsed.error.issues[0]?.message ?? 'invalid'})`,
        };
        return;
      }
      const entry = parsed.data;
      const repeats = header.repeat?.count ?? 1;
      if ((entry.rep ?? 1) > repeats) {
        pending = { line: lineNumber, message: `repeat ${entry.rep} of a run of ${repeats} repeats` };
        return;
      }
      const slot = unitSlot(entry.i, entry.rep ?? 1, repeats);
      if (entry.t === 'intent') externalIds.set(slot, entry.ext);
      else if (entry.t === 'sub') {
        submitted.set(slot, {
          executionId: entry.exec,
          at: Date.parse(entry.at),
          externalId: externalIds.get(slot) ?? '',
        });
      } else if (entry.p === 1) {
        // Where an interruption left the unit: not final, the next run takes it up again.
        records.delete(slot);
      } else {
        submitted.delete(slot);
        records.set(slot, {
          offset: start,
          length: line.length,
          passed: entry.r.passed,
          attempts: entry.r.attempts,
        });
      }
    }
    validBytes = start + line.length + 1;
  };

  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    let newline: number;
    while ((newline = data.indexOf(10)) >= 0) {
      handle(data.subarray(0, newline), offset);
      offset += newline + 1;
      data = data.subarray(newline + 1);
    }
    carry = Buffer.from(data);
  }
  // A last line without its newline was torn by a crash mid-write: it never counted.
  if (header === null) throw new EmptyJournalError(path);
  return { header, records, submitted: withoutShared(submitted), externalIds, validBytes };
}

/**
 * `submitted` without the units that share an execution id. A submit answer gave one unit another's execution, and
 * the run ended before the other's record settled whose it is (`submit.ts`): tracked by that id, both would end with
 * one execution's result. Left out, each is resumed from its intent: its external id is looked up, so the owner
 * adopts the execution Vellum lists under its id and the other is submitted (nothing was created for it).
 */
function withoutShared(submitted: ReplayState['submitted']): ReplayState['submitted'] {
  const holders = new Map<string, number>();
  for (const { executionId } of submitted.values())
    holders.set(executionId, (holders.get(executionId) ?? 0) + 1);
  for (const [slot, { executionId }] of submitted) if (holders.get(executionId)! > 1) submitted.delete(slot);
  return submitted;
}
