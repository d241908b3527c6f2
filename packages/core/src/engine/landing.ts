/**
 * Where every unit lands: the one writer of records. Each landing is journaled (one record per unit: with repeats,
 * per repeat), counted in the progress (executions), and told as a `record` event: without repeats at once; with
 * repeats as the case's one record (see `repeats.ts`), once its last repeat is in. The repeats of a case still in
 * the air are held here; those landed by the run this one resumes are read back from the journal when needed. A
 * record found later to hold another unit's execution is replaced here too ({@link Lander.supersede}).
 */
import type { CaseError, CaseRecord } from '../types.js';
import type { Landing } from './context.js';
import type { FlightTable } from './flights.js';
import type { JournalWriter } from './journal.js';
import type { RunEvent } from './options.js';
import { aggregateRepeats, type RepeatConfig } from './repeats.js';
import { slotUnit, unitSlot } from './units.js';

/** Records the units of a run; see the module comment. */
export interface Lander {
  /** Unit `slot` landed (its record may still carry the slot as `index`: it is mapped back to the case here). */
  land(landing: Landing, slot: number): void;
  /** Unit `slot` has a final record in the journal of the run this one resumes. */
  done(slot: number, passed: boolean): void;
  /**
   * Unit `slot` landed, but `executionId`, the execution its record holds, is another unit's (Vellum lists it under
   * that one's external id): its record is replaced by a `SUBMIT_FAILED` one without an execution, with the error
   * `errorOf` gives for the old record. The journal's latest record of a unit is its record, so `results.jsonl`, the
   * summary and `--resume` take the new one; the progress counts it failed, and a `record` event tells it again
   * (without repeats at once; with repeats, the case's record once every repeat is in). Returns the old record;
   * `'other'` when that record holds another execution (the landed ids are hashes: a collision), `'unreadable'` when
   * it cannot be read back (the journal failed); nothing was replaced then.
   */
  supersede(
    slot: number,
    executionId: string,
    errorOf: (old: CaseRecord) => CaseError,
    now: number,
  ): CaseRecord | 'other' | 'unreadable';
}

/** `old` as a failed record without an execution: what was read from that execution is not this unit's. */
function withoutExecution(old: CaseRecord, error: CaseError, now: number): CaseRecord {
  return {
    ...old,
    execution_id: null,
    status: 'SUBMIT_FAILED',
    passed: false,
    outputs: null,
    error,
    assertions: [],
    finished_at: new Date(now).toISOString(),
    latency_ms: null,
    execution_detail_url: null,
  };
}

/** A case whose repeats are not all in yet. */
interface Pending {
  /** By repeat (0-based): a record landed here, 'journal' when the resumed journal holds it. */
  readonly repeats: (CaseRecord | 'journal' | undefined)[];
  known: number;
  landedHere: boolean;
}

/** The lander of a run. */
export function createLander(
  journal: JournalWriter,
  flights: FlightTable,
  emit: (event: RunEvent) => void,
  repeat: RepeatConfig | null,
): Lander {
  /** Journals the failed record replacing unit `slot`'s: the old and the new record, or why not (see `supersede`). */
  const replace = (
    slot: number,
    executionId: string,
    errorOf: (old: CaseRecord) => CaseError,
    now: number,
  ): { old: CaseRecord; record: CaseRecord } | 'other' | 'unreadable' => {
    let old: CaseRecord | null;
    try {
      old = journal.recordAt(slot);
    } catch {
      return 'unreadable';
    }
    if (old === null) return 'unreadable';
    if (old.execution_id !== executionId) return 'other';
    const record = withoutExecution(old, errorOf(old), now);
    journal.record(record, false, slot);
    flights.countFailedNow(old.passed);
    return { old, record };
  };
  if (repeat === null) {
    return {
      land(landing) {
        journal.record(landing.record, landing.provisional);
        flights.countFinished(landing.record.passed);
        emit({ type: 'record', record: landing.record, progress: flights.progress() });
      },
      done(_slot, passed) {
        flights.countFinished(passed);
      },
      supersede(slot, executionId, errorOf, now) {
        const replaced = replace(slot, executionId, errorOf, now);
        if (typeof replaced === 'string') return replaced;
        emit({ type: 'record', record: replaced.record, progress: flights.progress() });
        return replaced.old;
      },
    };
  }
  const pending = new Map<number, Pending>();
  const entry = (index: number): Pending => {
    let p = pending.get(index);
    if (p === undefined) {
      p = {
        repeats: new Array<CaseRecord | 'journal' | undefined>(repeat.count),
        known: 0,
        landedHere: false,
      };
      pending.set(index, p);
    }
    return p;
  };
  const earlier = (slot: number): CaseRecord | null => {
    try {
      return journal.recordAt(slot);
    } catch {
      // The journal cannot be read (the run is stopping as fatal): the event goes without that repeat.
      return null;
    }
  };
  const settle = (index: number, p: Pending): void => {
    if (p.known < repeat.count) return;
    pending.delete(index);
    // A case whose every repeat the resumed run had already recorded was told then.
    if (!p.landedHere) return;
    const records = p.repeats.map((r, k) =>
      r === 'journal' ? earlier(unitSlot(index, k + 1, repeat.count)) : (r ?? null),
    );
    const record = aggregateRepeats(
      records.filter((r): r is CaseRecord => r !== null),
      repeat,
    );
    emit({ type: 'record', record, progress: flights.progress() });
  };
  return {
    land(landing, slot) {
      const { index, repeat: k } = slotUnit(slot, repeat.count);
      const record = landing.record.index === index ? landing.record : { ...landing.record, index };
      journal.record(record, landing.provisional, slot);
      flights.countFinished(record.passed);
      const p = entry(index);
      if (p.repeats[k - 1] === undefined) p.known += 1;
      p.repeats[k - 1] = record;
      p.landedHere = true;
      settle(index, p);
    },
    done(slot, passed) {
      flights.countFinished(passed);
      const { index, repeat: k } = slotUnit(slot, repeat.count);
      const p = entry(index);
      if (p.repeats[k - 1] === undefined) p.known += 1;
      p.repeats[k - 1] = 'journal';
      settle(index, p);
    },
    supersede(slot, executionId, errorOf, now) {
      const replaced = replace(slot, executionId, errorOf, now);
      if (typeof replaced === 'string') return replaced;
      const { index, repeat: k } = slotUnit(slot, repeat.count);
      const p = pending.get(index);
      if (p !== undefined) {
        // Repeats still in the air: the case's record, told once they are in, takes the new one.
        p.repeats[k - 1] = replaced.record;
      } else {
        // The case was told already: told again from the journal, which now holds the new record.
        const all: Pending = {
          repeats: new Array<CaseRecord | 'journal'>(repeat.count).fill('journal'),
          known: repeat.count,
          landedHere: true,
        };
        settle(index, all);
      }
      return replaced.old;
    },
  };
}
