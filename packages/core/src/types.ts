/**
 * The data shapes shared by the dataset loader, the engine and the report writers.
 * These are exact types: everything here has already been validated at the edge.
 */

/** Input types the Vellum execute-workflow-async endpoint accepts. */
export const INPUT_TYPES = [
  'STRING',
  'NUMBER',
  'JSON',
  'CHAT_HISTORY',
  'IMAGE',
  'AUDIO',
  'VIDEO',
  'DOCUMENT',
] as const;
/** One of {@link INPUT_TYPES}. */
export type InputType = (typeof INPUT_TYPES)[number];

/** A typed workflow input, as sent on the wire. */
export interface WorkflowInput {
  readonly name: string;
  readonly type: InputType;
  readonly value: unknown;
}

/** Assertion operators a dataset case may use. */
export const ASSERTION_OPS = [
  'equals',
  'not_equals',
  'contains',
  'not_contains',
  'matches',
  'gte',
  'lte',
  'exists',
] as const;
/** One of {@link ASSERTION_OPS}. */
export type AssertionOp = (typeof ASSERTION_OPS)[number];

/** One assertion on one named output of an execution. */
export interface Assertion {
  readonly output: string;
  readonly op: AssertionOp;
  /** Compared value; ignored by `exists` (where `false` asserts absence). */
  readonly value?: unknown;
}

