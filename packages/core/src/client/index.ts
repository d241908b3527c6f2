/**
 * The Vellum API client: the four calls vellum-batch needs, on two hosts (predict: execute and status; api:
 * deployments and execution lists), over one keep-alive undici pool per origin, with typed errors, checked answers,
 * size and time limits, and the retry policy of `retry.ts`.
 */
import type { Dispatcher } from 'undici';
import {
  NotFoundError,
  ResponseTooLargeError,
  ResponseValidationError,
  type VellumBatchError,
} from '../errors.js';
import { systemClock } from '../internal/clock.js';
import { shouldRetry } from '../retry.js';
import { runCall, type Call, type CallContext } from './call.js';
import { DEFAULT_API_VERSION, resolveOptions, type ClientOptions, type Host } from './options.js';
import { checkDeployment, checkEventsPage, checkStatus, checkSubmit } from './schemas.js';
import { finalSubmitError, refineSubmitError, submitBody, submitMayRetry } from './submit.js';
import { Transport } from './transport.js';
import { Pool } from './pool.js';
import type {
  ClientOperation,
  ClientStats,
  ExecutionEventsQuery,
  RequestOptions,
  VellumClient,
} from './types.js';

const USER_AGENT = 'vellum-batch/0.1.0';

/**
 * The `filters` value that selects one external id, as in Vellum's docs tutorial. A server may ignore it: callers
 * check the external id of every result.
 */
export function externalIdFilter(externalId: string): string {
  return JSON.stringify({
    type: 'LOGICAL_CONDITION_GROUP',
    conditions: [
      {
        type: 'LOGICAL_CONDITION',
        lhs_variable: { type: 'STRING', value: 'external_id' },
        operator: '=',
        rhs_variable: { type: 'STRING', value: externalId },
      },
    ],
    combinator: 'AND',
    negated: false,
  });
}

/**
 * Creates a Vellum API client. Nothing is connected until the first call. Warnings about risky but allowed options
 * (the key going over plain http to a host that is not this machine) are in the client's `warnings`: show them.
 *
 * @throws ConfigError when the API key is empty or malformed (named by its problem, never shown), a base URL is not an
 * http(s) URL, or a number option is invalid.
 */
export function createClient(options: ClientOptions): VellumClient {
  const resolved = resolveOptions(options);
  const { predict, api, policy } = resolved;
  const clock = options.clock ?? systemClock;
  const secrets = [options.apiKey];

  const pools = new Map<string, Pool>();
  const given = options.dispatcher;
  const dispatcherFor = (origin: string): Dispatcher => {
    if (given !== undefined) return given;
    let pool = pools.get(origin);
    if (pool === undefined) {
      pool = new Pool(origin, { connections: resolved.connections, pipelining: 1 });
      pools.set(origin, pool);
    }
    return pool;
  };
  const common = {
    'x-api-key': options.apiKey,
    'x-api-version': options.apiVersion ?? DEFAULT_API_VERSION,
    accept: 'application/json',
    'user-agent': USER_AGENT,
  };
  const transport = new Transport({
    dispatcherFor,
    timeoutMs: resolved.requestTimeoutMs,
    maxResponseBytes: resolved.maxResponseBytes,
    getHeaders: Object.freeze({ ...common }),
    postHeaders: Object.freeze({ ...common, 'content-type': 'application/json' }),
    secrets,
  });

  const counters = { submit: 0, status: 0, events: 0, deployments: 0, retries: 0, rateLimited: 0 };
  const counterOf = {
    submit: 'submit',
    status: 'status',
    events: 'events',
    deployment: 'deployments',
  } as const;
  let closed = false;
  const ctx: CallContext = {
    transport,
    policy,
    clock,
    secrets,
    onRetry: options.onRetry,
    countRequest: (operation: ClientOperation, retry: boolean) => {
      counters[counterOf[operation]]++;
      if (retry) counters.retries++;
    },
    countRateLimit: () => {
      counters.rateLimited++;
    },
    isClosed: () => closed,
  };

  /**
   * A read is safe to repeat: 5xx, network faults, timeouts, and answers that are a redirect or do not parse. Not an
   * answer over the size cap: the same read gets the same bytes again (a finished execution's outputs do not shrink).
   */
  const readMayRetry = (error: VellumBatchError): boolean =>
    (shouldRetry(error, 1, policy) || error instanceof ResponseValidationError) &&
    !(error instanceof ResponseTooLargeError);

  function read<T>(
    operation: ClientOperation,
    host: Host,
    path: string,
    check: Call<T>['check'],
    opts: RequestOptions | undefined,
    extra: Partial<Call<T>> = {},
  ): Promise<T> {
    const label = `GET ${host.prefix}${path.split('?')[0]!}`;
    return runCall(ctx, {
      operation,
      request: { host, method: 'GET', path, label, signal: opts?.signal },
      check,
      mayRetry: readMayRetry,
      onRetry: opts?.onRetry,
      ...extra,
    });
  }

  return {
    async executeWorkflowAsync(req, opts) {
      // Throws (so rejects) a ConfigError before anything is sent when the request names no single deployment.
      const body = submitBody(req);
      const path = '/v1/execute-workflow-async';
      return await runCall(ctx, {
        operation: 'submit',
        request: {
          host: predict,
          method: 'POST',
          path,
          body,
          label: `POST ${predict.prefix}${path}`,
          signal: opts?.signal,
        },
        check: checkSubmit,
        mayRetry: submitMayRetry,
        refine: (error) => refineSubmitError(error, req.externalId),
        final: (error) => finalSubmitError(error, req.externalId),
        onRetry: opts?.onRetry,
      });
    },

    getExecutionStatus(executionId, opts) {
      const path = `/v1/workflows/executions/${encodeURIComponent(executionId)}/status`;
      return read('status', predict, path, checkStatus, opts);
    },

    getWorkflowDeployment(idOrName, opts) {
      const path = `/v1/workflow-deployments/${encodeURIComponent(idOrName)}`;
      return read('deployment', api, path, checkDeployment, opts, {
        refine: (error) =>
          error instanceof NotFoundError
            ? new NotFoundError(
                error.status,
                `there is no workflow deployment "${idOrName}" in this workspace (Vellum said: ${error.detail})`,
                error.request,
              )
            : error,
      });
    },

    listExecutionEvents(deploymentId, page: ExecutionEventsQuery, opts) {
      const params = new URLSearchParams();
      if (page.limit !== undefined) params.set('limit', String(page.limit));
      if (page.offset !== undefined) params.set('offset', String(page.offset));
      if (page.ordering !== undefined) params.set('ordering', page.ordering);
      if (page.externalId !== undefined) params.set('filters', externalIdFilter(page.externalId));
      const query = params.size > 0 ? `?${params.toString()}` : '';
      const path = `/v1/workflow-deployments/${encodeURIComponent(deploymentId)}/execution-events${query}`;
      return read('events', api, path, checkEventsPage, opts);
    },

    get stats(): ClientStats {
      return { ...counters };
    },

    warnings: resolved.warnings,

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...pools.values()].map((pool) => pool.close()));
    },
  };
}
