/**
 * `@vellum-batch/core/internal`: what the project's own CLI and GitHub Action share beyond the public API (one set
 * of field parsers, the report builders, shard and baseline helpers). No compatibility promise: it changes with them.
 */
export { createRetryLogger, DEFAULT_API_URL, DEFAULT_PREDICT_URL } from './client.js';
export type { RetryLoggerOptions } from './client.js';
export { CLIENT_ENV, clientLimitsFromEnv } from './client-env.js';
export { DATASET_EXTENSIONS } from './dataset.js';
export type { DatasetFormat } from './dataset.js';
export { formatDuration } from './duration.js';
export { limitHeapGrowth } from './internal/heap-growth.js';
export { keepWasmOnBaseline } from './internal/wasm-tier.js';
export { parseRate } from './gate.js';
export { inShard } from './shard.js';
export type { ShardRef } from './shard.js';
export type { ApplyBaselineResult } from './compare/apply.js';
export { checkBaseline } from './compare/compare.js';
export type { StopReason } from './engine/options.js';
export { aggregateRepeats, isFlaky, MAX_REPEAT } from './engine/repeats.js';
export type { RepeatConfig } from './engine/repeats.js';
export type { WebhookRefusalReason } from './webhook-stats.js';
export { SummaryBuilder } from './report/summary.js';
export { serializeRecord } from './report/jsonl.js';
export { renderMarkdown } from './report/markdown.js';
export type { WriteReportsOptions } from './report/write.js';
export type { AssertionResult } from './types.js';
export {
  checkRepeat,
  COUNT_RANGES,
  parseByteSize,
  parseConcurrency,
  parseCount,
  parseExternalIdPrefix,
  parseHttpUrl,
  parseReleaseTag,
  parseShard,
  parseTimeout,
} from './fields.js';
export type { CountRange } from './fields.js';
