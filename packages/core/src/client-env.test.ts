import { describe, expect, it } from 'vitest';
import { clientLimitsFromEnv } from './client-env.js';
import { ConfigError } from './errors.js';

describe('clientLimitsFromEnv', () => {
  it('leaves the client defaults when the variables are unset or blank', () => {
    expect(clientLimitsFromEnv({})).toEqual({});
    expect(
      clientLimitsFromEnv({ VELLUM_BATCH_REQUEST_TIMEOUT: ' ', VELLUM_BATCH_MAX_RESPONSE_BYTES: '' }),
    ).toEqual({});
  });

  it('reads a request deadline and an answer size cap', () => {
    expect(
      clientLimitsFromEnv({ VELLUM_BATCH_REQUEST_TIMEOUT: '2m', VELLUM_BATCH_MAX_RESPONSE_BYTES: '16MiB' }),
    ).toEqual({ requestTimeoutMs: 120_000, maxResponseBytes: 16 * 1024 * 1024 });
  });

  it('names the variable of a value that does not parse', () => {
    expect(() => clientLimitsFromEnv({ VELLUM_BATCH_REQUEST_TIMEOUT: 'soon' })).toThrow(ConfigError);
    expect(() => clientLimitsFromEnv({ VELLUM_BATCH_REQUEST_TIMEOUT: 'soon' })).toThrow(
      /^\$VELLUM_BATCH_REQUEST_TIMEOUT: "soon"/,
    );
    expect(() => clientLimitsFromEnv({ VELLUM_BATCH_MAX_RESPONSE_BYTES: '16MB' })).toThrow(
      '$VELLUM_BATCH_MAX_RESPONSE_BYTES: "16MB" is not a size: write whole bytes, or KiB, MiB or GiB (e.g. 16MiB)',
    );
  });
});
