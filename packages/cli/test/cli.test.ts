/**
 * The `vellum-batch` command end to end: real processes (the CLI and `vellum-batch fake-server`), real HTTP on
 * loopback, real files. Runs against the built `dist/` (the root `test` script builds first).
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeVellum } from '@vellum-batch/testkit';
import type { FakeVellum } from '@vellum-batch/testkit';
import { runCli, startFakeServerProcess } from './helpers.js';

let dir: string;
let stopServer: (() => Promise<string>) | null = null;
let url = '';

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Summary {
  total: number;
  passed: number;
  failed: number;
  rejected: number;
  fulfilled: number;
  verdict: string;
  gate: { reasons: string[] };
}

async function readJsonl(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** 500 cases: every 25th rejected by the fake, every 20th expecting the wrong echo. */
async function writeBigDataset(file: string): Promise<{ rejected: number; wrong: number }> {
  const lines: string[] = [];
  let rejected = 0;
  let wrong = 0;
  for (let i = 0; i < 500; i++) {
    const reject = i % 25 === 7;
    const bad = !reject && i % 20 === 0;
    if (reject) rejected += 1;
    if (bad) wrong += 1;
    lines.push(
      JSON.stringify({
        id: `c-${i}`,
        inputs: { query: `question ${i}`, ...(reject ? { fake_reject: 'policy violation' } : {}) },
        expected: { query: bad ? 'something else' : `question ${i}` },
        assert: [{ output: 'query', op: 'contains', value: 'question' }],
      }),
    );
  }
  await writeFile(file, `${lines.join('\n')}\n`);
  return { rejected, wrong };
}

