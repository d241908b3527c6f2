/**
 * Flights: the cases of a run that are between their submit and their record. The table is the one writer of the
 * run's progress counts and of the indexes by execution and external id; the window waits here for room.
 */
import type { Case } from '../types.js';
import type { Completion } from './completions.js';
import { LandedExecutionIds } from './landed-ids.js';
import type { RunProgress } from './options.js';
import type { QueueMember } from './server-queue.js';

/** One case in the air. Its queue fields are written by the server-queue model, the rest by its own lifecycle. */
export interface Flight extends QueueMember {
  readonly seq: number;
  order: number;
  readonly case: Case;
  readonly externalId: string;
  /** Starts of this case by this tool, this one included. */
  readonly attempts: number;
  executionId: string | null;
  /** When the submit went out, or null before. */
  submittedAt: number | null;
  /** When the last status answer (or failure) came back; 0 before the first look. */
  lastLookAt: number;
  /** Wakes the flight from its current wait (promotion, probe, push); null while not waiting. */
  wake: (() => void) | null;
  /** Set when the probe wants this queued flight to look at its status once. */
  probe: boolean;
  /**
   * Whether the look in the air (or the last one) was a probe's, not planned by the tracker: what it finds says
   * nothing about the run-time estimate (a probe looks at a young execution on purpose).
   */
  probed: boolean;
  /** A completion pushed for this execution (webhook and hybrid modes). */
  pushed: Completion | null;
  /**
   * Set (to the reason) when the execution this flight was answered with proved to be another case's (Vellum lists it
   * under that case's external id): the flight lands as a refused submit, without an execution.
   */
  disowned: string | null;
}

/** The flights of a run and its progress; see the module comment. */
export class FlightTable {
  readonly #total: number;
  readonly #bySeq = new Map<number, Flight>();
  readonly #byExecutionId = new Map<string, Flight>();
  readonly #byExternalId = new Map<string, Flight>();
  /** The execution ids of the flights that landed, compact (a run's every id, no strings kept). */
  readonly #landed = new LandedExecutionIds();
  #seq = 0;
  /** Submits answered so far: the next flight's accept order. */
  #accepted = 0;
  #submitted = 0;
  #finished = 0;
  #passed = 0;
  #roomWaiter: (() => void) | null = null;
  readonly #queueCounts: () => { running: number; queued: number };

  constructor(total: number, queueCounts: () => { running: number; queued: number }) {
    this.#total = total;
    this.#queueCounts = queueCounts;
  }

  /** Flights in the air. */
  get size(): number {
    return this.#bySeq.size;
  }

  /** Records written so far (all of this run's, also those of cases that never flew). */
  get finished(): number {
    return this.#finished;
  }

  /** Takes off: a new flight for case `c`. */
  open(c: Case, externalId: string, attempts: number): Flight {
    const flight: Flight = {
      seq: this.#seq++,
      order: Infinity,
      case: c,
      externalId,
      attempts,
      state: 'admitted',
      executionId: null,
      submittedAt: null,
      startedAt: 0,
      seenRunningAt: 0,
      looks: 0,
      lastLookAt: 0,
      wake: null,
      probe: false,
      probed: false,
      pushed: null,
      disowned: null,
    };
    this.#bySeq.set(flight.seq, flight);
    this.#byExternalId.set(externalId, flight);
    return flight;
  }

  /** The flight that holds `executionId`, if any (another case's id answered again is not adopted). */
  holderOf(executionId: string): Flight | undefined {
    return this.#byExecutionId.get(executionId);
  }

  /**
   * Who else holds `executionId`, in words (`case c-7`, or `the case at index 7, already recorded`), or null when no
   * other case of this run does: a submit answered with it must not be adopted by `flight`.
   */
  otherHolder(flight: Flight, executionId: string): string | null {
    const holder = this.#byExecutionId.get(executionId);
    if (holder !== undefined) return holder === flight ? null : `case ${holder.case.id}`;
    const index = this.#landed.caseIndexOf(executionId);
    return index === undefined ? null : `the case at index ${index}, already recorded`;
  }

  /** The slot (the case index without repeats) of the unit that landed holding `executionId`, if one did. */
  landedSlotOf(executionId: string): number | undefined {
    return this.#landed.caseIndexOf(executionId);
  }

  /** Whether `executionId` is the execution of a case that already landed. */
  landed(executionId: string): boolean {
    return this.#landed.caseIndexOf(executionId) !== undefined;
  }

  /** The flight with `externalId`, if any. */
  withExternalId(externalId: string): Flight | undefined {
    return this.#byExternalId.get(externalId);
  }

  /** The flight's execution is known: it takes the next place in Vellum's accept order. */
  accepted(flight: Flight, executionId: string, submitted: boolean): void {
    flight.executionId = executionId;
    flight.order = this.#accepted++;
    this.#byExecutionId.set(executionId, flight);
    if (submitted) this.#submitted += 1;
  }

  /**
   * `holder` took its execution id from a plain submit answer, but Vellum lists that execution under another case's
   * external id: it gives the id up (the owner's accept takes it next) and is woken to land for `reason`.
   */
  disown(holder: Flight, reason: string): void {
    if (holder.executionId !== null && this.#byExecutionId.get(holder.executionId) === holder) {
      this.#byExecutionId.delete(holder.executionId);
    }
    holder.executionId = null;
    holder.disowned = reason;
    holder.wake?.();
  }

  /** A case has its record: written now, or kept from the journal of the run this one resumes. */
  countFinished(passed: boolean): void {
    this.#finished += 1;
    if (passed) this.#passed += 1;
  }

  /** A finished unit's record was replaced by a failed one (see `Lander.supersede`); it passed before when `passed`. */
  countFailedNow(passed: boolean): void {
    if (passed) this.#passed -= 1;
  }

  /** Lands: the flight leaves the table, and the window has room. */
  close(flight: Flight): void {
    this.#bySeq.delete(flight.seq);
    this.#byExternalId.delete(flight.externalId);
    if (flight.executionId !== null && this.#byExecutionId.get(flight.executionId) === flight) {
      this.#byExecutionId.delete(flight.executionId);
      this.#landed.add(flight.executionId, flight.case.index);
    }
    this.wakeRoom();
  }

  /** Every flight in the air. */
  values(): IterableIterator<Flight> {
    return this.#bySeq.values();
  }

  /**
   * Undefined when fewer than `window()` flights are in the air or `stopped()` holds (the common case, answered
   * without a promise), else a promise that resolves once one of them does.
   */
  room(window: () => number, stopped: () => boolean): Promise<void> | undefined {
    if (stopped() || this.#bySeq.size < window()) return undefined;
    return this.#awaitRoom(window, stopped);
  }

  async #awaitRoom(window: () => number, stopped: () => boolean): Promise<void> {
    while (!stopped() && this.#bySeq.size >= window()) {
      await new Promise<void>((resolve) => (this.#roomWaiter = resolve));
      this.#roomWaiter = null;
    }
  }

  /** Wakes the case loop waiting for room (a flight landed, the window grew, or the run stops). */
  wakeRoom(): void {
    this.#roomWaiter?.();
  }

  /** A snapshot of the progress. */
  progress(): RunProgress {
    const { running, queued } = this.#queueCounts();
    return {
      total: this.#total,
      submitted: this.#submitted,
      finished: this.#finished,
      passed: this.#passed,
      failed: this.#finished - this.#passed,
      running,
      queued,
    };
  }
}
