/**
 * Units of work: one repeat of one case. Each unit is one execution, one flight, one place in the window, the poll
 * planner and the server-queue model; without repeats a unit is a case.
 *
 * A unit is numbered by its slot, `case index × repeat count + (repeat − 1)` (the case index itself without
 * repeats): the journal keeps one record per slot, and the slots of a case are consecutive, so the records come back
 * in (case, repeat) order. Between its take-off and its landing a unit travels as a {@link Case} whose `index` is
 * its slot (the submit and the tracking need nothing else); its landing maps the slot back to the case.
 */
import type { Case } from '../types.js';
import type { RepeatConfig } from './repeats.js';

/** One repeat of one case. */
export interface Unit {
  /** The case as the dataset gave it. */
  readonly case: Case;
  /** 1-based; 1 without repeats. */
  readonly repeat: number;
  readonly slot: number;
  /** The case as its flight carries it: `index` is the slot (the same object without repeats). */
  readonly flown: Case;
}

/** Repeats of each case: the configured count, or 1 without repeats. */
export function repeatCount(repeat: RepeatConfig | null | undefined): number {
  return repeat?.count ?? 1;
}

/** The units of case `c`, in repeat order. */
export function unitsOf(c: Case, repeat: RepeatConfig | null): Unit[] {
  const count = repeatCount(repeat);
  if (count === 1) return [{ case: c, repeat: 1, slot: c.index, flown: c }];
  return Array.from({ length: count }, (_, k) => {
    const slot = c.index * count + k;
    return { case: c, repeat: k + 1, slot, flown: { ...c, index: slot } };
  });
}

/** The case index and the repeat (1-based) of `slot`. */
export function slotUnit(slot: number, count: number): { readonly index: number; readonly repeat: number } {
  return count === 1
    ? { index: slot, repeat: 1 }
    : { index: Math.floor(slot / count), repeat: (slot % count) + 1 };
}

/** The slot of repeat `repeat` (1-based) of case `index`. */
export function unitSlot(index: number, repeat: number, count: number): number {
  return index * count + (repeat - 1);
}