/** One case of a dataset, validated. */
export interface Case {
  /** 0-based position in the dataset file. */
  readonly index: number;
  /** Unique id in the file; defaults to the index as a string. */
  readonly id: string;
  readonly inputs: readonly WorkflowInput[];
  /** `{output_name: value}`, each checked by deep equality. */
  readonly expected: Readonly<Record<string, unknown>>;
  readonly assertions: readonly Assertion[];
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** Statuses the Vellum API reports for an execution (unknown values are tolerated as strings). */
export type ExecutionStatus = 'PENDING' | 'INITIATED' | 'STREAMING' | 'FULFILLED' | 'REJECTED';

/** The final state of a case: the execution's own, or what ended it on our side. */
export const CASE_STATUSES = ['FULFILLED', 'REJECTED', 'SUBMIT_FAILED', 'TIMED_OUT', 'CANCELLED'] as const;
/** One of {@link CASE_STATUSES}. */
export type CaseStatus = (typeof CASE_STATUSES)[number];

/** The outcome of one expectation or assertion. */
export interface AssertionResult {
  readonly output: string;
  readonly op: AssertionOp;
  readonly expected: unknown;
  readonly actual: unknown;
  readonly passed: boolean;
  /** Why it failed to evaluate (a bad regular expression, say); absent when it evaluated. */
  readonly message?: string;
}

/** An execution error as reported by Vellum, or by this tool for cases that ended on our side. */
export interface CaseError {
  readonly message: string;
  readonly code: string;
}

/** One line of `results.jsonl`: the single record of one case (SPEC section 4). */
export interface CaseRecord {
  readonly index: number;
  readonly id: string;
  readonly external_id: string;
  readonly execution_id: string | null;
  readonly status: CaseStatus;
  readonly passed: boolean;
  readonly outputs: Readonly<Record<string, unknown>> | null;
  readonly error: CaseError | null;
  readonly assertions: readonly AssertionResult[];
  /** How many times this case was started (greater than 1 only through `--retry-failed`). */
  readonly attempts: number;
  readonly submitted_at: string | null;
  readonly finished_at: string;
  readonly latency_ms: number | null;
  readonly execution_detail_url: string | null;
  /**
   * The same case in the baseline run (`--baseline`): its status and verdict, or null when the baseline has no case
   * of this id (an added case). Absent when the run was not compared with a baseline.
   */
  readonly baseline?: RecordBaseline | null | undefined;
  /**
   * Each run of the case (`--repeat N`), in repeat order; the case passed when at least `min_pass` of them passed.
   * Absent when the run did not repeat its cases.
   */
  readonly repeats?: readonly RepeatResult[] | undefined;
}

/** One run of a case repeated with `--repeat N`, as carried by {@link CaseRecord.repeats}. */
export interface RepeatResult {
  readonly execution_id: string | null;
  /** The repeat's own external id: `{prefix}{case id}-r{k}` (k from 1). */
  readonly external_id: string;
  readonly status: CaseStatus;
  readonly passed: boolean;
  readonly latency_ms: number | null;
}

/** A case's outcome in the baseline run, as carried by {@link CaseRecord.baseline}. */
export interface RecordBaseline {
  readonly status: CaseStatus;
  readonly passed: boolean;
}

/** Which workflow a run targets. */
export interface WorkflowRef {
  readonly deployment_name: string | null;
  readonly deployment_id: string | null;
  readonly release_tag: string;
}

/** Gate thresholds; `undefined` (or absent) means unset. */
export interface GateOptions {
  /** Highest allowed `failed / total`, 0..1. @default 0 */
  readonly maxFailureRate?: number | undefined;
  /** Highest allowed count of failed cases. @default unset */
  readonly maxFailures?: number | undefined;
  /** Highest allowed `errored / total`, 0..1. @default unset */
  readonly maxErrorRate?: number | undefined;
  /** Fewest cases a run must have. @default 1 */
  readonly minCases?: number | undefined;
  /**
   * Highest allowed count of regressions (cases that passed in the baseline and fail now). Applies only to a run
   * compared with a baseline; without one there is nothing to count. @default unset
   */
  readonly maxNewFailures?: number | undefined;
}

/** The gate as written in `summary.json`. */
export interface GateResult {
  readonly max_failure_rate: number;
  readonly max_failures: number | null;
  readonly max_error_rate: number | null;
  readonly min_cases: number;
  /** Present only when the run was compared with a baseline and `maxNewFailures` was set. */
  readonly max_new_failures?: number | undefined;
  readonly passed: boolean;
  /** One sentence per failed condition; empty when the gate passed. */
  readonly reasons: readonly string[];
}

/** `summary.json` (SPEC section 4). */
export interface Summary {
  readonly total: number;
  readonly passed: number;
  readonly failed: number;
  readonly fulfilled: number;
  readonly rejected: number;
  /** SUBMIT_FAILED + TIMED_OUT + CANCELLED */
  readonly errored: number;
  readonly submit_failed: number;
  readonly timed_out: number;
  readonly cancelled: number;
  readonly failure_rate: number;
  readonly error_rate: number;
  readonly gate: GateResult;
  readonly verdict: 'pass' | 'fail';
  readonly workflow: WorkflowRef;
  readonly shard: { readonly index: number; readonly count: number } | null;
  readonly run_id: string;
  readonly external_id_prefix: string;
  /** The dataset file: its path, its number of cases (all shards), and the SHA-256 of its bytes when known. */
  readonly dataset: { readonly path: string; readonly cases: number; readonly sha256?: string | undefined };
  readonly started_at: string;
  readonly finished_at: string;
  readonly duration_ms: number;
  readonly latency_ms: {
    readonly p50: number | null;
    readonly p95: number | null;
    readonly max: number | null;
  };
  readonly api_calls: { readonly submit: number; readonly status: number; readonly retries: number };
  /** Why the run stopped early, when it did (`fatal`, `deadline`, `interrupted`). */
  readonly stopped: {
    readonly reason: 'fatal' | 'deadline' | 'interrupted';
    readonly message: string;
  } | null;
  /** How this run compares with a baseline run (`--baseline DIR`); absent without one. */
  readonly comparison?: Comparison | undefined;
  /** With `--repeat N --min-pass K`: `{count: N, min_pass: K}`; absent without `--repeat`. */
  readonly repeat?: { readonly count: number; readonly min_pass: number } | undefined;
  /** With `--repeat`: how many cases are flaky (some repeats passed, some failed). Absent without `--repeat`. */
  readonly flaky?: number | undefined;
  /** With `--repeat`: the first 100 flaky case ids, in index order. Absent without `--repeat`. */
  readonly flaky_ids?: readonly string[] | undefined;
  /** What the webhook receiver answered (webhook and hybrid tracking with a receiver); absent otherwise. */
  readonly webhooks?: WebhookSummary | undefined;
}

/**
 * `summary.json.webhooks`: the deliveries the receiver answered. `received` = accepted + duplicates + refused + ignored
 * + misrouted; `refused_by` holds the reasons that occurred (`bad_token`, `bad_signature`, `stale`, `future`,
 * `malformed`, `too_deep`, `too_large`).
 */
export interface WebhookSummary {
  readonly received: number;
  /** New completions of this run's executions. */
  readonly accepted: number;
  /** Repeated deliveries, dropped. */
  readonly duplicates: number;
  /** Refused: bad token or signature, stale, malformed, too deep, too large. */
  readonly refused: number;
  readonly refused_by: Readonly<Record<string, number>>;
  /** Authenticated but not this run's news: other event names, nested workflows, other deployments or runs, executions this run did not start. */
  readonly ignored: number;
  /** Sent to another path than the receiver's. */
  readonly misrouted: number;
}

/** Which run a comparison was made against (from its `summary.json`, plus what the caller knows of it). */
export interface ComparisonBaseline {
  readonly run_id: string;
  readonly finished_at: string;
  /** The SHA-256 of the baseline's dataset file, or null when it did not record one. */
  readonly dataset_sha256: string | null;
  readonly release_tag: string;
  /** The commit the baseline ran on, when the caller knows it (the action does). */
  readonly commit?: string | undefined;
  /** A link to the baseline's workflow run, when the caller knows it. */
  readonly run_url?: string | undefined;
}

/** `summary.json.comparison`: this run case by case against a baseline, matched by case id (SPEC section 4). */
export interface Comparison {
  readonly baseline: ComparisonBaseline;
  /** True when the two runs' datasets differ (by SHA-256, or by case count when a hash is missing). */
  readonly dataset_changed: boolean;
  /** Passed in the baseline, fails now. */
  readonly regressions: number;
  /** Failed in the baseline, passes now. */
  readonly fixes: number;
  /** Failed in both. */
  readonly still_failing: number;
  /** Passed in both. */
  readonly still_passing: number;
  /** In this run only. */
  readonly added: number;
  /** In the baseline only (for a shard: among the cases of this shard). */
  readonly removed: number;
  /** The first 100 regressed case ids, in this run's order. */
  readonly regressed_ids: readonly string[];
  /** The first 100 fixed case ids, in this run's order. */
  readonly fixed_ids: readonly string[];
  /** This run's latency percentiles minus the baseline's, in ms (null when either is unknown). */
  readonly latency: { readonly p50_delta_ms: number | null; readonly p95_delta_ms: number | null };
}
