/**
 * The action's inputs, parsed once with zod from the raw strings the runner passes (`''` means unset).
 * Every problem names the input it came from, and every problem is listed, not only the first.
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
  DEFAULT_API_URL,
  DEFAULT_PREDICT_URL,
  parseRate,
  parseReleaseTag,
  parseShard,
  parseTimeout,
} from '@vellum-batch/core/internal';
import type { CountRange, RepeatConfig } from '@vellum-batch/core/internal';
import type { ClientOptions, GateOptions } from '@vellum-batch/core';

/** Every input of `action.yml`, in its order. */
export const INPUT_NAMES = [
  'api-key',
  'workflow',
  'deployment-id',
  'release-tag',
  'dataset',
  'concurrency',
  'max-failure-rate',
  'max-failures',
  'max-error-rate',
  'min-cases',
  'timeout',
  'execution-timeout',
  'track',
  'shard',
  'mode',
  'out',
  'artifact-name',
  'upload-artifact',
  'retention-days',
  'comment',
  'github-token',
  'base-url',
  'predict-url',
  'api-url',
  'external-id-prefix',
  'fail-on-gate',
  'repeat',
  'min-pass',
  'baseline',
  'max-new-failures',
] as const;
/** One of {@link INPUT_NAMES}. */
export type InputName = (typeof INPUT_NAMES)[number];

/** When the action writes the sticky PR comment. */
export const COMMENT_MODES = ['auto', 'always', 'never'] as const;
/** One of {@link COMMENT_MODES}. */
export type CommentMode = (typeof COMMENT_MODES)[number];

/** Default of the `out` input. */
export const DEFAULT_OUT = 'vellum-batch-results';
/** Default of the `artifact-name` input. */
export const DEFAULT_ARTIFACT_NAME = 'vellum-batch-results';
/** Default of the `concurrency` input. */
export const DEFAULT_CONCURRENCY = 32;

/**
 * Which run the results are compared with: `auto` (the newest artifact of the same name from a successful run of
 * this workflow on the base branch), `none`, or the artifact of another name found the same way.
 */
export type BaselineInput =
  | { readonly kind: 'auto' }
  | { readonly kind: 'none' }
  | { readonly kind: 'artifact'; readonly name: string };

/** The inputs both modes read: the gate, where the files go, the artifact and the PR comment. */
export interface ReportInputs {
  /** @default `{ kind: 'auto' }` */
  readonly baseline: BaselineInput;
  /** Most regressions against the baseline the gate allows. @default unset */
  readonly maxNewFailures: number | undefined;
  readonly gate: GateOptions;
  /** @default 'vellum-batch-results' */
  readonly out: string;
  /** The artifact's name; in `mode: merge`, also the base name of the shard artifacts. @default 'vellum-batch-results' */
  readonly artifactName: string;
  /** @default true */
  readonly uploadArtifact: boolean;
  /** @default the repository's setting */
  readonly retentionDays: number | undefined;
  /** @default 'auto' */
  readonly comment: CommentMode;
  /** Empty when none was given: then no comment is written. */
  readonly githubToken: string;
  /** @default true */
  readonly failOnGate: boolean;
}

/** The inputs of `mode: run`, parsed. */
export interface RunInputs extends ReportInputs {
  readonly mode: 'run';
  /** The Vellum API key (masked as soon as it is read). */
  readonly apiKey: string;
  readonly workflow: {
    readonly deploymentName?: string;
    readonly deploymentId?: string;
    /** @default 'LATEST' */
    readonly releaseTag: string;
  };
  readonly dataset: string;
  /** @default 32 */
  readonly concurrency: number;
  readonly timeoutMs: number | undefined;
  readonly executionTimeoutMs: number | undefined;
  /** Only `poll` runs in the action (a runner cannot receive webhooks). @default 'poll' */
  readonly track: 'poll';
  /** This job's shard (1-based), or null for the whole dataset. @default null */
  readonly shard: { readonly index: number; readonly count: number } | null;
  /** @default $VELLUM_BASE_URL, else 'https://predict.vellum.ai' */
  /** One URL for both Vellum hosts, each host alone, or undefined for Vellum's own. */
  readonly baseUrl: string | { readonly predict: string; readonly api: string } | undefined;
  /** @default `gh-{run id}-{run attempt}-` (+ `s{i}-` for a shard) */
  readonly externalIdPrefix: string | undefined;
  /**
   * The total deadline of one request and the largest answer read, from `$VELLUM_BATCH_REQUEST_TIMEOUT` and
   * `$VELLUM_BATCH_MAX_RESPONSE_BYTES` (core's `clientLimitsFromEnv`, as in the CLI). @default 30 s, 4 MiB
   */
  readonly clientLimits: Pick<ClientOptions, 'requestTimeoutMs' | 'maxResponseBytes'>;
  /**
   * `repeat` (runs of each case) and `min-pass` (how many must pass; @default `repeat`), read by core's
   * `checkRepeat` as the CLI's flags are. @default unset: each case runs once
   */
  readonly repeat: RepeatConfig | undefined;
}

