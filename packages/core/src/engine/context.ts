/**
 * What one case's life needs from its run: the parts of the engine, wired once by `run.ts`. Each part keeps its own
 * state; a case only calls them.
 */
import type { VellumClient } from '../client.js';
import { RUN_ID_METADATA_KEY } from '../webhook-event.js';
import type { Clock } from '../internal/clock.js';
import type { CaseRecord } from '../types.js';
import type { Flight, FlightTable } from './flights.js';
import type { JournalWriter } from './journal.js';
import type { Lander } from './landing.js';
import type { ResolvedOptions, RunEvent } from './options.js';
import type { PollPlanner } from './planner.js';
import type { ExternalIdFinder } from './reconcile.js';
import type { ServerQueue } from './server-queue.js';
import type { StopControl } from './stop.js';
import type { TailWatch } from './tail.js';
import type { Tracker } from './tracking.js';

/**
 * Every submit carries this run's id in its metadata under {@link RUN_ID_METADATA_KEY} (merged with the case's own
 * metadata, which may not use it). Vellum echoes metadata in the execution list's `parent_context` and in webhook
 * deliveries, so an execution found by external id is adopted only when it carries this run's id: never one another
 * run started.
 */
export { RUN_ID_METADATA_KEY };

/** How a case's life ended: its record, and whether that record is final or only where an interruption left it. */
export interface Landing {
  readonly record: CaseRecord;
  /**
   * True when the run stopped the case (signal, deadline, fatal fault) or could not learn its end: `--resume` picks it
   * up again (tracks its execution, or submits it under the same external id). False for a final state.
   */
  readonly provisional: boolean;
}

/** The run's parts, as a case sees them. */
export interface RunContext {
  readonly client: VellumClient;
  readonly clock: Clock;
  readonly options: ResolvedOptions;
  readonly runId: string;
  /** The deployment's UUID, as Vellum resolved it: keys every execution-list call. */
  readonly deploymentId: string;
  /** How submits name the deployment (as the user did). */
  readonly submitTarget:
    { readonly workflowDeploymentName: string } | { readonly workflowDeploymentId: string };
  readonly releaseTag: string;
  readonly stop: StopControl;
  readonly planner: PollPlanner;
  readonly queue: ServerQueue<Flight>;
  readonly flights: FlightTable;
  readonly tracker: Tracker;
  readonly journal: JournalWriter;
  /** The one writer of records (`landing.ts`). */
  readonly lander: Lander;
  /** The shared lookup of executions by external id (created on first use). */
  finder(): ExternalIdFinder;
  /** Makes sure the probe of the oldest queued execution runs. */
  probe(): void;
  /** Makes sure the discovery loop runs while it is needed (see `discovery.ts`). */
  discover(): void;
  readonly tail: TailWatch;
  emit(event: RunEvent): void;
  /** Tells a warning: kept in the result's `warnings` and emitted as a `warning` event. */
  warn(message: string): void;
}

/** Wakes every flight in `flights` (promoted, demoted). */
export function wakeAll(flights: readonly Flight[]): void {
  for (const flight of flights) flight.wake?.();
}
