/**
 * What a batch run is given and what it tells: the options of {@link runBatch}, their one set of defaults, the events
 * and the result. Validation happens here once; inside the engine the options are exact.
 */
import { z } from 'zod';
import type { VellumClient } from '../client.js';
import { ConfigError } from '../errors.js';
import { checkRepeat, COUNT_RANGES } from '../fields.js';
import type { Clock } from '../internal/clock.js';
import type { Case, CaseRecord, GateOptions, Summary } from '../types.js';
import type { CompletionFeed } from './completions.js';
import type { RepeatConfig } from './repeats.js';
import type { WebhookStats } from '../webhook-stats.js';

/** Where the engine reads cases from: a {@link Dataset} from `openDataset`, or anything shaped like it. */
export interface BatchSource {
  /** Shown in reports and recorded in the journal. */
  readonly path: string;
  /** How many cases {@link BatchSource.cases} yields. */
  readonly size: number;
  /** How many cases the whole file holds when `cases()` yields one shard of it. @default size */
  readonly total?: number | undefined;
  /** Fingerprint of the dataset's content: recorded in the journal (a resume of another file is refused) and summary. */
  readonly sha256?: string | undefined;
  /** The shard of the file that `cases()` yields, or null for all of it. @default null */
  readonly shard?: { readonly index: number; readonly count: number } | null | undefined;
  /** The cases, in file order; may be called more than once. */
  cases(): AsyncIterable<Case> | Iterable<Case>;
}

/** The workflow deployment to execute: by name or by id (exactly one). */
export interface WorkflowTarget {
  readonly deploymentName?: string | undefined;
  readonly deploymentId?: string | undefined;
  /** @default 'LATEST' */
  readonly releaseTag?: string | undefined;
}

/** How completion is detected. */
export type TrackMode = 'poll' | 'webhook' | 'hybrid';

/**
 * How a run begins: `fresh` (a new run; refuses an out dir holding an unfinished one unless `discardUnfinished`),
 * `resume` (continue the run journaled in the out dir), `retry-failed` (run again the cases that did not pass).
 */
export type RunMode = 'fresh' | 'resume' | 'retry-failed';

/**
 * Repeats (`--repeat N --min-pass K`): each case runs `count` times, each run (a repeat) one execution under its own
 * external id, and its one record passes when at least `minPass` of them pass.
 */
export interface RepeatOptions {
  /** Runs of each case, 1 to 100 (`MAX_REPEAT`). */
  readonly count: number;
  /** Repeats of a case that must pass for the case to pass, 1 to `count`. @default count (every repeat) */
  readonly minPass?: number | undefined;
}

/** Why a run stopped before its cases were done. */
export type StopReason = 'fatal' | 'deadline' | 'interrupted';

