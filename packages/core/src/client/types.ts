/** The public shapes of the Vellum API client: what it is asked, what it answers, what it counts. */
import type { VellumBatchError } from '../errors.js';
import type { ExecutionStatus, WorkflowInput } from '../types.js';

/** The client operation a request belongs to. */
export type ClientOperation = 'submit' | 'status' | 'events' | 'deployment';

/** What {@link ClientOptions.onRetry} is told before each retry sleep. */
export interface RetryInfo {
  readonly operation: ClientOperation;
  /** The number of the retry about to be made, 429s included: 1 for the first retry of a request. */
  readonly attempt: number;
  /** How long the client sleeps before that retry. */
  readonly delayMs: number;
  /** The error that caused the retry (a {@link RateLimitError} for a 429). */
  readonly error: VellumBatchError;
  /** True when the server answered 429: the caller may want to slow down. */
  readonly rateLimited: boolean;
}

/** A request to start one workflow execution. Give exactly one of the deployment name and id. */
export interface ExecuteWorkflowRequest {
  readonly inputs: readonly WorkflowInput[];
  readonly workflowDeploymentName?: string;
  readonly workflowDeploymentId?: string;
  /** @default the server's default, `LATEST` */
  readonly releaseTag?: string;
  /** Unique in the workspace. What lets a caller find the execution of a submit whose answer was lost. */
  readonly externalId?: string;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** The status of one execution, validated. */
export interface ExecutionStatusResponse {
  readonly execution_id: string;
  /** One of {@link ExecutionStatus}; unknown values are kept as they came. */
  readonly status: ExecutionStatus | (string & {});
  /** `{}` when the server sent none. */
  readonly outputs: Record<string, unknown>;
  /** `null` when the server sent none; a missing message is `''`, a missing code `'UNKNOWN'`. */
  readonly error: { message: string; code: string } | null;
  readonly execution_detail_url: string | null;
}

/** A workflow deployment, as `GET /v1/workflow-deployments/{id or name}` names it. */
export interface WorkflowDeployment {
  /** The deployment's UUID: what keys the execution list. */
  readonly id: string;
  readonly name: string;
  readonly label: string;
}

/**
 * One execution as listed by the execution-events endpoint (a `SlimWorkflowExecutionRead`). The fields other than
 * `span_id` come from its `parent_context` when that is a workflow deployment's (`type: WORKFLOW_RELEASE_TAG`), and
 * are null otherwise.
 */
export interface ExecutionEvent {
  /** The execution id. */
  readonly span_id: string;
  /** `parent_context.external_id`. */
  readonly external_id: string | null;
  /** `parent_context.metadata`: the metadata the submit carried. */
  readonly metadata: Readonly<Record<string, unknown>> | null;
  /** `parent_context.deployment_id`. */
  readonly deployment_id: string | null;
  /** `parent_context.release_tag_name`. */
  readonly release_tag: string | null;
}

/** One page of a deployment's executions. */
export interface ExecutionEventsPage {
  /** How many executions the whole list holds (with the filter, when one was sent and honoured). */
  readonly count: number;
  readonly results: readonly ExecutionEvent[];
}

/** Which page of the execution list to ask for. */
export interface ExecutionEventsQuery {
  /** Page size asked for; the server may answer fewer. @default the server's */
  readonly limit?: number;
  /** Index of the first execution. @default 0 */
  readonly offset?: number;
  /** Sent as `ordering` as given, e.g. `-timestamp` for newest first. @default the server's (undocumented) */
  readonly ordering?: string;
  /** Sent as a `filters` condition `external_id = …` (Vellum's docs); a server may ignore it. */
  readonly externalId?: string;
}

/** Per-call options. */
export interface RequestOptions {
  /** Aborts the call, also during a retry sleep; the call then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Told before each retry sleep of this call (429s included), after {@link ClientOptions.onRetry}. @default none */
  readonly onRetry?: (info: RetryInfo) => void;
}

/** Requests sent on the wire, retries included. */
export interface ClientStats {
  readonly submit: number;
  readonly status: number;
  readonly events: number;
  readonly deployments: number;
  /** Of the requests above, how many were retries. */
  readonly retries: number;
  /** Answers that were 429. */
  readonly rateLimited: number;
}

/** A client of the Vellum API. Create it with {@link createClient}. */
export interface VellumClient {
  /**
   * Starts one workflow execution (`POST {predict}/v1/execute-workflow-async`).
   *
   * Retried by the client only where nothing can have been started: a 429 and a connection that never sent the
   * request. Every ambiguous failure throws a {@link SubmitOutcomeUnknownError}; a 400 naming the external id throws
   * an {@link ExternalIdConflictError}. After either, look the external id up before submitting again
   * ({@link submitMayHaveStarted}).
   */
  executeWorkflowAsync(
    req: ExecuteWorkflowRequest,
    options?: RequestOptions,
  ): Promise<{ execution_id: string }>;
  /** Fetches the status of an execution (`GET {predict}/v1/workflows/executions/{id}/status`). */
  getExecutionStatus(executionId: string, options?: RequestOptions): Promise<ExecutionStatusResponse>;
  /**
   * Reads a workflow deployment by UUID or name (`GET {api}/v1/workflow-deployments/{id or name}`).
   * @throws NotFoundError with a sentence naming the deployment when there is none.
   */
  getWorkflowDeployment(idOrName: string, options?: RequestOptions): Promise<WorkflowDeployment>;
  /** Lists a deployment's executions (`GET {api}/v1/workflow-deployments/{id}/execution-events`); key it by UUID. */
  listExecutionEvents(
    deploymentId: string,
    page: ExecutionEventsQuery,
    options?: RequestOptions,
  ): Promise<ExecutionEventsPage>;
  /** A snapshot of the request counters. */
  readonly stats: ClientStats;
  /** Sentences about risky but allowed options (e.g. the key going over plain http); empty when there are none. */
  readonly warnings: readonly string[];
  /** Closes the client's own pools (not a `dispatcher` it was given). Later calls reject. */
  close(): Promise<void>;
}
