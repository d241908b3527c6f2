/**
 * Run-level faults. Per-case failures are data (a {@link CaseRecord} with a status), never exceptions.
 * Every class carries a stable `code` that callers may switch on.
 */

/** Base class of every error this library throws. */
export class VellumBatchError extends Error {
  /** Stable machine-readable code. */
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An HTTP error answer from the Vellum API. Subclasses by status. */
export class ApiError extends VellumBatchError {
  /** HTTP status code. */
  readonly status: number;
  /** The API's `detail`, or the raw body when it had none. */
  readonly detail: string;
  /** The request, as `METHOD path` (never with the key). */
  readonly request: string;
  constructor(code: string, status: number, detail: string, request: string, options?: ErrorOptions) {
    super(code, `${request} answered ${status}: ${detail}`, options);
    this.status = status;
    this.detail = detail;
    this.request = request;
  }
}

/** 400: the request was refused (also a reused `external_id`). */
export class BadRequestError extends ApiError {
  constructor(status: number, detail: string, request: string) {
    super('bad_request', status, detail, request);
  }
}

/** 401/403: the API key is missing or wrong. */
export class AuthenticationError extends ApiError {
  constructor(status: number, detail: string, request: string) {
    super('authentication', status, detail, request);
  }
}

/** 404: unknown deployment or execution. */
export class NotFoundError extends ApiError {
  constructor(status: number, detail: string, request: string) {
    super('not_found', status, detail, request);
  }
}

/** 429: too many requests. */
export class RateLimitError extends ApiError {
  /** The server's `Retry-After`, in milliseconds, when it sent one. */
  readonly retryAfterMs: number | null;
  constructor(status: number, detail: string, request: string, retryAfterMs: number | null) {
    super('rate_limit', status, detail, request);
    this.retryAfterMs = retryAfterMs;
  }
}

/** 5xx: the server failed. */
export class ServerError extends ApiError {
  constructor(status: number, detail: string, request: string) {
    super('server', status, detail, request);
  }
}

/** The request could not be completed on the network (refused, reset, closed). */
export class ConnectionError extends VellumBatchError {
  constructor(message: string, options?: ErrorOptions) {
    super('connection', message, options);
  }
}

/** The request took longer than its timeout. */
export class TimeoutError extends VellumBatchError {
  constructor(message: string, options?: ErrorOptions) {
    super('timeout', message, options);
  }
}

/** A 2xx answer whose body did not have the documented shape. */
export class ResponseValidationError extends VellumBatchError {
  constructor(message: string, options?: ErrorOptions) {
    super('response_validation', message, options);
  }
}

/** One problem found in a dataset file. */
export interface DatasetIssue {
  /** 1-based line (JSONL, JSON) or row (CSV, counting the header as row 1); null for file-level problems. */
  readonly line: number | null;
  /** The field path, e.g. `inputs.history[0].role`; null when the whole line is wrong. */
  readonly field: string | null;
  readonly message: string;
}

/** The dataset cannot be used. Lists every problem found, not only the first. */
export class DatasetError extends VellumBatchError {
  readonly file: string;
  readonly issues: readonly DatasetIssue[];
  constructor(file: string, issues: readonly DatasetIssue[]) {
    const lines = issues.map((i) => `  ${formatIssue(file, i)}`);
    super(
      'dataset',
      `${file}: ${issues.length} problem${issues.length === 1 ? '' : 's'} found, nothing was submitted:\n${lines.join('\n')}`,
    );
    this.file = file;
    this.issues = issues;
  }
}

function formatIssue(file: string, issue: DatasetIssue): string {
  const where = issue.line === null ? file : `${file}:${issue.line}`;
  return issue.field === null ? `${where}: ${issue.message}` : `${where}: ${issue.field}: ${issue.message}`;
}

/** A configuration value (flag, input, option) is missing or invalid. */
export class ConfigError extends VellumBatchError {
  constructor(message: string, options?: ErrorOptions) {
    super('config', message, options);
  }
}

/** An answer larger than the client's `maxResponseBytes`: the rest was not read and the connection was dropped. */
export class ResponseTooLargeError extends ResponseValidationError {
  override readonly code = 'response_too_large';
  /** The cap that was exceeded, in bytes. */
  readonly limitBytes: number;
  constructor(message: string, limitBytes: number) {
    super(message);
    this.limitBytes = limitBytes;
  }
}

/**
 * A 400 on submit naming the `external_id`: the id is already used in the workspace, so an execution carrying it
 * most likely exists (an earlier submit whose answer was lost). The caller looks it up before doing anything else.
 */
export class ExternalIdConflictError extends BadRequestError {
  override readonly code = 'EXTERNAL_ID_CONFLICT';
  /** The external id the server refused. */
  readonly externalId: string;
  constructor(status: number, detail: string, request: string, externalId: string) {
    super(status, detail, request);
    this.externalId = externalId;
  }
}

/**
 * A submit whose outcome is unknown: the request may have reached Vellum and started an execution, but no usable
 * answer came back (a timeout after sending, a reset connection, a 5xx, a redirect, or a 2xx whose body does not
 * parse or lacks `execution_id`). The client never retries such a submit itself: the caller looks the external id
 * up first, and submits again only when no execution carries it.
 */
export class SubmitOutcomeUnknownError extends VellumBatchError {
  /** The external id the submit carried, or null when it carried none (then nothing can be looked up). */
  readonly externalId: string | null;
  constructor(message: string, externalId: string | null, cause: unknown) {
    super('SUBMIT_OUTCOME_UNKNOWN', message, { cause });
    this.externalId = externalId;
  }
}

/**
 * Whether a failed submit may have started an execution, so that the caller must look its external id up before
 * submitting again: true for {@link SubmitOutcomeUnknownError} and {@link ExternalIdConflictError}.
 */
export function submitMayHaveStarted(error: unknown): boolean {
  return error instanceof SubmitOutcomeUnknownError || error instanceof ExternalIdConflictError;
}
