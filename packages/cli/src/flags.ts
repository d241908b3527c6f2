/**
 * Parses the raw flags of `vellum-batch run` (commander's strings and booleans, merged with the config file's) once,
 * with zod and core's field parsers, into exact values. Every problem names the flag, or the config file and key.
 * An empty value means unset (the default applies), as in the action.
 */
import { z } from 'zod';
import { ConfigError } from '@vellum-batch/core';
import {
  checkRepeat,
  clientLimitsFromEnv,
  COUNT_RANGES,
  parseConcurrency,
  parseCount,
  parseExternalIdPrefix,
  parseHttpUrl,
  parseRate,
  parseReleaseTag,
  parseShard,
  parseTimeout,
} from '@vellum-batch/core/internal';
import type { ClientOptions, GateOptions, RunMode } from '@vellum-batch/core';
import type { CountRange, DatasetFormat, RepeatConfig } from '@vellum-batch/core/internal';
import { hosts, webhookAuth } from './run-env.js';

/** `vellum-batch run`, parsed. */
export interface RunConfig {
  /** A file, or `-` for standard input. */
  readonly dataset: string;
  /** `--dataset-format`: read the dataset as this format. @default by extension; `jsonl` for standard input */
  readonly datasetFormat: DatasetFormat | undefined;
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
  /** `--resume`, `--retry-failed`, or neither (`fresh`). */
  readonly mode: RunMode;
  /** `--fresh`: keep an unfinished run's journal aside instead of refusing. */
  readonly fresh: boolean;
  readonly externalIdPrefix: string | undefined;
  /**
   * Where Vellum is: one URL for both hosts (`--base-url`, `$VELLUM_BASE_URL`), each host alone (`--predict-url`,
   * `--api-url`, `$VELLUM_PREDICT_URL`, `$VELLUM_API_URL`), or undefined for Vellum's own hosts.
   */
  readonly baseUrl: string | { readonly predict: string; readonly api: string } | undefined;
  readonly apiKeyEnv: string;
  readonly dryRun: boolean;
  readonly json: boolean;
  /** `--baseline DIR` and what goes with it, or null without a baseline. */
  readonly baseline: BaselineConfig | null;
  /** `--repeat N --min-pass K` (K defaults to N), or undefined when each case runs once. */
  readonly repeat: RepeatConfig | undefined;
  /**
   * The total deadline of one request and the largest answer read, from `$VELLUM_BATCH_REQUEST_TIMEOUT` and
   * `$VELLUM_BATCH_MAX_RESPONSE_BYTES` (core's `clientLimitsFromEnv`, as in the action); each absent: the client's
   * default (30 s, 4 MiB).
   */
  readonly clientLimits: Pick<ClientOptions, 'requestTimeoutMs' | 'maxResponseBytes'>;
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

/** Defaults of `vellum-batch run` (shown in `--help` and applied when a flag is unset or empty). */
export const RUN_DEFAULTS = {
  releaseTag: 'LATEST',
  out: './vellum-batch-results',
  concurrency: 32,
  maxFailureRate: 0,
  minCases: 1,
  track: 'poll',
  apiKeyEnv: 'VELLUM_API_KEY',
} as const;

/** Formats `--dataset-format` accepts. */
export const DATASET_FORMATS = ['jsonl', 'json', 'csv'] as const;

/**
 * Names a flag in an error message: `--concurrency` on the command line, or the config file and key it came
 * from (`vellum-batch.config.json: "concurrency"`). Gets commander's attribute name (`maxFailureRate`).
 */
export type FlagLabel = (key: string) => string;

/** `--max-failure-rate` for `maxFailureRate`. */
export const flagName: FlagLabel = (key) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * A whole-number flag in [min, max], read by core's `parseCount` (decimal digits only, as in the action).
 * Used by the other commands; `run` reads its flags through {@link parseRunFlags}.
 */
export function intFlag(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return z.string().transform((raw, ctx) => {
    try {
      return parseCount(raw, name, { min, max });
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });
}

/** A string flag read by one of core's field parsers; `''` (or only spaces) means unset, as in the action. */
function field<T>(name: string, parse: (raw: string, name: string) => T) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): T | undefined => {
      if (raw === undefined || raw.trim() === '') return undefined;
      try {
        return parse(raw, name);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
        return z.NEVER;
      }
    });
}

function text(name: string) {
  return z
    .string({ error: `${name}: must be a string` })
    .optional()
    .transform((raw) => (raw === undefined || raw.trim() === '' ? undefined : raw.trim()));
}

function envVarName(raw: string, name: string): string {
  const value = raw.trim();
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) return value;
  throw new ConfigError(`${name}: ${JSON.stringify(raw)} is not an environment variable name`);
}

function toggle(name: string) {
  return z.boolean({ error: `${name}: must be true or false` }).optional();
}

function oneOf<const T extends readonly [string, ...string[]]>(name: string, values: T) {
  return field(name, (raw): T[number] => {
    const value = raw.trim();
    if ((values as readonly string[]).includes(value)) return value;
    throw new ConfigError(`${name}: ${JSON.stringify(raw)} is not one of ${values.join(', ')}`);
  });
}