/** Options of {@link runBatch}. */
export interface RunBatchOptions {
  readonly client: VellumClient;
  readonly dataset: BatchSource;
  readonly workflow: WorkflowTarget;
  /** Directory for `journal.jsonl`, `results.jsonl`, `summary.json`, `report.md`, `junit.xml`; created if missing. */
  readonly outDir: string;
  /** @default 'fresh' */
  readonly mode?: RunMode | undefined;
  /**
   * With mode `fresh`: an unfinished run's journal in `outDir` is kept aside as `journal.discarded-N.jsonl` instead of
   * refusing with {@link UnfinishedRunError}. @default false
   */
  readonly discardUnfinished?: boolean | undefined;
  /** Most executions unfinished at once; the engine may keep fewer once it learns the server's limit. @default 32 */
  readonly concurrency?: number | undefined;
  readonly gate?: GateOptions | undefined;
  /** Deadline for the whole run, in ms: then submitting stops and unfinished cases end `TIMED_OUT`. @default none */
  readonly timeoutMs?: number | undefined;
  /** Deadline for one execution, from its submit, in ms. @default none */
  readonly executionTimeoutMs?: number | undefined;
  /** Prefix of every external id (`{prefix}{case id}`, with repeats `{prefix}{case id}-r{k}`). @default `vb-{runId}-` */
  readonly externalIdPrefix?: string | undefined;
  /** Identifies the run in the journal, the summary and each submit's metadata. @default 12 random hex digits */
  readonly runId?: string | undefined;
  /** Aborting stops submitting; unfinished cases end `CANCELLED` (resumable); files are written; the promise resolves. */
  readonly signal?: AbortSignal | undefined;
  /** @default systemClock */
  readonly clock?: Clock | undefined;
  /** Called synchronously for every {@link RunEvent}. A listener that throws is reported once in `warnings`, never more. */
  readonly onEvent?: ((event: RunEvent) => void) | undefined;
  /** How long after its submit a status 404 is taken for Vellum's lag rather than a lost execution. @default 15_000 */
  readonly statusNotFoundGraceMs?: number | undefined;
  /** The planner's run-time estimate before anything is observed, in ms. @default 1000 */
  readonly initialDurationEstimateMs?: number | undefined;
  /**
   * `poll` (status requests on a learned schedule), `webhook` (pushed completions; an execution silent for
   * {@link RunBatchOptions.webhookSilenceMs} is polled), `hybrid` (pushed completions; executions silent well past the
   * learned run time are polled). Webhook and hybrid need `completions`. @default 'poll'
   */
  readonly track?: TrackMode | undefined;
  /** Where pushed completions come from (a webhook receiver from `startWebhookServer`). */
  readonly completions?: CompletionFeed | undefined;
  /**
   * The webhook receiver's live counts (`stats` of `startWebhookServer` or `createWebhookHandler`), written to
   * `summary.json` as `webhooks` in webhook and hybrid tracking. @default none
   */
  readonly webhookStats?: Readonly<WebhookStats> | undefined;
  /** In `webhook` mode, how long an execution may stay silent before it is polled, in ms. @default 300_000 */
  readonly webhookSilenceMs?: number | undefined;
  /** Consecutive executions rejected for an exhausted provider quota that stop the run as fatal. @default 5 */
  readonly quotaBreakerThreshold?: number | undefined;
  /**
   * How long a case whose external id Vellum refused as already used keeps looking for that execution in the list
   * (it exists, but a queued execution may not be listed yet) before it ends `TIMED_OUT`. @default 600_000
   */
  readonly lookupPatienceMs?: number | undefined;
  /**
   * Run each case `count` times, each repeat under its own external id `{prefix}{case id}-r{k}` (k from 1; the
   * un-suffixed `{prefix}{case id}` when `count` is 1). Each repeat is one execution to the window, the poll planner
   * and the server-queue model, and has its own journal record; `results.jsonl` still holds one record per case, with
   * `repeats`, passing when `minPass` repeats passed (see `engine/repeats.ts` for the record's fields), and
   * `summary.json` gains `repeat` and `flaky`. With repeats, {@link RunProgress} counts executions (`total` is cases
   * × count), while `record` events carry each case's one record once its last repeat has landed. A journal written
   * with other repeats is not resumed (a {@link ConfigError}). `mode: 'retry-failed'` runs a failed case again with
   * all its repeats. @default none: each case runs once, and records have no `repeats`
   */
  readonly repeat?: RepeatOptions | undefined;
}

/**
 * A snapshot of a run's progress. With repeats, the counts are of executions (each repeat of each case is one):
 * `total` is cases × repeats.
 */
export interface RunProgress {
  readonly total: number;
  readonly submitted: number;
  readonly finished: number;
  readonly passed: number;
  readonly failed: number;
  /** Executions believed running on the server. */
  readonly running: number;
  /** Executions believed waiting in the server's queue. */
  readonly queued: number;
}

/** What a run reports while it goes. Every event carries a snapshot of the progress. */
export type RunEvent =
  | {
      readonly type: 'started';
      readonly runId: string;
      readonly externalIdPrefix: string;
      readonly deploymentId: string;
      /** How each case is repeated; absent without repeats. */
      readonly repeat?: RepeatConfig | undefined;
      readonly progress: RunProgress;
    }
  | {
      readonly type: 'submitted';
      readonly index: number;
      readonly id: string;
      /** Which repeat of the case (1-based); absent without repeats. */
      readonly repeat?: number | undefined;
      readonly executionId: string;
      readonly progress: RunProgress;
    }
  | {
      /**
       * A case's record. A second one for the same case replaces the first: a record found to hold another case's
       * execution (a server answering a submit with another case's execution id) is told again as `SUBMIT_FAILED`
       * with `DUPLICATE_EXECUTION_ID`, and the run warns.
       */
      readonly type: 'record';
      readonly record: CaseRecord;
      readonly progress: RunProgress;
    }
  | { readonly type: 'server-limit'; readonly limit: number; readonly progress: RunProgress }
  | { readonly type: 'warning'; readonly message: string; readonly progress: RunProgress }
  | {
      readonly type: 'stopping';
      readonly reason: StopReason;
      readonly message: string;
      readonly progress: RunProgress;
    };

/** What {@link runBatch} resolves with. */
export interface RunResult {
  readonly summary: Summary;
  readonly outDir: string;
  /** The text of `report.md`. */
  readonly markdown: string;
  /** Why the run stopped early (also in `summary.stopped`), or null when every case ran to its end. */
  readonly stopped: Summary['stopped'];
  /** Things the caller should hear once (a stale lock taken over, a listener that threw); already in the events. */
  readonly warnings: readonly string[];
}