/** The inputs of `mode: merge`, parsed: what the merge needs besides the {@link ReportInputs}. */
export interface MergeInputs extends ReportInputs {
  readonly mode: 'merge';
  /** Inputs of `mode: run` that were given and are not used by the merge (logged, not an error). */
  readonly ignored: readonly InputName[];
}

/** The inputs of either mode. */
export type ActionInputs = RunInputs | MergeInputs;

/** Inputs only `mode: run` reads and that have no default, so a value given to the merge is noticed. */
const RUN_ONLY_INPUTS = [
  'api-key',
  'workflow',
  'deployment-id',
  'dataset',
  'timeout',
  'execution-timeout',
  'shard',
  'base-url',
  'predict-url',
  'api-url',
  'external-id-prefix',
  'repeat',
  'min-pass',
] as const satisfies readonly InputName[];

/** Reads one raw input (as `@actions/core`'s `getInput` does: trimmed, `''` when unset). */
export type InputReader = (name: InputName) => string;

/** A raw input: `''` (after trimming) becomes `undefined`. */
const raw = z
  .string()
  .optional()
  .transform((v) => {
    const text = v?.trim() ?? '';
    return text === '' ? undefined : text;
  });

/** A whole-number input, read by core's `parseCount` (decimal digits only, as in the CLI). */
function intInput(name: InputName, range: CountRange) {
  return parsedInput(name, (text, label) => parseCount(text, label, range));
}

/** An input checked by one of core's parsers (which throw a ConfigError naming the input). */
function parsedInput<T>(name: InputName, parse: (text: string, name: string) => T) {
  return raw.transform((text, ctx): T | undefined => {
    if (text === undefined) return undefined;
    try {
      return parse(text, `input ${name}`);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
      return z.NEVER;
    }
  });
}

function boolInput(name: InputName, fallback: boolean) {
  return raw.transform((text, ctx) => {
    if (text === undefined) return fallback;
    // The YAML 1.2 core schema, as `core.getBooleanInput` accepts it.
    if (['true', 'True', 'TRUE'].includes(text)) return true;
    if (['false', 'False', 'FALSE'].includes(text)) return false;
    ctx.addIssue({
      code: 'custom',
      message: `input ${name}: "${text}" is not a boolean (use true or false)`,
    });
    return z.NEVER;
  });
}

function oneOf<const T extends readonly string[]>(name: InputName, values: T, fallback: T[number]) {
  return raw.transform((text, ctx): T[number] => {
    if (text === undefined) return fallback;
    if ((values as readonly string[]).includes(text)) return text;
    ctx.addIssue({ code: 'custom', message: `input ${name}: "${text}" is not one of ${values.join(', ')}` });
    return z.NEVER;
  });
}

