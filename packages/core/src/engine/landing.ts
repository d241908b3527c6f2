/**
 * Where every unit lands: the one writer of records. Each landing is journaled (one record per unit: with repeats,
 * per repeat), counted in the progress (executions), and told as a `record` event: without repeats at once; with
 * repeats as the case's one record (see `repeats.ts`), once its last repeat is in. The repeats of a case still in
 * the air are held here; those landed by the run this one resumes are read back from the journal when needed.
 */
import type { CaseRecord } from '../types.js';
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
  };
}