/** The engine's defaults, in one place. */
export const DEFAULTS = {
  concurrency: 32,
  statusNotFoundGraceMs: 15_000,
  initialDurationEstimateMs: 1000,
  webhookSilenceMs: 300_000,
  quotaBreakerThreshold: 5,
  lookupPatienceMs: 600_000,
  track: 'poll',
  mode: 'fresh',
} as const;

/** The options after validation, defaults applied. */
export interface ResolvedOptions {
  readonly mode: RunMode;
  readonly discardUnfinished: boolean;
  readonly concurrency: number;
  readonly timeoutMs: number | undefined;
  readonly executionTimeoutMs: number | undefined;
  readonly externalIdPrefix: string | undefined;
  readonly track: TrackMode;
  readonly statusNotFoundGraceMs: number;
  readonly initialDurationEstimateMs: number;
  readonly webhookSilenceMs: number;
  readonly quotaBreakerThreshold: number;
  readonly lookupPatienceMs: number;
  /** How each case is repeated, or null when each runs once. */
  readonly repeat: RepeatConfig | null;
  readonly target: {
    readonly name: string | null;
    readonly id: string | null;
    readonly releaseTag: string;
  };
}

const positiveMs = z.number().positive().finite();

const schema = z.object({
  mode: z.enum(['fresh', 'resume', 'retry-failed']),
  discardUnfinished: z.boolean(),
  concurrency: z.number().int().min(1).max(10_000),
  timeoutMs: positiveMs.optional(),
  executionTimeoutMs: positiveMs.optional(),
  externalIdPrefix: z
    .string()
    .max(200)
    .regex(/^[\x21-\x7e]*$/, 'only printable ASCII without spaces')
    .optional(),
  track: z.enum(['poll', 'webhook', 'hybrid']),
  statusNotFoundGraceMs: z.number().nonnegative().finite(),
  initialDurationEstimateMs: positiveMs,
  webhookSilenceMs: positiveMs,
  quotaBreakerThreshold: z.number().int().min(1),
  lookupPatienceMs: z.number().nonnegative().finite(),
  repeat: z
    .object({
      count: z.number().int().min(COUNT_RANGES.repeat.min).max(COUNT_RANGES.repeat.max),
      minPass: z.number().int().min(COUNT_RANGES.minPass.min).optional(),
    })
    .optional(),
});

/**
 * Validates `options` and applies {@link DEFAULTS}.
 * @throws ConfigError naming the first bad option.
 */
export function resolveOptions(options: RunBatchOptions): ResolvedOptions {
  const parsed = schema.safeParse({
    mode: options.mode ?? DEFAULTS.mode,
    discardUnfinished: options.discardUnfinished ?? false,
    concurrency: options.concurrency ?? DEFAULTS.concurrency,
    timeoutMs: options.timeoutMs,
    executionTimeoutMs: options.executionTimeoutMs,
    externalIdPrefix: options.externalIdPrefix,
    track: options.track ?? DEFAULTS.track,
    statusNotFoundGraceMs: options.statusNotFoundGraceMs ?? DEFAULTS.statusNotFoundGraceMs,
    initialDurationEstimateMs: options.initialDurationEstimateMs ?? DEFAULTS.initialDurationEstimateMs,
    webhookSilenceMs: options.webhookSilenceMs ?? DEFAULTS.webhookSilenceMs,
    quotaBreakerThreshold: options.quotaBreakerThreshold ?? DEFAULTS.quotaBreakerThreshold,
    lookupPatienceMs: options.lookupPatienceMs ?? DEFAULTS.lookupPatienceMs,
    repeat: options.repeat,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `invalid run option ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const v = parsed.data;
  if (v.track !== 'poll' && options.completions === undefined) {
    throw new ConfigError(`track ${v.track}: give the completions feed (a webhook receiver) to listen to`);
  }
  if (v.discardUnfinished && v.mode !== 'fresh') {
    throw new ConfigError(`discardUnfinished goes with mode fresh, not ${v.mode}`);
  }
  const name = options.workflow.deploymentName?.trim() || null;
  const id = options.workflow.deploymentId?.trim() || null;
  if ((name === null) === (id === null)) {
    throw new ConfigError('name exactly one workflow: a deployment name or a deployment id');
  }
  const repeat =
    v.repeat === undefined
      ? null
      : checkRepeat(v.repeat.count, v.repeat.minPass, { repeat: 'repeat.count', minPass: 'repeat.minPass' });
  return {
    ...v,
    repeat: repeat ?? null,
    // Optional in the schema's output, present (maybe undefined) in ResolvedOptions.
    externalIdPrefix: v.externalIdPrefix,
    timeoutMs: v.timeoutMs,
    executionTimeoutMs: v.executionTimeoutMs,
    target: { name, id, releaseTag: options.workflow.releaseTag?.trim() || 'LATEST' },
  };
}
