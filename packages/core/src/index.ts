/**
 * `@vellum-batch/core`: submit a batch of Vellum workflow executions safely, track every one to its end, journal
 * everything, evaluate expectations, compute a verdict and write the results. Nothing runs on import.
 */
export {
  createClient,
  createRetryLogger,
  externalIdFilter,
  submitMayHaveStarted,
  DEFAULT_API_URL,
  DEFAULT_API_VERSION,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_PREDICT_URL,
} from './client.js';
export type {
  ClientOptions,
  ClientOperation,
  ClientStats,
  ExecuteWorkflowRequest,
  ExecutionEvent,
  ExecutionEventsPage,
  ExecutionEventsQuery,
  ExecutionStatusResponse,
  RequestOptions,
  RetryInfo,
  RetryLoggerOptions,
  VellumClient,
  WorkflowDeployment,
} from './client.js';
export { defaultRetryPolicy, parseRetryAfter, rateLimitDelayMs, retryDelayMs, shouldRetry } from './retry.js';
export type { RetryPolicy } from './retry.js';
export {
  ApiError,
  AuthenticationError,
  BadRequestError,
  ConfigError,
  ConnectionError,
  DatasetError,
  ExternalIdConflictError,
  NotFoundError,
  RateLimitError,
  ResponseTooLargeError,
  ResponseValidationError,
  ServerError,
  SubmitOutcomeUnknownError,
  TimeoutError,
  VellumBatchError,
} from './errors.js';
export type { DatasetIssue } from './errors.js';
export {
  loadDataset,
  openDataset,
  inferInputs,
  parseCase,
  DATASET_EXTENSIONS,
  MAX_NESTING_DEPTH,
} from './dataset.js';
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
export { startBatch } from './engine/stream.js';
export type { BatchHandle } from './engine/stream.js';
export { planBatch } from './engine/plan.js';
export type { BatchPlan } from './engine/plan.js';
export { DEFAULTS } from './engine/options.js';
export type {
  BatchSource,
  RunBatchOptions,
  RunEvent,
  RunMode,
  RunProgress,
  RunResult,
  StopReason,
  TrackMode,
  WorkflowTarget,
} from './engine/options.js';
export { UnfinishedRunError } from './engine/start.js';
export { OutDirBusyError, OutDirError } from './engine/out-dir.js';
export { RECORD_ERROR_CODES } from './engine/records.js';
export type { RecordErrorCode } from './engine/records.js';
export { ExternalIdFinder, findExecutionByExternalId } from './engine/reconcile.js';
export type { ExternalIdFinderOptions, FoundExecution } from './engine/reconcile.js';
export type { Completion, CompletionFeed, CompletionFilter } from './engine/completions.js';
export {
  signWebhook,
  verifyWebhook,
  verifyWebhookToken,
  WEBHOOK_FUTURE_TOLERANCE_SECONDS,
  WEBHOOK_TOLERANCE_SECONDS,
} from './webhook.js';
export type {
  VerifyWebhookInput,
  VerifyWebhookTokenInput,
  WebhookRefusal,
  WebhookTokenVerification,
  WebhookVerification,
} from './webhook.js';
export {
  MAX_PARENT_DEPTH,
  MAX_VALUE_DEPTH,
  nestsDeeperThan,
  parseWebhookEvent,
  RUN_ID_METADATA_KEY,
} from './webhook-event.js';
export type { WebhookEvent, WebhookIgnoreReason } from './webhook-event.js';
export { createWebhookHandler, startWebhookServer } from './receiver.js';
export type {
  WebhookHandler,
  WebhookHandlerOptions,
  WebhookServer,
  WebhookServerOptions,
} from './receiver.js';
export { newWebhookStats, WEBHOOK_REFUSAL_REASONS } from './webhook-stats.js';
export type { WebhookRefusalNotice, WebhookRefusalReason, WebhookStats } from './webhook-stats.js';
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
  WebhookSummary,
  WorkflowInput,
  WorkflowRef,
} from './types.js';
export {
  COUNT_RANGES,
  MAX_EXTERNAL_ID_PREFIX_LENGTH,
  MAX_RELEASE_TAG_LENGTH,
  MAX_TIMEOUT_MS,
  parseConcurrency,
  parseCount,
  parseExternalIdPrefix,
  parseHttpUrl,
  parseReleaseTag,
  parseShard,
  parseTimeout,
} from './fields.js';
export type { CountRange } from './fields.js';
