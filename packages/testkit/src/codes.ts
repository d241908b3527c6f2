/**
 * Vellum's two error-code enums, copied from the official SDK (`vellum-ai` 1.14.7): the status endpoint and the
 * execution list speak `WorkflowExecutionEventErrorCode`, webhook deliveries (`workflow.execution.rejected`)
 * speak `VellumSdkErrorCodeEnum`.
 */

/** `WorkflowExecutionEventErrorCode`: the codes of `error.code` in a status answer. */
export const WORKFLOW_EXECUTION_ERROR_CODES = [
  'WORKFLOW_INITIALIZATION',
  'WORKFLOW_CANCELLED',
  'WORKFLOW_TIMEOUT',
  'PROVIDER_CREDENTIALS_UNAVAILABLE',
  'INTEGRATION_CREDENTIALS_UNAVAILABLE',
  'NODE_EXECUTION_COUNT_LIMIT_REACHED',
  'INTERNAL_SERVER_ERROR',
  'NODE_EXECUTION',
  'NODE_CANCELLED',
  'NODE_TIMEOUT',
  'LLM_PROVIDER',
  'INVALID_TEMPLATE',
  'INVALID_INPUTS',
  'PROVIDER_QUOTA_EXCEEDED',
  'USER_DEFINED_ERROR',
] as const;

/** `VellumSdkErrorCodeEnum`: the codes of `body.error.code` in a webhook delivery. */
export const SDK_ERROR_CODES = [
  'INVALID_WORKFLOW',
  'INVALID_INPUTS',
  'INVALID_OUTPUTS',
  'INVALID_STATE',
  'INVALID_CODE',
  'INVALID_TEMPLATE',
  'INTERNAL_ERROR',
  'PROVIDER_CREDENTIALS_UNAVAILABLE',
  'INTEGRATION_CREDENTIALS_UNAVAILABLE',
  'PROVIDER_ERROR',
  'PROVIDER_QUOTA_EXCEEDED',
  'USER_DEFINED_ERROR',
  'WORKFLOW_CANCELLED',
  'WORKFLOW_TIMEOUT',
  'NODE_CANCELLED',
  'NODE_TIMEOUT',
  'NODE_EXECUTION',
] as const;

/** A code of {@link WORKFLOW_EXECUTION_ERROR_CODES}. */
export type WorkflowExecutionErrorCode = (typeof WORKFLOW_EXECUTION_ERROR_CODES)[number];
/** A code of {@link SDK_ERROR_CODES}. */
export type SdkErrorCode = (typeof SDK_ERROR_CODES)[number];

// Vellum does not publish how one enum maps onto the other; these pairs follow the names (same name, or the
// SDK's name for the same failure). A receiver must not depend on them beyond "a rejection carries a code".
const STATUS_TO_SDK: Readonly<Record<WorkflowExecutionErrorCode, SdkErrorCode>> = {
  WORKFLOW_INITIALIZATION: 'INVALID_WORKFLOW',
  WORKFLOW_CANCELLED: 'WORKFLOW_CANCELLED',
  WORKFLOW_TIMEOUT: 'WORKFLOW_TIMEOUT',
  PROVIDER_CREDENTIALS_UNAVAILABLE: 'PROVIDER_CREDENTIALS_UNAVAILABLE',
  INTEGRATION_CREDENTIALS_UNAVAILABLE: 'INTEGRATION_CREDENTIALS_UNAVAILABLE',
  NODE_EXECUTION_COUNT_LIMIT_REACHED: 'NODE_EXECUTION',
  INTERNAL_SERVER_ERROR: 'INTERNAL_ERROR',
  NODE_EXECUTION: 'NODE_EXECUTION',
  NODE_CANCELLED: 'NODE_CANCELLED',
  NODE_TIMEOUT: 'NODE_TIMEOUT',
  LLM_PROVIDER: 'PROVIDER_ERROR',
  INVALID_TEMPLATE: 'INVALID_TEMPLATE',
  INVALID_INPUTS: 'INVALID_INPUTS',
  PROVIDER_QUOTA_EXCEEDED: 'PROVIDER_QUOTA_EXCEEDED',
  USER_DEFINED_ERROR: 'USER_DEFINED_ERROR',
};

/**
 * The webhook code for an execution rejected with status code `code`. A code of neither enum (a responder's
 * own, to test a client's tolerance) is passed through unchanged: off-contract on both channels alike.
 */
export function sdkErrorCode(code: string): string {
  return Object.hasOwn(STATUS_TO_SDK, code) ? STATUS_TO_SDK[code as WorkflowExecutionErrorCode] : code;
}
