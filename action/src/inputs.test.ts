import { describe, expect, it } from 'vitest';
import { ConfigError } from '@vellum-batch/core';
import { readFileSync } from 'node:fs';
import { INPUT_NAMES, parseInputs } from './inputs.js';
import type { InputName, RunInputs } from './inputs.js';

const minimal = { 'api-key': 'vk-1', workflow: 'support-bot', dataset: 'cases.jsonl' };

/** Parses inputs that must be of `mode: run`. */
function parseRun(values: Partial<Record<InputName, string>>, env: NodeJS.ProcessEnv = {}): RunInputs {
  const inputs = parseInputs(reader(values), env);
  if (inputs.mode !== 'run') throw new Error(`expected mode run, got ${inputs.mode}`);
  return inputs;
}

function reader(values: Partial<Record<InputName, string>>): (name: InputName) => string {
  return (name) => values[name] ?? '';
}

function parseError(values: Partial<Record<InputName, string>>, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    parseInputs(reader(values), env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseInputs', () => {
  it('applies the documented defaults when only the required inputs are set', () => {
    const inputs = parseInputs(reader(minimal), {});
    expect(inputs).toEqual({
      mode: 'run',
      apiKey: 'vk-1',
      workflow: { deploymentName: 'support-bot', releaseTag: 'LATEST' },
      dataset: 'cases.jsonl',
      concurrency: 32,
      gate: {
        maxFailureRate: undefined,
        maxFailures: undefined,
        maxErrorRate: undefined,
        minCases: undefined,
      },
      timeoutMs: undefined,
      executionTimeoutMs: undefined,
      track: 'poll',
      shard: null,
      out: 'vellum-batch-results',
      artifactName: 'vellum-batch-results',
      uploadArtifact: true,
      retentionDays: undefined,
      comment: 'auto',
      githubToken: '',
      baseUrl: undefined,
      externalIdPrefix: undefined,
      failOnGate: true,
      baseline: { kind: 'auto' },
      maxNewFailures: undefined,
      repeat: undefined,
      clientLimits: {},
    });
  });

  it('parses every optional input', () => {
    const inputs = parseRun(
      {
        'api-key': 'vk-1',
        'deployment-id': 'dep-123',
        'release-tag': 'staging',
        dataset: 'cases.csv',
        concurrency: '8',
        'max-failure-rate': '5%',
        'max-failures': '2',
        'max-error-rate': '0.1',
        'min-cases': '10',
        timeout: '30m',
        'execution-timeout': '90s',
        track: 'poll',
        shard: '2/4',
        mode: 'run',
        out: 'out/eval',
        'artifact-name': 'eval-results',
        'upload-artifact': 'false',
        'retention-days': '7',
        comment: 'always',
        'github-token': 'ghs_x',
        'base-url': 'http://127.0.0.1:9999',
        'external-id-prefix': 'pr-17-',
        'fail-on-gate': 'False',
      },
      {},
    );
    expect(inputs).toMatchObject({
      workflow: { deploymentId: 'dep-123', releaseTag: 'staging' },
      concurrency: 8,
      gate: { maxFailureRate: 0.05, maxFailures: 2, maxErrorRate: 0.1, minCases: 10 },
      timeoutMs: 1_800_000,
      executionTimeoutMs: 90_000,
      shard: { index: 2, count: 4 },
      out: 'out/eval',
      artifactName: 'eval-results',
      uploadArtifact: false,
      retentionDays: 7,
      comment: 'always',
      githubToken: 'ghs_x',
      baseUrl: 'http://127.0.0.1:9999',
      externalIdPrefix: 'pr-17-',
      failOnGate: false,
    });
    expect(inputs.workflow).not.toHaveProperty('deploymentName');
  });

  it('treats blank inputs as unset', () => {
    const inputs = parseRun({ ...minimal, concurrency: '   ', comment: '', 'fail-on-gate': '' });
    expect(inputs.concurrency).toBe(32);
    expect(inputs.comment).toBe('auto');
    expect(inputs.failOnGate).toBe(true);
  });

  it('falls back to $VELLUM_BASE_URL when base-url is unset', () => {
    expect(parseRun(minimal, { VELLUM_BASE_URL: 'http://127.0.0.1:1' }).baseUrl).toBe('http://127.0.0.1:1');
    expect(
      parseRun({ ...minimal, 'base-url': 'https://eu.vellum.example' }, { VELLUM_BASE_URL: 'http://x' })
        .baseUrl,
    ).toBe('https://eu.vellum.example');
  });

  it('reads the request deadline and the answer size cap from the environment, as the CLI does', () => {
    expect(parseRun(minimal, {}).clientLimits).toEqual({});
    expect(
      parseRun(minimal, { VELLUM_BATCH_REQUEST_TIMEOUT: '2m', VELLUM_BATCH_MAX_RESPONSE_BYTES: '16MiB' })
        .clientLimits,
    ).toEqual({ requestTimeoutMs: 120_000, maxResponseBytes: 16 * 1024 * 1024 });
    expect(() => parseRun(minimal, { VELLUM_BATCH_MAX_RESPONSE_BYTES: '16MB' })).toThrow(
      '$VELLUM_BATCH_MAX_RESPONSE_BYTES: "16MB" is not a size: write whole bytes, or KiB, MiB or GiB (e.g. 16MiB)',
    );
  });

  it('parses mode: merge without the run inputs, and names the run inputs it was given anyway', () => {
    expect(parseInputs(reader({ mode: 'merge', 'max-failure-rate': '5%', out: 'merged' }), {})).toEqual({
      mode: 'merge',
      gate: { maxFailureRate: 0.05, maxFailures: undefined, maxErrorRate: undefined, minCases: undefined },
      out: 'merged',
      artifactName: 'vellum-batch-results',
      uploadArtifact: true,
      retentionDays: undefined,
      comment: 'auto',
      githubToken: '',
      failOnGate: true,
      baseline: { kind: 'auto' },
      maxNewFailures: undefined,
      ignored: [],
    });
    const inputs = parseInputs(reader({ ...minimal, mode: 'merge', shard: '1/2' }), {});
    expect(inputs.mode === 'merge' && inputs.ignored).toEqual(['api-key', 'workflow', 'dataset', 'shard']);
  });

  it('parses baseline, max-new-failures, repeat and min-pass', () => {
    expect(parseRun({ ...minimal, baseline: 'none' }).baseline).toEqual({ kind: 'none' });
    expect(parseRun({ ...minimal, baseline: 'evals-main', 'max-new-failures': '2' })).toMatchObject({
      baseline: { kind: 'artifact', name: 'evals-main' },
      maxNewFailures: 2,
    });
    expect(parseRun({ ...minimal, repeat: '3' })).toMatchObject({ repeat: { count: 3, minPass: 3 } });
    expect(parseRun({ ...minimal, repeat: '3', 'min-pass': '2' })).toMatchObject({
      repeat: { count: 3, minPass: 2 },
    });
  });

  it('refuses max-new-failures with baseline: none, min-pass without repeat or above it, and a bad baseline', () => {
    expect(parseError({ ...minimal, baseline: 'none', 'max-new-failures': '0' }).message).toBe(
      'input max-new-failures: needs a baseline to count regressions against, but baseline is none (use auto or an artifact name)',
    );
    expect(parseError({ ...minimal, 'min-pass': '2' }).message).toBe(
      'input min-pass: goes with input repeat (it says how many of the repeats of each case must pass)',
    );
    expect(parseError({ ...minimal, repeat: '2', 'min-pass': '3' }).message).toBe(
      'input min-pass: 3 is more than input repeat (2): a case cannot pass more repeats than it runs',
    );
    expect(parseError({ ...minimal, baseline: 'a/b' }).message).toContain(
      'input baseline: "a/b" is not auto, none',
    );
    expect(parseError({ ...minimal, 'max-new-failures': '-1' }).message).toContain(
      'input max-new-failures: "-1" is not a whole number: write it in decimal digits, 0 or more',
    );
  });

  it('still checks the inputs the merge uses', () => {
    const error = parseError({ mode: 'merge', 'max-failure-rate': 'lots', 'artifact-name': 'a/b' });
    expect(error.message).toContain('2 problems with the inputs');
    expect(error.message).toContain('input max-failure-rate');
    expect(error.message).toContain('input artifact-name: "a/b"');
  });

  it('lists every bad input, each by name', () => {
    const error = parseError({
      ...minimal,
      concurrency: '0',
      'max-failure-rate': 'lots',
      timeout: 'soon',
      comment: 'sometimes',
      'upload-artifact': 'yes',
      shard: '5/4',
      'retention-days': '91',
      'base-url': 'ftp://x',
      'artifact-name': 'a/b',
    });
    for (const name of [
      'input concurrency: "0" is out of range: use a whole number from 1 to 10000',
      'input max-failure-rate: "lots" is not a rate',
      'input timeout: "soon" is not a duration',
      'input comment: "sometimes" is not one of auto, always, never',
      'input upload-artifact: "yes" is not a boolean',
      'input shard: "5/4" is not a shard',
      'input retention-days: "91"',
      'input base-url: "ftp://x" is not an http(s) URL, e.g. https://predict.vellum.ai',
      'input artifact-name: "a/b" may not contain',
    ]) {
      expect(error.message).toContain(name);
    }
    expect(error.message).toMatch(/^9 problems with the inputs:/);
  });

  it('requires the key, the dataset and exactly one workflow', () => {
    expect(parseError({}).message).toContain('input api-key: required');
    expect(parseError({}).message).toContain('input dataset: required');
    expect(parseError({ ...minimal, 'deployment-id': 'd' }).message).toBe(
      'inputs workflow and deployment-id: give exactly one (the deployment name or its id)',
    );
  });

  it('refuses webhook tracking, which a runner cannot receive', () => {
    expect(parseError({ ...minimal, track: 'webhook' }).message).toContain(
      'input track: "webhook" is not supported in the action',
    );
  });

  it('reads every input of action.yml and nothing else', () => {
    const asked: string[] = [];
    parseInputs((name) => {
      asked.push(name);
      return (minimal as Record<string, string>)[name] ?? '';
    }, {});
    expect(asked).toEqual([...INPUT_NAMES]);
  });
});

