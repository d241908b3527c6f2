/**
 * `@vellum-batch/core`: submit a batch of Vellum workflow executions safely, track every one to its end, journal
 * everything, evaluate expectations, compute a verdict and write the results. Nothing runs on import.
 *
 * This is the public API (semver applies). `@vellum-batch/core/internal` holds the pieces the project's own CLI and
 * GitHub Action share (field parsers, report builders); it carries no compatibility promise.
 */

// The client.
export { createClient } from './client.js';
export type { ClientOptions, VellumClient } from './client.js';

// Running a batch.
export { runBatch } from './engine/run.js';
export { startBatch } from './engine/stream.js';
export type { BatchHandle } from './engine/stream.js';
export { planBatch } from './engine/plan.js';
export type { BatchPlan } from './engine/plan.js';
export { DEFAULTS } from './engine/options.js';
export type {
  BatchSource,
  RepeatOptions,
  RunBatchOptions,
  RunEvent,
  RunMode,
  RunProgress,
  RunResult,
  TrackMode,
} from './engine/options.js';
export type { CompletionFeed } from './engine/completions.js';

// Datasets, expectations, the verdict.
export { loadDataset, openDataset } from './dataset.js';
export type { Dataset, OpenDatasetOptions } from './dataset.js';
export { evaluateCase } from './assertions.js';
export { evaluateGate } from './gate.js';

// Results: records, the summary and the report files, merging shards, the baseline comparison.
export { RECORD_ERROR_CODES } from './engine/records.js';
export { readRecords } from './report/jsonl.js';
export { writeReports } from './report/write.js';
export { mergeResults } from './merge.js';
export type { MergeOptions, MergeResult } from './merge.js';
export { compareWithBaseline } from './compare/compare.js';
export { applyBaseline } from './compare/apply.js';
export type { BaselineComparison } from './compare/compare.js';
export type {
  Case,
  CaseRecord,
  CaseStatus,
  GateOptions,
  GateResult,
  RepeatResult,
  Summary,
  WebhookSummary,
} from './types.js';

// Webhooks: verification, and a receiver that feeds completions to a run.
export { signWebhook, verifyWebhook, verifyWebhookToken } from './webhook.js';
export { parseWebhookEvent } from './webhook-event.js';
export { createWebhookHandler, startWebhookServer } from './receiver.js';
export type { WebhookHandlerOptions, WebhookServer, WebhookServerOptions } from './receiver.js';
export type { WebhookStats } from './webhook-stats.js';

// Errors.
export {
  ApiError,
  AuthenticationError,
  ConfigError,
  ConnectionError,
  DatasetError,
  NotFoundError,
  RateLimitError,
  SubmitOutcomeUnknownError,
  TimeoutError,
  VellumBatchError,
} from './errors.js';
export { OutDirBusyError, OutDirError } from './engine/out-dir.js';
export { findExecutionByExternalId } from './engine/reconcile.js';
export { UnfinishedRunError } from './engine/start.js';
