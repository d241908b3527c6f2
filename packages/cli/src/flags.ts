/**
 * Parses the raw flags of `vellum-batch run` (commander's strings and booleans, merged with the config file's) once,
 * with zod and core's field parsers, into exact values. Every problem names the flag, or the config file and key.
 * An empty value means unset (the default applies), as in the action.
 */
import { z } from 'zod';
import {
  ConfigError,
  COUNT_RANGES,
  parseConcurrency,
  parseCount,
  parseExternalIdPrefix,
  parseHttpUrl,
  parseRate,
  parseReleaseTag,
  parseShard,
  parseTimeout,
} from '@vellum-batch/core';
import type { CountRange, DatasetFormat, GateOptions } from '@vellum-batch/core';

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
}

const DEFAULT_BASE_URL = 'https://predict.vellum.ai';

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
      webhookSecretEnv: text(label('webhookSecretEnv')),
      shard: field(label('shard'), parseShard),
      resume: toggle(label('resume')),
      retryFailed: toggle(label('retryFailed')),
      externalIdPrefix: field(label('externalIdPrefix'), parseExternalIdPrefix),
      baseUrl: field(label('baseUrl'), parseHttpUrl),
      apiKeyEnv: field(label('apiKeyEnv'), (raw, name) => {
        const value = raw.trim();
        if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) return value;
        throw new ConfigError(`${name}: ${JSON.stringify(raw)} is not an environment variable name`);
      }),
      dryRun: toggle(label('dryRun')),
      json: toggle(label('json')),
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
  if (track === 'poll' && (flags.webhookPort ?? flags.webhookUrl ?? flags.webhookSecretEnv) !== undefined) {
    problems.push('--webhook-port, --webhook-url and --webhook-secret-env go with --track webhook or hybrid');
  }
  const secretEnv = flags.webhookSecretEnv ?? 'VELLUM_WEBHOOK_SECRET';
  if (track !== 'poll' && (env[secretEnv]?.trim() ?? '') === '') {
    problems.push(
      `--track ${track}: set the webhook's signing secret in the environment variable ${secretEnv} (or name another with --webhook-secret-env)`,
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
      track === 'poll'
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
    apiKeyEnv: flags.apiKeyEnv ?? RUN_DEFAULTS.apiKeyEnv,
    dryRun: flags.dryRun === true,
    json: flags.json === true,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