/** Characters `@actions/artifact` refuses in an artifact name. */
const BAD_ARTIFACT_CHARS = /[":<>|*?\\/\r\n]/;

const schema = z.object({
  'api-key': raw,
  workflow: raw,
  'deployment-id': raw,
  'release-tag': parsedInput('release-tag', parseReleaseTag).transform((v) => v ?? 'LATEST'),
  dataset: raw,
  concurrency: parsedInput('concurrency', parseConcurrency).transform((v) => v ?? DEFAULT_CONCURRENCY),
  'max-failure-rate': parsedInput('max-failure-rate', parseRate),
  'max-failures': intInput('max-failures', COUNT_RANGES.maxFailures),
  'max-error-rate': parsedInput('max-error-rate', parseRate),
  'min-cases': intInput('min-cases', COUNT_RANGES.minCases),
  timeout: parsedInput('timeout', parseTimeout),
  'execution-timeout': parsedInput('execution-timeout', parseTimeout),
  track: oneOf('track', ['poll', 'webhook', 'hybrid'] as const, 'poll'),
  shard: parsedInput('shard', parseShard),
  mode: oneOf('mode', ['run', 'merge'] as const, 'run'),
  out: raw.transform((v) => v ?? DEFAULT_OUT),
  'artifact-name': raw.transform((text, ctx) => {
    const name = text ?? DEFAULT_ARTIFACT_NAME;
    if (BAD_ARTIFACT_CHARS.test(name)) {
      ctx.addIssue({
        code: 'custom',
        message: `input artifact-name: "${name}" may not contain any of " : < > | * ? \\ / or a line break`,
      });
      return z.NEVER;
    }
    return name;
  }),
  'upload-artifact': boolInput('upload-artifact', true),
  'retention-days': intInput('retention-days', { min: 1, max: 90 }),
  comment: oneOf('comment', COMMENT_MODES, 'auto'),
  'github-token': raw.transform((v) => v ?? ''),
  'base-url': parsedInput('base-url', parseHttpUrl),
  'predict-url': parsedInput('predict-url', parseHttpUrl),
  'api-url': parsedInput('api-url', parseHttpUrl),
  'external-id-prefix': parsedInput('external-id-prefix', parseExternalIdPrefix),
  'fail-on-gate': boolInput('fail-on-gate', true),
  repeat: intInput('repeat', COUNT_RANGES.repeat),
  'min-pass': intInput('min-pass', COUNT_RANGES.minPass),
  baseline: raw.transform((text, ctx): BaselineInput => {
    if (text === undefined || text === 'auto') return { kind: 'auto' };
    if (text === 'none') return { kind: 'none' };
    if (BAD_ARTIFACT_CHARS.test(text)) {
      ctx.addIssue({
        code: 'custom',
        message: `input baseline: "${text}" is not auto, none or an artifact name (a name may not contain " : < > | * ? \\ / or a line break)`,
      });
      return z.NEVER;
    }
    return { kind: 'artifact', name: text };
  }),
  'max-new-failures': intInput('max-new-failures', COUNT_RANGES.maxNewFailures),
});

/**
 * Reads and checks every input of `action.yml`.
 *
 * @param read - Returns one raw input, `''` when unset (in the action: `core.getInput`).
 * @param env - Where `VELLUM_BASE_URL` is looked up when `base-url` is unset. @default process.env
 * @throws {@link ConfigError} listing every problem, each naming its input.
 */
export function parseInputs(read: InputReader, env: NodeJS.ProcessEnv = process.env): ActionInputs {
  const values: Record<string, string> = {};
  for (const name of INPUT_NAMES) values[name] = read(name);
  const result = schema.safeParse(values);
  if (!result.success) {
    throw new ConfigError(problems(result.error.issues.map((i) => i.message)));
  }
  const v = result.data;
  if (v.baseline.kind === 'none' && v['max-new-failures'] !== undefined) {
    throw new ConfigError(
      'input max-new-failures: needs a baseline to count regressions against, but baseline is none (use auto or an artifact name)',
    );
  }
  const report: ReportInputs = {
    baseline: v.baseline,
    maxNewFailures: v['max-new-failures'],
    gate: {
      maxFailureRate: v['max-failure-rate'],
      maxFailures: v['max-failures'],
      maxErrorRate: v['max-error-rate'],
      minCases: v['min-cases'],
    },
    out: v.out,
    artifactName: v['artifact-name'],
    uploadArtifact: v['upload-artifact'],
    retentionDays: v['retention-days'],
    comment: v.comment,
    githubToken: v['github-token'],
    failOnGate: v['fail-on-gate'],
  };
  if (v.mode === 'merge') {
    return { mode: 'merge', ...report, ignored: RUN_ONLY_INPUTS.filter((name) => v[name] !== undefined) };
  }
  const issues: string[] = [];
  if (v['api-key'] === undefined) {
    issues.push('input api-key: required; pass a secret, e.g. api-key: ${{ secrets.VELLUM_API_KEY }}');
  }
  if (v.dataset === undefined) issues.push('input dataset: required; give the path of the dataset file');
  if ((v.workflow === undefined) === (v['deployment-id'] === undefined)) {
    issues.push('inputs workflow and deployment-id: give exactly one (the deployment name or its id)');
  }
  if (v.track !== 'poll') {
    issues.push(
      `input track: "${v.track}" is not supported in the action (a runner cannot receive Vellum's webhooks); use poll`,
    );
  }
  let repeat: RepeatConfig | undefined;
  try {
    repeat = checkRepeat(v.repeat, v['min-pass'], { repeat: 'input repeat', minPass: 'input min-pass' });
  } catch (error) {
    issues.push((error as Error).message);
  }
  if (v['base-url'] !== undefined && (v['predict-url'] ?? v['api-url']) !== undefined) {
    issues.push('input base-url stands for both hosts: give it, or predict-url and api-url, not both');
  }
  if (issues.length > 0) throw new ConfigError(problems(issues));

  const fromEnv = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const predictUrl = v['predict-url'] ?? fromEnv('VELLUM_PREDICT_URL');
  const apiUrl = v['api-url'] ?? fromEnv('VELLUM_API_URL');
  return {
    mode: 'run',
    ...report,
    apiKey: v['api-key'] ?? '',
    workflow: {
      ...(v.workflow === undefined ? {} : { deploymentName: v.workflow }),
      ...(v['deployment-id'] === undefined ? {} : { deploymentId: v['deployment-id'] }),
      releaseTag: v['release-tag'],
    },
    dataset: v.dataset ?? '',
    concurrency: v.concurrency,
    timeoutMs: v.timeout,
    executionTimeoutMs: v['execution-timeout'],
    track: 'poll',
    shard: v.shard ?? null,
    baseUrl:
      v['base-url'] ??
      (predictUrl === undefined && apiUrl === undefined
        ? fromEnv('VELLUM_BASE_URL')
        : { predict: predictUrl ?? DEFAULT_PREDICT_URL, api: apiUrl ?? DEFAULT_API_URL }),
    externalIdPrefix: v['external-id-prefix'],
    repeat,
    clientLimits: clientLimitsFromEnv(env),
  };
}

function problems(messages: readonly string[]): string {
  if (messages.length === 1) return messages[0] ?? '';
  return `${messages.length} problems with the inputs:\n${messages.map((m) => `  - ${m}`).join('\n')}`;
}
