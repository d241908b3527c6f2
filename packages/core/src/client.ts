/** The Vellum API client; its parts live in `client/`. This module keeps the import path `./client.js` stable. */
export { createClient, externalIdFilter } from './client/index.js';
export {
  DEFAULT_API_URL,
  DEFAULT_API_VERSION,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_PREDICT_URL,
} from './client/options.js';
export type { ClientOptions } from './client/options.js';
export { createRetryLogger } from './client/retry-log.js';
export type { RetryLoggerOptions } from './client/retry-log.js';
export { ExternalIdConflictError, SubmitOutcomeUnknownError, submitMayHaveStarted } from './errors.js';
export type {
  ClientOperation,
  ClientStats,
  ExecuteWorkflowRequest,
  ExecutionEvent,
  ExecutionEventsPage,
  ExecutionEventsQuery,
  ExecutionStatusResponse,
  RequestOptions,
  RetryInfo,
  VellumClient,
  WorkflowDeployment,
} from './client/types.js';
