import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '@vellum-batch/core';
import { loadConfig, parseConfig } from './config.js';
import type { ConfigFlag } from './config.js';

const FLAGS: ConfigFlag[] = [
  { key: 'dataset', name: 'dataset', boolean: false },
  { key: 'workflow', name: 'workflow', boolean: false },
  { key: 'out', name: 'out', boolean: false },
  { key: 'concurrency', name: 'concurrency', boolean: false },
  { key: 'maxFailureRate', name: 'max-failure-rate', boolean: false },
  { key: 'apiKeyEnv', name: 'api-key-env', boolean: false },
  { key: 'resume', name: 'resume', boolean: true },
];

function problems(text: string): string[] {
  try {
    parseConfig(text, 'vb.json', FLAGS, '/work/ci');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message.split('\n');
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('reads kebab-case flag names; numbers become text for the flag parsers; paths start at the file', () => {
    const values = parseConfig(
      JSON.stringify({
        $schema: './schema.json',
        dataset: 'evals/cases.jsonl',
        workflow: 'demo',
        'max-failure-rate': '5%',
        concurrency: 16,
        'api-key-env': 'MY_KEY',
        resume: false,
        out: '/abs/out',
      }),
      'vb.json',
      FLAGS,
      '/work/ci',
    );
    expect(values).toEqual({
      dataset: '/work/ci/evals/cases.jsonl',
      workflow: 'demo',
      maxFailureRate: '5%',
      concurrency: '16',
      apiKeyEnv: 'MY_KEY',
      resume: false,
      out: '/abs/out',
    });
  });

  it('keeps - (standard input) as the dataset', () => {
    expect(parseConfig('{"dataset": "-"}', 'vb.json', FLAGS, '/x')).toEqual({ dataset: '-' });
  });

  it('refuses unknown keys, camelCase with the right spelling, and wrong types, all at once', () => {
    expect(problems('{"concurency": 3, "maxFailureRate": "5%", "resume": "yes", "workflow": ["a"]}')).toEqual(
      [
        'vb.json: "concurency": unknown key; the keys are the flags of vellum-batch run without their dashes, e.g. "max-failure-rate"',
        'vb.json: "maxFailureRate": unknown key; write it as "max-failure-rate"',
        'vb.json: "resume": must be true or false (got "yes")',
        'vb.json: "workflow": must be a string or a number (got ["a"])',
      ],
    );
  });

  it.each(['api-key', 'apiKey', 'key', 'webhook-secret', 'github-token', 'password'])(
    'refuses %j without repeating its value, and says where the key goes',
    (name) => {
      const [message] = problems(JSON.stringify({ [name]: 'vk-secret-123' }));
      expect(message).toBe(
        `vb.json: "${name}": secrets never go in the config file; set the API key in the environment variable VELLUM_API_KEY (or name another one with "api-key-env"), and webhook secrets in the variables their "-env" flags name`,
      );
      expect(message).not.toContain('vk-secret-123');
    },
  );

  it('refuses what is not a JSON object', () => {
    expect(problems('{"workflow": ')[0]).toMatch(/^vb\.json: not valid JSON \(/);
    expect(problems('[1]')).toEqual([
      'vb.json: must be a JSON object of run flags without their dashes, e.g. {"workflow": "demo", "concurrency": 16}',
    ]);
  });
});

describe('loadConfig', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-config-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads vellum-batch.config.json from the working directory when present, and nothing when absent', async () => {
    expect(await loadConfig({ explicit: undefined, cwd: dir, flags: FLAGS })).toBeNull();
    await writeFile(join(dir, 'vellum-batch.config.json'), '{"workflow": "demo"}');
    expect(await loadConfig({ explicit: undefined, cwd: dir, flags: FLAGS })).toEqual({
      file: 'vellum-batch.config.json',
      values: { workflow: 'demo' },
    });
  });

  it('requires a file named by --config', async () => {
    await expect(loadConfig({ explicit: 'ci.json', cwd: dir, flags: FLAGS })).rejects.toThrow(
      '--config ci.json: cannot read the config file (no such file)',
    );
  });
});
