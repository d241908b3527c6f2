/**
 * `@vellum-batch/core`: submit a batch of Vellum workflow executions safely, track every one to its end, journal
 * everything, evaluate expectations, compute a verdict and write the results. Nothing runs on import.
 */
export { createClient, ExternalIdConflictError, DEFAULT_BASE_URL } from './client.js';
export type {
  ClientOptions,
  ClientOperation,
  ClientStats,
  ExecuteWorkflowRequest,
  ExecutionEvent,
  ExecutionEventsPage,
  ExecutionStatusResponse,
  RequestOptions,
  RetryInfo,
  VellumClient,
} from './client.js';
export { defaultRetryPolicy, parseRetryAfter, retryDelayMs, shouldRetry } from './retry.js';
export type { RetryPolicy } from './retry.js';
export {
  ApiError,
  AuthenticationError,
  BadRequestError,
  ConfigError,
  ConnectionError,
  DatasetError,
  NotFoundError,
  RateLimitError,
  ResponseValidationError,
  ServerError,
  TimeoutError,
  VellumBatchError,
} from './errors.js';
export type { DatasetIssue } from './errors.js';
export { loadDataset, openDataset, inferInputs, parseCase, DATASET_EXTENSIONS } from './dataset.js';
export type { Dataset, DatasetFormat, DatasetInfo, OpenDatasetOptions } from './dataset.js';
export { deepEqual, evaluateCase } from './assertions.js';
export { evaluateGate, parseRate } from './gate.js';
export type { GateCounts } from './gate.js';
export { formatDuration, parseDuration } from './duration.js';
export { inShard, shardOf } from './shard.js';
export { mergeResults } from './merge.js';
export { checkBaseline, compareWithBaseline } from './compare/compare.js';
export type { BaselineComparison, CompareOptions } from './compare/compare.js';
export { applyBaseline } from './compare/apply.js';
export type { ApplyBaselineOptions, ApplyBaselineResult } from './compare/apply.js';
export { BASELINE_CASES_FILE, MAX_COMPARED_IDS } from './compare/details.js';
export type { BaselineExcerpt, ComparisonDetails } from './compare/details.js';
export type { BaselineCase } from './compare/read-baseline.js';
export type { MergeOptions, MergeResult } from './merge.js';
export type { ShardRef } from './shard.js';
export { runBatch } from './engine/run.js';
export type {
  BatchSource,
  RunBatchOptions,
  RunEvent,
  RunProgress,
  RunResult,
  StopReason,
  TrackMode,
  WorkflowTarget,
} from './engine/run.js';
export { findExecutionByExternalId } from './engine/reconcile.js';
export type { Completion, CompletionFeed } from './engine/completions.js';
export { parseWebhookEvent, signWebhook, verifyWebhook, WEBHOOK_TOLERANCE_SECONDS } from './webhook.js';
export type { VerifyWebhookInput, WebhookEvent, WebhookRefusal, WebhookVerification } from './webhook.js';
export { createWebhookHandler, startWebhookServer } from './receiver.js';
export type {
  WebhookHandler,
  WebhookHandlerOptions,
  WebhookServer,
  WebhookServerOptions,
  WebhookStats,
} from './receiver.js';
export { SummaryBuilder } from './report/summary.js';
export type { SummaryMeta } from './report/summary.js';
export { readRecords, serializeRecord } from './report/jsonl.js';
export { writeJunit } from './report/junit.js';
export { renderMarkdown } from './report/markdown.js';
export type { MarkdownOptions } from './report/markdown.js';
export { writeReports } from './report/write.js';
export type { WriteReportsOptions } from './report/write.js';
export { systemClock } from './internal/clock.js';
export type { Clock } from './internal/clock.js';
export { ASSERTION_OPS, CASE_STATUSES, INPUT_TYPES } from './types.js';
export type {
  Assertion,
  AssertionOp,
  AssertionResult,
  Case,
  CaseError,
  CaseRecord,
  CaseStatus,
  Comparison,
  ComparisonBaseline,
  ExecutionStatus,
  GateOptions,
  GateResult,
  InputType,
  RecordBaseline,
  Summary,
  WorkflowInput,
  WorkflowRef,
} from './types.js';