describe('vellum-batch run against vellum-batch fake-server', () => {
  beforeAll(async () => {
    const server = await startFakeServerProcess([
      '--api-key',
      'cli-test-key',
      '--deployments',
      'support,other',
      '--concurrency',
      '40',
      '--duration-ms',
      '5-30',
    ]);
    url = server.url;
    stopServer = server.stop;
  });
  afterAll(async () => {
    await stopServer?.();
  });

  const env = (): NodeJS.ProcessEnv => ({ VELLUM_API_KEY: 'cli-test-key' });

  it('runs 500 cases with one record each; exit 1 when the gate fails, 0 when the rate allows', async () => {
    const dataset = join(dir, 'cases.jsonl');
    const { rejected, wrong } = await writeBigDataset(dataset);
    const out = join(dir, 'out');
    const failed = await runCli(
      [
        'run',
        '--dataset',
        dataset,
        '--workflow',
        'support',
        '--base-url',
        url,
        '--out',
        out,
        '--concurrency',
        '64',
      ],
      { env: env() },
    );
    expect(failed.stderr).not.toContain('cli-test-key');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/FAIL: \d+\/500 passed/);
    const records = await readJsonl(join(out, 'results.jsonl'));
    expect(records.map((r) => r['index'])).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(new Set(records.map((r) => r['id'])).size).toBe(500);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as Summary;
    expect(summary.total).toBe(500);
    expect(summary.rejected).toBe(rejected);
    expect(summary.passed).toBe(records.filter((r) => r['passed'] === true).length);
    expect(summary.failed).toBe(rejected + wrong);
    expect(summary.gate.reasons[0]).toMatch(/failure rate/);

    const allowed = await runCli(
      [
        'run',
        '--dataset',
        dataset,
        '--workflow',
        'support',
        '--base-url',
        url,
        '--out',
        join(dir, 'out2'),
        '--max-failure-rate',
        '10%',
        '--json',
      ],
      { env: env() },
    );
    expect(allowed.code).toBe(0);
    const printed = JSON.parse(allowed.stdout) as Summary;
    expect(printed.verdict).toBe('pass');
    expect(printed.total).toBe(500);
  });

  it('exits 2 listing all three mistakes of a dataset, and submits nothing', async () => {
    const dataset = join(dir, 'bad.jsonl');
    await writeFile(
      dataset,
      [
        JSON.stringify({ id: 'ok-1', inputs: { q: 'fine' } }),
        '{"id": "broken", "inputs": {"q": "x"}',
        JSON.stringify({ id: 'ok-2', inputs: { q: 'fine' } }),
        JSON.stringify({ id: 'bad-op', inputs: { q: 'x' }, assert: [{ output: 'a', op: 'eq', value: 1 }] }),
        JSON.stringify({ id: 7, inputs: { q: 'x' } }),
      ].join('\n'),
    );
    // A server of its own, so that its request count at shutdown is this test's alone.
    const own = await startFakeServerProcess(['--api-key', 'cli-test-key', '--deployments', 'support']);
    const result = await runCli(
      ['run', '--dataset', dataset, '--workflow', 'support', '--base-url', own.url],
      {
        env: env(),
        cwd: dir,
      },
    );
    expect(await own.stop()).toContain('fake server stopped: 0 executions, 0 submits, 0 status requests');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('3 problems found, nothing was submitted');
    expect(result.stderr).toMatch(/bad\.jsonl:2: /);
    expect(result.stderr).toMatch(/bad\.jsonl:4: assert\[0\]\.op: /);
    expect(result.stderr).toMatch(/bad\.jsonl:5: id: /);
  });

  it('exits 3 with one clear sentence on a bad key, before anything is submitted or written', async () => {
    const dataset = join(dir, 'cases.jsonl');
    await writeFile(dataset, `${JSON.stringify({ id: 'a', inputs: { q: 'x' } })}\n`);
    const out = join(dir, 'out');
    const result = await runCli(
      ['run', '--dataset', dataset, '--workflow', 'support', '--base-url', url, '--out', out],
      {
        env: { VELLUM_API_KEY: 'wrong-key-value' },
      },
    );
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(
      /^vellum-batch: Vellum refused the API key \(403: Invalid API key\.\); check the key and its workspace; nothing was submitted\n$/,
    );
    expect(result.stdout + result.stderr).not.toContain('wrong-key-value');
    await expect(readFile(join(out, 'journal.jsonl'), 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('exits 130 on SIGINT with every case recorded', async () => {
    const dataset = join(dir, 'slow.jsonl');
    const lines = Array.from({ length: 50 }, (_, i) =>
      JSON.stringify({ id: `s-${i}`, inputs: { q: `${i}`, fake_duration_ms: 60_000 } }),
    );
    await writeFile(dataset, `${lines.join('\n')}\n`);
    const out = join(dir, 'out');
    const result = await runCli(
      [
        'run',
        '--dataset',
        dataset,
        '--workflow',
        'other',
        '--base-url',
        url,
        '--out',
        out,
        '--concurrency',
        '5',
      ],
      {
        env: env(),
        onStart: (child) => {
          child.stderr?.on('data', (chunk: Buffer) => {
            if (chunk.toString().includes('external ids')) setTimeout(() => child.kill('SIGINT'), 300);
          });
        },
      },
    );
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('SIGINT: stopping');
    // The bar never reads "done" after Ctrl-C, and the end says how to continue, with the same arguments.
    expect(result.stderr).toMatch(/^interrupted: 0\/50 finished, 0 passed, 0 failed, 50 never finished/m);
    expect(result.stderr).not.toMatch(/^done/m);
    expect(result.stdout).toContain('interrupted: continue this run');
    expect(result.stdout).toContain(
      `  vellum-batch run --dataset ${dataset} --workflow other --base-url ${url} --out ${out} --concurrency 5 --resume\n`,
    );
    expect(result.stdout).not.toContain('cli-test-key');
    const records = await readJsonl(join(out, 'results.jsonl'));
    expect(records).toHaveLength(50);
    expect(records.every((r) => r['status'] === 'CANCELLED')).toBe(true);
  });
});

describe('vellum-batch run: config file, standard input and the end of a run', () => {
  const KEY = 'terminal-key-5678';
  let fake: FakeVellum;
  beforeAll(async () => {
    fake = await startFakeVellum({ apiKey: KEY, deployments: ['demo'] });
  });
  afterAll(async () => {
    await fake.close();
  });

  /** `n` cases: those in `rejected` are REJECTED by the fake, those in `wrong` expect another echo. */
  function jsonl(n: number, rejected: readonly number[], wrong: readonly number[]): string {
    return Array.from({ length: n }, (_, i) =>
      JSON.stringify({
        id: `t-${i}`,
        inputs: { q: `question ${i}`, ...(rejected.includes(i) ? { fake_reject: 'policy violation' } : {}) },
        expected: { q: wrong.includes(i) ? 'something else' : `question ${i}` },
      }),
    )
      .map((line) => `${line}\n`)
      .join('');
  }

  it('--dry-run reads the deployment with the key and prints the plan: exit 0 or 3, never a submit', async () => {
    const dataset = join(dir, 'two.csv');
    await writeFile(dataset, 'id,query,expected.category\na,hello,greeting\nb,refund please,billing\n');
    const args = (workflow: string) => [
      'run',
      '--dataset',
      dataset,
      '--workflow',
      workflow,
      '--base-url',
      fake.url,
      '--out',
      join(dir, 'o'),
      '--dry-run',
    ];
    const good = await runCli(args('demo'), { env: { VELLUM_API_KEY: KEY } });
    expect(good.code).toBe(0);
    expect(good.stderr).toContain('dry run: nothing was submitted');
    expect(good.stderr).toMatch(/cases: +2 valid in /);
    expect(good.stderr).toMatch(/deployment: +demo \([0-9a-f-]{36}\), release tag LATEST/);
    const wrongKey = await runCli(args('demo'), { env: { VELLUM_API_KEY: 'not-the-key' } });
    expect(wrongKey.code).toBe(3);
    expect(wrongKey.stderr).toMatch(/Vellum refused the API key \(403/);
    expect(wrongKey.stderr).not.toContain('not-the-key');
    const unknown = await runCli(args('ghost'), { env: { VELLUM_API_KEY: KEY } });
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/does not know this workflow deployment .*ghost/);
    expect(fake.stats.requests.submit).toBe(0);
  });

  it('reads --dataset - from a pipe, names it <stdin>, removes its spool, and lists the failing cases', async () => {
    const tmp = join(dir, 'tmp');
    await mkdir(tmp);
    const out = join(dir, 'out');
    const result = await runCli(
      ['run', '--dataset', '-', '--workflow', 'demo', '--base-url', fake.url, '--out', out],
      {
        env: { VELLUM_API_KEY: KEY, TMPDIR: tmp },
        input: jsonl(5, [1], [3]),
      },
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('FAIL: 3/5 passed, 2 failed (1 rejected, 0 errored) in ');
    const lines = result.stdout.split('\n');
    const start = lines.indexOf('failing cases (2):');
    expect(start).toBeGreaterThan(0);
    expect(lines[start + 1]).toMatch(/^ {2}t-1 {2}REJECTED {3}\S+: policy violation$/);
    expect(lines[start + 2]).toBe('  t-3  FULFILLED  q equals "something else": got "question 3"');
    expect(lines[start + 3]).toBe(`report:  ${join(out, 'report.md')}`);
    expect(lines[start + 4]).toBe(`results: ${join(out, 'results.jsonl')} (also summary.json, junit.xml)`);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as Summary & {
      dataset: { path: string };
    };
    expect(summary.total).toBe(5);
    expect(summary.dataset.path).toBe('<stdin>');
    expect(await readJsonl(join(out, 'results.jsonl'))).toHaveLength(5);
    expect(await readdir(tmp)).toEqual([]);
    expect(result.stdout + result.stderr).not.toContain(KEY);
  });

  it('lists the first 20 failing cases, then "… and N more"', async () => {
    const dataset = join(dir, 'many.jsonl');
    await writeFile(
      dataset,
      jsonl(
        30,
        [],
        Array.from({ length: 25 }, (_, i) => i + 5),
      ),
    );
    const result = await runCli(
      ['run', '--dataset', dataset, '--workflow', 'demo', '--base-url', fake.url, '--out', join(dir, 'o')],
      { env: { VELLUM_API_KEY: KEY } },
    );
    expect(result.code).toBe(1);
    const listed = result.stdout.split('\n').filter((line) => /^ {2}t-\d+ /.test(line));
    expect(listed.map((line) => line.trim().split(/\s+/)[0])).toEqual(
      Array.from({ length: 20 }, (_, i) => `t-${i + 5}`),
    );
    expect(result.stdout).toContain('failing cases (25):');
    expect(result.stdout).toContain('  … and 5 more (every case is in results.jsonl)');
  });

  it('takes flags from vellum-batch.config.json, relative paths from its folder, and lets the command line win', async () => {
    const dataset = join(dir, 'cases.jsonl');
    await writeFile(dataset, jsonl(3, [], [0]));
    await writeFile(
      join(dir, 'vellum-batch.config.json'),
      JSON.stringify({
        dataset: 'cases.jsonl',
        workflow: 'demo',
        'base-url': fake.url,
        'max-failure-rate': '50%',
        out: 'from-config',
        concurrency: 4,
      }),
    );
    const fromFile = await runCli(['run'], { env: { VELLUM_API_KEY: KEY }, cwd: dir });
    expect(fromFile.code).toBe(0);
    const summary = JSON.parse(await readFile(join(dir, 'from-config', 'summary.json'), 'utf8')) as Summary;
    expect(summary).toMatchObject({ total: 3, passed: 2, verdict: 'pass' });

    const flagsWin = await runCli(['run', '--max-failure-rate', '0', '--out', join(dir, 'cli-out')], {
      env: { VELLUM_API_KEY: KEY },
      cwd: dir,
    });
    expect(flagsWin.code).toBe(1);
    expect(flagsWin.stdout).toContain('failure rate 33.33% (1 of 3) is above the allowed 0%');
  });

  it('refuses an unknown key in --config FILE with exit 2, naming the file and the key, and submits nothing', async () => {
    const before = fake.stats.requests.submit;
    const file = join(dir, 'ci.json');
    await writeFile(file, JSON.stringify({ workflow: 'demo', 'max-failure-rat': '5%' }));
    const dataset = join(dir, 'cases.jsonl');
    await writeFile(dataset, jsonl(1, [], []));
    const result = await runCli(['run', '--dataset', dataset, '--base-url', fake.url, '--config', file], {
      env: { VELLUM_API_KEY: KEY },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`vellum-batch: ${file}: "max-failure-rat": unknown key;`);
    expect(fake.stats.requests.submit).toBe(before);
  });
});

describe('vellum-batch usage errors', () => {
  it('rejects an unknown flag with exit 2 and a usage hint', async () => {
    const result = await runCli(['run', '--dataset', 'x.jsonl', '--workflow', 'w', '--bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--bogus'");
  });

  it('rejects a missing key, a bad duration and a bad shard with exit 2', async () => {
    const dataset = join(dir, 'one.jsonl');
    await writeFile(dataset, `${JSON.stringify({ inputs: { q: 'x' } })}\n`);
    const noKey = await runCli(['run', '--dataset', dataset, '--workflow', 'w']);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('no API key: set the environment variable VELLUM_API_KEY');
    const badFlags = await runCli(
      ['run', '--dataset', dataset, '--workflow', 'w', '--timeout', '10x', '--shard', '0/3'],
      { env: { VELLUM_API_KEY: 'k' } },
    );
    expect(badFlags.code).toBe(2);
    expect(badFlags.stderr).toContain('--timeout: "10x" is not a duration');
    expect(badFlags.stderr).toContain('--shard: "0/3" is not a shard');
  });
});

describe('vellum-batch demo', () => {
  it('runs the bundled set end to end without a key and writes the out directory', async () => {
    const out = join(dir, 'demo-out');
    const result = await runCli(['demo', '--out', out]);
    expect(result.stderr).toContain('support-assistant cases');
    expect(result.stdout).toContain('vellum-batch');
    expect([0, 1]).toContain(result.code);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as Summary;
    expect(summary.total).toBeGreaterThanOrEqual(35);
    expect(summary.rejected).toBe(1);
    expect(summary.passed).toBeLessThan(summary.total);
    expect(result.code).toBe(summary.verdict === 'pass' ? 0 : 1);
  });
});
