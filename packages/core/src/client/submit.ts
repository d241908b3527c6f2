/**
 * The rules of a submit, which is not idempotent on the wire. Vellum's contract is silent on what a reused
 * `external_id` gets, so these rules are safe under each reading:
 *   (a) refused with a 400 naming it: thrown as {@link ExternalIdConflictError}, the caller looks the id up;
 *   (b) answered 200 with the existing execution's id: returned as any answer; the caller may see an id it already
 *       holds for another case and must not adopt it twice (the engine's check);
 *   (c) a second execution started: never risked by the client itself, because it resends a submit ONLY when nothing
 *       can have been created (a 429, a connection that never sent the request); every ambiguous failure is thrown
 *       as {@link SubmitOutcomeUnknownError} and the caller looks the external id up before submitting again.
 */
import {
  ApiError,
  BadRequestError,
  ConfigError,
  ConnectionError,
  ExternalIdConflictError,
  RateLimitError,
  ResponseValidationError,
  ServerError,
  SubmitOutcomeUnknownError,
  TimeoutError,
} from '../errors.js';
import { wasNeverSent } from './transport.js';
import type { ExecuteWorkflowRequest } from './types.js';

/** The JSON body of `POST /v1/execute-workflow-async`, or a ConfigError when the request names no single deployment. */
export function submitBody(req: ExecuteWorkflowRequest): string {
  const byName = req.workflowDeploymentName !== undefined;
  const byId = req.workflowDeploymentId !== undefined;
  if (byName === byId) {
    throw new ConfigError('Give exactly one of workflowDeploymentName and workflowDeploymentId.');
  }
  const body: Record<string, unknown> = {
    inputs: req.inputs.map((input) => ({ name: input.name, type: input.type, value: input.value })),
  };
  if (byName) body['workflow_deployment_name'] = req.workflowDeploymentName;
  else body['workflow_deployment_id'] = req.workflowDeploymentId;
  if (req.releaseTag !== undefined) body['release_tag'] = req.releaseTag;
  if (req.externalId !== undefined) body['external_id'] = req.externalId;
  if (req.metadata !== undefined) body['metadata'] = req.metadata;
  return JSON.stringify(body);
}

/**
 * Whether the client may send a failed submit again: only when it cannot have reached the server (connection
 * refused, no such host, a connect timeout, or still queued in the pool when the deadline came). A 429 is retried
 * too, under the rate-limit budget, outside this rule: the server refused it, so nothing was started.
 */
export function submitMayRetry(error: unknown): boolean {
  return wasNeverSent(error);
}

/** A 400 about the external id becomes an {@link ExternalIdConflictError} (reading (a)). */
export function refineSubmitError(error: ApiError, externalId: string | undefined): ApiError {
  if (externalId !== undefined && error instanceof BadRequestError && /external[_ ]?id/i.test(error.detail)) {
    return new ExternalIdConflictError(error.status, error.detail, error.request, externalId);
  }
  return error;
}

/**
 * What a submit that will not be retried throws. A refusal (4xx, a 429 past its budget, a connection that never
 * sent) is thrown as it is: nothing was started. Anything else may have started an execution and becomes a
 * {@link SubmitOutcomeUnknownError} carrying the external id and the original error as `cause`.
 */
export function finalSubmitError(error: unknown, externalId: string | undefined): unknown {
  if (error instanceof RateLimitError) return error;
  if (error instanceof ApiError && error.status >= 400 && error.status < 500) return error;
  if (wasNeverSent(error)) return error;
  const ambiguous =
    error instanceof ServerError ||
    error instanceof ApiError ||
    error instanceof ConnectionError ||
    error instanceof TimeoutError ||
    error instanceof ResponseValidationError;
  if (!ambiguous) return error;
  const reason = error.message;
  const id = externalId ?? null;
  return new SubmitOutcomeUnknownError(
    id === null
      ? `The submit may have started an execution, but no usable answer came back: ${reason}`
      : `The submit with external id ${id} may have started an execution, but no usable answer came back: ${reason}`,
    id,
    error,
  );
}
