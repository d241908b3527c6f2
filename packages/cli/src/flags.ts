/**
 * Parses the raw string flags of `vellum-batch run` once, with zod, into exact values. Every problem names the flag.
 */
import { z } from 'zod';
import { ConfigError, parseDuration, parseRate } from '@vellum-batch/core';
import type { GateOptions } from '@vellum-batch/core';

/** `vellum-batch run`, parsed. */
export interface RunConfig {
  readonly dataset: string;
  readonly workflow: {
    readonly deploymentName?: string;
    readonly deploymentId?: string;
    readonly releaseTag: string;
  };
  readonly out: string;
  readonly concurrency: number;
  readonly gate: GateOptions;
  readonly timeoutMs: number | undefined;
  readonly executionTimeoutMs: number | undefined;
  readonly track: 'poll' | 'webhook' | 'hybrid';
  /** Webhook receiver settings (webhook and hybrid tracking): a token, an HMAC secret, or both. */
  readonly webhook: {
    readonly port: number;
    /** The public URL set in Vellum (required with an HMAC secret). */
    readonly url: string | undefined;
    /** The shared token (`Authorization: Bearer` or the API-key header); never printed. */
    readonly token: string | undefined;
    /** The API-key header the token may come in. */
    readonly tokenHeader: string;
    /** The HMAC secret; never printed. */
    readonly secret: string | undefined;
  } | null;
  readonly shard: { readonly index: number; readonly count: number } | null;
  readonly resume: boolean;
  readonly retryFailed: boolean;
  readonly externalIdPrefix: string | undefined;
  readonly baseUrl: string;
  readonly apiKeyEnv: string;
  readonly dryRun: boolean;
  readonly json: boolean;
}

const DEFAULT_BASE_URL = 'https://predict.vellum.ai';

/** A whole number flag in [min, max]. */
export function intFlag(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return z.string().transform((raw, ctx) => {
    const value = Number(raw.trim());
    if (raw.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
      ctx.addIssue({
        code: 'custom',
        message: `${name}: "${raw}" is not a whole number${max === Number.MAX_SAFE_INTEGER ? ` of at least ${min}` : ` from ${min} to ${max}`}`,
      });
      return z.NEVER;
    }
    return value;
  });
}

/** A flag checked by one of core's parsers (which throw ConfigError with the flag's name). */
function parsedFlag<T>(name: string, parse: (raw: string, name: string) => T) {
  return z.string().transform((raw, ctx) => {
    try {
      return parse(raw, name);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
      return z.NEVER;
    }
  });
}

/** Parses `--shard I/N` (1-based). */
export function parseShard(raw: string): { index: number; count: number } {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(raw);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count) {
    throw new ConfigError(`--shard: "${raw}" is not a shard: use I/N with 1 <= I <= N, e.g. --shard 2/4`);
  }
  return { index, count };
}

const urlFlag = (name: string) =>
  z.string().transform((raw, ctx) => {
    try {
      const url = new URL(raw);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
      return raw;
    } catch {
      ctx.addIssue({ code: 'custom', message: `${name}: "${raw}" is not an http(s) URL` });
      return z.NEVER;
    }
  });

const envName = (name: string) =>
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, `${name}: not an environment variable name`);

const runFlagsSchema = z
  .object({
    dataset: z.string().min(1, '--dataset: give the dataset file'),
    workflow: z.string().optional(),
    deploymentId: z.string().optional(),
    releaseTag: z.string().min(1, '--release-tag: must not be empty'),
    out: z.string().min(1, '--out: must not be empty'),
    concurrency: intFlag('--concurrency', 1, 10_000),
    maxFailureRate: parsedFlag('--max-failure-rate', parseRate),
    maxFailures: intFlag('--max-failures', 0).optional(),
    maxErrorRate: parsedFlag('--max-error-rate', parseRate).optional(),
    minCases: intFlag('--min-cases', 0),
    timeout: parsedFlag('--timeout', parseDuration).optional(),
    executionTimeout: parsedFlag('--execution-timeout', parseDuration).optional(),
    track: z.enum(['poll', 'webhook', 'hybrid']),
    webhookPort: intFlag('--webhook-port', 0, 65_535).optional(),
    webhookUrl: urlFlag('--webhook-url').optional(),
    webhookSecretEnv: envName('--webhook-secret-env').optional(),
    webhookTokenEnv: envName('--webhook-token-env').optional(),
    webhookTokenHeader: z
      .string()
      .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, '--webhook-token-header: not an HTTP header name')
      .optional(),
    shard: parsedFlag('--shard', parseShard).optional(),
    resume: z.boolean().optional(),
    retryFailed: z.boolean().optional(),
    externalIdPrefix: z
      .string()
      .regex(/^[\w.:-]{1,100}$/, '--external-id-prefix: use 1-100 letters, digits, and . _ : -')
      .optional(),
    baseUrl: urlFlag('--base-url').optional(),
    apiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, '--api-key-env: not an environment variable name'),
    dryRun: z.boolean().optional(),
    json: z.boolean().optional(),
  })
  .strict();

