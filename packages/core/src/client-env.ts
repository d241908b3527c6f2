/**
 * The client limits a user sets through the environment, read one way for the CLI and the action alike.
 */
import type { ClientOptions } from './client.js';
import { parseByteSize, parseTimeout } from './fields.js';

/** The variables {@link clientLimitsFromEnv} reads. */
export const CLIENT_ENV = {
  requestTimeout: 'VELLUM_BATCH_REQUEST_TIMEOUT',
  maxResponseBytes: 'VELLUM_BATCH_MAX_RESPONSE_BYTES',
} as const;

/**
 * `$VELLUM_BATCH_REQUEST_TIMEOUT` (the total deadline of one request, e.g. `2m`) and `$VELLUM_BATCH_MAX_RESPONSE_BYTES`
 * (the largest answer read, e.g. `16MiB`) as client options; an unset or blank variable leaves the client's default.
 * @throws ConfigError naming the variable when a value does not parse.
 */
export function clientLimitsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): Pick<ClientOptions, 'requestTimeoutMs' | 'maxResponseBytes'> {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const timeout = read(CLIENT_ENV.requestTimeout);
  const size = read(CLIENT_ENV.maxResponseBytes);
  return {
    ...(timeout === undefined
      ? {}
      : { requestTimeoutMs: parseTimeout(timeout, `$${CLIENT_ENV.requestTimeout}`) }),
    ...(size === undefined
      ? {}
      : { maxResponseBytes: parseByteSize(size, `$${CLIENT_ENV.maxResponseBytes}`) }),
  };
}