function runFlagsSchema(label: FlagLabel) {
  const count = (key: string, range: CountRange) =>
    field(label(key), (raw, name) => parseCount(raw, name, range));
  return z
    .object({
      dataset: text(label('dataset')),
      datasetFormat: oneOf(label('datasetFormat'), DATASET_FORMATS),
      workflow: text(label('workflow')),
      deploymentId: text(label('deploymentId')),
      releaseTag: field(label('releaseTag'), parseReleaseTag),
      out: text(label('out')),
      concurrency: field(label('concurrency'), parseConcurrency),
      maxFailureRate: field(label('maxFailureRate'), parseRate),
      maxFailures: count('maxFailures', COUNT_RANGES.maxFailures),
      maxErrorRate: field(label('maxErrorRate'), parseRate),
      minCases: count('minCases', COUNT_RANGES.minCases),
      timeout: field(label('timeout'), parseTimeout),
      executionTimeout: field(label('executionTimeout'), parseTimeout),
      track: oneOf(label('track'), ['poll', 'webhook', 'hybrid']),
      webhookPort: count('webhookPort', COUNT_RANGES.port),
      webhookUrl: field(label('webhookUrl'), parseHttpUrl),
      webhookSecretEnv: field(label('webhookSecretEnv'), envVarName),
      webhookTokenEnv: field(label('webhookTokenEnv'), envVarName),
      webhookTokenHeader: field(label('webhookTokenHeader'), (raw, name) => {
        const value = raw.trim();
        if (/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(value)) return value;
        throw new ConfigError(`${name}: ${JSON.stringify(raw)} is not an HTTP header name`);
      }),
      shard: field(label('shard'), parseShard),
      resume: toggle(label('resume')),
      retryFailed: toggle(label('retryFailed')),
      externalIdPrefix: field(label('externalIdPrefix'), parseExternalIdPrefix),
      baseUrl: field(label('baseUrl'), parseHttpUrl),
      predictUrl: field(label('predictUrl'), parseHttpUrl),
      apiUrl: field(label('apiUrl'), parseHttpUrl),
      fresh: toggle(label('fresh')),
      apiKeyEnv: field(label('apiKeyEnv'), envVarName),
      dryRun: toggle(label('dryRun')),
      json: toggle(label('json')),
      baseline: text(label('baseline')),
      maxNewFailures: count('maxNewFailures', COUNT_RANGES.maxNewFailures),
      baselineAnyWorkflow: toggle(label('baselineAnyWorkflow')),
      repeat: count('repeat', COUNT_RANGES.repeat),
      minPass: count('minPass', COUNT_RANGES.minPass),
    })
    .strict();
}

/** Parses commander's raw flags for `run`; throws ConfigError listing every problem. */
export function parseRunFlags(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  label: FlagLabel = flagName,
): RunConfig {
  const result = runFlagsSchema(label).safeParse(raw);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => issue.message).join('\n'));
  }
  const flags = result.data;
  const track = flags.track ?? RUN_DEFAULTS.track;
  const problems: string[] = [];
  if (flags.dataset === undefined) {
    problems.push('--dataset: give the dataset file (or - for standard input)');
  }
  if ((flags.workflow === undefined) === (flags.deploymentId === undefined)) {
    problems.push('name the workflow with exactly one of --workflow NAME or --deployment-id ID');
  }
  const webhook = track === 'poll' ? null : webhookAuth(flags, track, env, problems);
  if (
    track === 'poll' &&
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
  if (flags.fresh === true && (flags.resume === true || flags.retryFailed === true)) {
    problems.push('--fresh starts a new run: it goes with neither --resume nor --retry-failed');
  }
  if (flags.baseUrl !== undefined && (flags.predictUrl ?? flags.apiUrl) !== undefined) {
    problems.push('--base-url stands for both hosts: give it, or --predict-url and --api-url, not both');
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
  let repeat: RunConfig['repeat'];
  try {
    repeat = checkRepeat(flags.repeat, flags.minPass, { repeat: label('repeat'), minPass: label('minPass') });
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));

  const baseUrl = hosts(flags, env);
  return {
    dataset: flags.dataset ?? '',
    datasetFormat: flags.datasetFormat,
    workflow: {
      ...(flags.workflow !== undefined ? { deploymentName: flags.workflow } : {}),
      ...(flags.deploymentId !== undefined ? { deploymentId: flags.deploymentId } : {}),
      releaseTag: flags.releaseTag ?? RUN_DEFAULTS.releaseTag,
    },
    out: flags.out ?? RUN_DEFAULTS.out,
    concurrency: flags.concurrency ?? RUN_DEFAULTS.concurrency,
    gate: {
      maxFailureRate: flags.maxFailureRate ?? RUN_DEFAULTS.maxFailureRate,
      maxFailures: flags.maxFailures,
      maxErrorRate: flags.maxErrorRate,
      minCases: flags.minCases ?? RUN_DEFAULTS.minCases,
    },
    timeoutMs: flags.timeout,
    executionTimeoutMs: flags.executionTimeout,
    track,
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
    mode: flags.resume === true ? 'resume' : flags.retryFailed === true ? 'retry-failed' : 'fresh',
    fresh: flags.fresh === true,
    externalIdPrefix: flags.externalIdPrefix,
    baseUrl,
    apiKeyEnv: flags.apiKeyEnv ?? RUN_DEFAULTS.apiKeyEnv,
    dryRun: flags.dryRun === true,
    json: flags.json === true,
    baseline,
    repeat,
    clientLimits: clientLimitsFromEnv(env),
  };
}
