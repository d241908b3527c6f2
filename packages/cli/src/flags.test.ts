import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@vellum-batch/core';
import { flagName, parseRunFlags } from './flags.js';
import type { RunConfig } from './flags.js';

/** commander's defaults for `run`, as the command line passes them. */
const defaults = {
  releaseTag: 'LATEST',
  out: './vellum-batch-results',
  concurrency: '32',
  track: 'poll',
  apiKeyEnv: 'VELLUM_API_KEY',
  maxFailureRate: '0',
  minCases: '1',
};
const minimal = { ...defaults, dataset: 'cases.jsonl', workflow: 'support-bot' };

function parseError(raw: Record<string, unknown>, label = flagName): ConfigError {
  try {
    parseRunFlags(raw, {}, label);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

/** The table of raw values the action's input tests read too (action/src/inputs.test.ts). */
interface FieldCase {
  readonly field: string;
  readonly value: string;
  readonly ok?: unknown;
  readonly error?: string;
}
const FIELD_CASES = (
  JSON.parse(readFileSync(new URL('../../core/test/field-cases.json', import.meta.url), 'utf8')) as {
    cases: FieldCase[];
  }
).cases;

/** commander's attribute name of each field of the table, and where it lands in the parsed flags. */
const FIELDS: Record<string, { key: string; pick: (c: RunConfig) => unknown; unset: unknown }> = {
  concurrency: { key: 'concurrency', pick: (c) => c.concurrency, unset: 32 },
  'max-failures': { key: 'maxFailures', pick: (c) => c.gate.maxFailures, unset: undefined },
  'min-cases': { key: 'minCases', pick: (c) => c.gate.minCases, unset: 1 },
  'max-failure-rate': { key: 'maxFailureRate', pick: (c) => c.gate.maxFailureRate, unset: 0 },
  timeout: { key: 'timeout', pick: (c) => c.timeoutMs, unset: undefined },
  shard: { key: 'shard', pick: (c) => c.shard, unset: null },
  'external-id-prefix': { key: 'externalIdPrefix', pick: (c) => c.externalIdPrefix, unset: undefined },
  'base-url': { key: 'baseUrl', pick: (c) => c.baseUrl, unset: 'https://predict.vellum.ai' },
};

describe('the shared table of raw values (the same in the action)', () => {
  it.each(FIELD_CASES)('--$field $value', ({ field, value, ok, error }) => {
    const spec = FIELDS[field];
    if (spec === undefined) throw new Error(`no FIELDS entry for ${field}`);
    const raw = { ...minimal, [spec.key]: value };
    if (error !== undefined) {
      expect(parseError(raw).message).toContain(`--${field}${error}`);
      return;
    }
    const parsed = spec.pick(parseRunFlags(raw, {}));
    // Only the action can say `''`: an empty flag means unset there and here, so the default applies.
    expect(parsed).toEqual(ok === null ? spec.unset : ok);
  });
});

describe('parseRunFlags', () => {
  it('applies the defaults', () => {
    const config = parseRunFlags(minimal, {});
    expect(config).toMatchObject({
      dataset: 'cases.jsonl',
      datasetFormat: undefined,
      workflow: { deploymentName: 'support-bot', releaseTag: 'LATEST' },
      concurrency: 32,
      gate: { maxFailureRate: 0, minCases: 1 },
      track: 'poll',
      webhook: null,
      baseUrl: undefined,
      mode: 'fresh',
      fresh: false,
    });
  });

  it('accepts - and a dataset format', () => {
    expect(parseRunFlags({ ...minimal, dataset: '-', datasetFormat: 'csv' }, {})).toMatchObject({
      dataset: '-',
      datasetFormat: 'csv',
    });
    expect(parseError({ ...minimal, datasetFormat: 'xml' }).message).toBe(
      '--dataset-format: "xml" is not one of jsonl, json, csv',
    );
  });

  it('asks for the dataset when neither the command line nor the config file gave one', () => {
    expect(parseError({ ...defaults, workflow: 'w' }).message).toBe(
      '--dataset: give the dataset file (or - for standard input)',
    );
  });

  it('names the config file and key through the label, and lists every problem', () => {
    const label = (key: string): string => (key === 'concurrency' ? 'vb.json: "concurrency"' : flagName(key));
    const message = parseError({ ...minimal, concurrency: '1e2', timeout: '600h' }, label).message;
    expect(message.split('\n')).toEqual([
      'vb.json: "concurrency": "1e2" is not a whole number: write it in decimal digits, from 1 to 10000',
      '--timeout: "600h" is longer than 24 days (576h), the longest deadline this tool keeps; use a shorter one, or leave it out for no deadline',
    ]);
  });

  it("reads --repeat and --min-pass with core's shared check (K defaults to N)", () => {
    expect(parseRunFlags(minimal, {}).repeat).toBeUndefined();
    expect(parseRunFlags({ ...minimal, repeat: '3' }, {}).repeat).toEqual({ count: 3, minPass: 3 });
    expect(parseRunFlags({ ...minimal, repeat: '3', minPass: '2' }, {}).repeat).toEqual({
      count: 3,
      minPass: 2,
    });
    expect(parseError({ ...minimal, minPass: '2' }).message).toBe(
      '--min-pass: goes with --repeat (it says how many of the repeats of each case must pass)',
    );
    expect(parseError({ ...minimal, repeat: '2', minPass: '3' }).message).toBe(
      '--min-pass: 3 is more than --repeat (2): a case cannot pass more repeats than it runs',
    );
    expect(parseError({ ...minimal, repeat: '101' }).message).toBe(
      '--repeat: "101" is out of range: use a whole number from 1 to 100',
    );
  });

  it('refuses a switch that is not a boolean', () => {
    expect(parseError({ ...minimal, resume: 'yes' }).message).toBe('--resume: must be true or false');
  });
});