/** Parses commander's raw flags for `run`; throws ConfigError listing every problem. */
export function parseRunFlags(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): RunConfig {
  const result = runFlagsSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => issue.message).join('\n'));
  }
  const flags = result.data;
  const problems: string[] = [];
  if ((flags.workflow === undefined) === (flags.deploymentId === undefined)) {
    problems.push('name the workflow with exactly one of --workflow NAME or --deployment-id ID');
  }
  const webhook = flags.track === 'poll' ? null : webhookAuth(flags, env, problems);
  if (
    flags.track === 'poll' &&
    (flags.webhookPort ??
      flags.webhookUrl ??
      flags.webhookSecretEnv ??
      flags.webhookTokenEnv ??
      flags.webhookTokenHeader) !== undefined
  ) {
    problems.push(
      '--webhook-port, --webhook-url, --webhook-token-env, --webhook-token-header and --webhook-secret-env go with --track webhook or hybrid',
    );
  }
  if (flags.resume === true && flags.retryFailed === true) {
    problems.push(
      '--resume and --retry-failed do not go together: resume the unfinished run first, then retry its failures',
    );
  }
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));

  const baseUrl = flags.baseUrl ?? nonEmpty(env['VELLUM_BASE_URL']) ?? DEFAULT_BASE_URL;
  return {
    dataset: flags.dataset,
    workflow: {
      ...(flags.workflow !== undefined ? { deploymentName: flags.workflow } : {}),
      ...(flags.deploymentId !== undefined ? { deploymentId: flags.deploymentId } : {}),
      releaseTag: flags.releaseTag,
    },
    out: flags.out,
    concurrency: flags.concurrency,
    gate: {
      maxFailureRate: flags.maxFailureRate,
      maxFailures: flags.maxFailures,
      maxErrorRate: flags.maxErrorRate,
      minCases: flags.minCases,
    },
    timeoutMs: flags.timeout,
    executionTimeoutMs: flags.executionTimeout,
    track: flags.track,
    webhook:
      webhook === null
        ? null
        : {
            port: flags.webhookPort ?? 8787,
            url: flags.webhookUrl,
            tokenHeader: flags.webhookTokenHeader ?? 'X-API-Key',
            ...webhook,
          },
    shard: flags.shard ?? null,
    resume: flags.resume === true,
    retryFailed: flags.retryFailed === true,
    externalIdPrefix: flags.externalIdPrefix,
    baseUrl,
    apiKeyEnv: flags.apiKeyEnv,
    dryRun: flags.dryRun === true,
    json: flags.json === true,
  };
}

/**
 * The webhook token and HMAC secret, read from the environment variables the flags name. Without either flag,
 * `VELLUM_WEBHOOK_TOKEN` and `VELLUM_WEBHOOK_SECRET` are read when set. At least one must be found; HMAC needs
 * `--webhook-url` (the signature covers it). Problems name the variable, never its value.
 */
function webhookAuth(
  flags: z.infer<typeof runFlagsSchema>,
  env: NodeJS.ProcessEnv,
  problems: string[],
): { token: string | undefined; secret: string | undefined } {
  const read = (flag: string, name: string | undefined): string | undefined => {
    if (name === undefined) return undefined;
    const value = nonEmpty(env[name]);
    if (value === undefined)
      problems.push(`${flag} ${name}: the environment variable ${name} is not set or empty`);
    return value;
  };
  const named = flags.webhookTokenEnv !== undefined || flags.webhookSecretEnv !== undefined;
  const token = named
    ? read('--webhook-token-env', flags.webhookTokenEnv)
    : nonEmpty(env['VELLUM_WEBHOOK_TOKEN']);
  const secret = named
    ? read('--webhook-secret-env', flags.webhookSecretEnv)
    : nonEmpty(env['VELLUM_WEBHOOK_SECRET']);
  if (!named && token === undefined && secret === undefined) {
    problems.push(
      `--track ${flags.track}: give the token set in Vellum's Webhook Integration with --webhook-token-env NAME ` +
        '(default VELLUM_WEBHOOK_TOKEN), and/or its HMAC secret with --webhook-secret-env NAME (default VELLUM_WEBHOOK_SECRET)',
    );
  }
  if (secret !== undefined && flags.webhookUrl === undefined) {
    problems.push(
      `--track ${flags.track}: HMAC signatures cover the URL Vellum posts to: give it with --webhook-url URL, exactly as set in Vellum's Webhook Integration`,
    );
  }
  return { token, secret };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