/** The table of raw values the CLI's flag tests read too (packages/cli/src/flags.test.ts). */
interface FieldCase {
  readonly field: InputName;
  readonly value: string;
  readonly ok?: unknown;
  readonly error?: string;
}
const FIELD_CASES = (
  JSON.parse(readFileSync(new URL('../../packages/core/test/field-cases.json', import.meta.url), 'utf8')) as {
    cases: FieldCase[];
  }
).cases;

/** Where each field of the table lands in the parsed inputs. */
const PICK: Partial<Record<InputName, (inputs: RunInputs) => unknown>> = {
  concurrency: (i) => i.concurrency,
  'max-failures': (i) => i.gate.maxFailures,
  'min-cases': (i) => i.gate.minCases,
  'max-failure-rate': (i) => i.gate.maxFailureRate,
  timeout: (i) => i.timeoutMs,
  shard: (i) => i.shard,
  'external-id-prefix': (i) => i.externalIdPrefix,
  'base-url': (i) => i.baseUrl,
};
/** What an unset input parses to (its default). */
const UNSET: Partial<Record<InputName, unknown>> = { concurrency: 32, shard: null };

describe('the shared table of raw values (the same in the CLI)', () => {
  it.each(FIELD_CASES)('$field $value', ({ field, value, ok, error }) => {
    const values = { ...minimal, [field]: value };
    if (error !== undefined) {
      const message = parseError(values).message;
      expect(message).toContain(`input ${field}${error}`);
      expect(message.startsWith(`input ${field}: `)).toBe(true);
      return;
    }
    const pick = PICK[field];
    if (pick === undefined) throw new Error(`no PICK for ${field}`);
    expect(pick(parseRun(values))).toEqual(ok === null ? (UNSET[field] ?? undefined) : ok);
  });
});
