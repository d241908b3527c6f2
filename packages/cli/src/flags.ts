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
  /** Webhook receiver settings (webhook and hybrid tracking). */
  readonly webhook: {
    readonly port: number;
    readonly url: string | undefined;
    readonly secret: string;
  } | null;
  readonly shard: { readonly index: number; readonly count: number } | null;
  readonly resume: boolean;
  readonly retryFailed: boolean;
  readonly externalIdPrefix: string | undefined;
  readonly baseUrl: string;
  readonly apiKeyEnv: string;
  readonly dryRun: boolean;
  readonly json: boolean;
  /** `--baseline DIR` and what goes with it, or null without a baseline. */
  readonly baseline: BaselineConfig | null;
}

/** `--baseline DIR`, `--max-new-failures N`, `--baseline-any-workflow`, parsed. */
export interface BaselineConfig {
  readonly dir: string;
  readonly maxNewFailures: number | undefined;
  readonly anyWorkflow: boolean;
}

/** The baseline flags of `run` and `merge`, as zod fields. */
export const baselineFlags = {
  baseline: z.string().min(1, '--baseline: give the out directory of an earlier run or merge').optional(),
  maxNewFailures: intFlag('--max-new-failures', 0).optional(),
  baselineAnyWorkflow: z.boolean().optional(),
};

/**
 * Checks the baseline flags go together and returns them, or null without `--baseline`.
 * @throws ConfigError when `--max-new-failures` or `--baseline-any-workflow` is given without `--baseline`.
 */
export function baselineConfig(flags: {
  baseline?: string | undefined;
  maxNewFailures?: number | undefined;
  baselineAnyWorkflow?: boolean | undefined;
}): BaselineConfig | null {
  if (flags.baseline === undefined) {
    const orphans = [
      flags.maxNewFailures === undefined ? null : '--max-new-failures',
      flags.baselineAnyWorkflow === true ? '--baseline-any-workflow' : null,
    ].filter((name) => name !== null);
    if (orphans.length > 0) {
      throw new ConfigError(
        `${orphans.join(' and ')} ${orphans.length === 1 ? 'needs' : 'need'} --baseline DIR (the out directory of an earlier run or merge to compare with)`,
      );
    }
    return null;
  }
  return {
    dir: flags.baseline,
    maxNewFailures: flags.maxNewFailures,
    anyWorkflow: flags.baselineAnyWorkflow === true,
  };
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
    webhookSecretEnv: z.string().optional(),
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
    ...baselineFlags,
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
  if (
    flags.track === 'poll' &&
    (flags.webhookPort ?? flags.webhookUrl ?? flags.webhookSecretEnv) !== undefined
  ) {
    problems.push('--webhook-port, --webhook-url and --webhook-secret-env go with --track webhook or hybrid');
  }
  const secretEnv = flags.webhookSecretEnv ?? 'VELLUM_WEBHOOK_SECRET';
  if (flags.track !== 'poll' && (env[secretEnv]?.trim() ?? '') === '') {
    problems.push(
      `--track ${flags.track}: set the webhook's signing secret in the environment variable ${secretEnv} (or name another with --webhook-secret-env)`,
    );
  }
  if (flags.resume === true && flags.retryFailed === true) {
    problems.push(
      '--resume and --retry-failed do not go together: resume the unfinished run first, then retry its failures',
    );
  }
  let baseline: BaselineConfig | null = null;
  try {
    baseline = baselineConfig(flags);
  } catch (error) {
    problems.push((error as Error).message);
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
      flags.track === 'poll'
        ? null
        : {
            port: flags.webhookPort ?? 8787,
            url: flags.webhookUrl,
            secret: env[secretEnv]!.trim(),
          },
    shard: flags.shard ?? null,
    resume: flags.resume === true,
    retryFailed: flags.retryFailed === true,
    externalIdPrefix: flags.externalIdPrefix,
    baseUrl,
    apiKeyEnv: flags.apiKeyEnv,
    dryRun: flags.dryRun === true,
    json: flags.json === true,
    baseline,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
