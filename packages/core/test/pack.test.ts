/**
 * The published shape: `pnpm pack` of @vellum-batch/core and @vellum-batch/testkit, installed into a fresh project
 * outside the workspace, and a plain Node script there that runs a small batch against the fake server.
 * Uses pnpm's store offline (the workspace install already fetched every dependency), so no network is needed.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const packages = fileURLToPath(new URL('../../', import.meta.url));
let dir: string;

/** pnpm as the test was started (`npm_execpath` under `pnpm test`), else the one on PATH. */
function pnpm(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  const execPath = process.env['npm_execpath'];
  const env = { ...process.env, CI: 'true' };
  if (execPath !== undefined && /pnpm/.test(execPath)) {
    // pnpm 12 ships as a native executable; older ones as a script run by node.
    if (/\.[cm]?js$/.test(execPath)) return run(process.execPath, [execPath, ...args], { cwd, env });
    return run(execPath, args, { cwd, env });
  }
  return run('pnpm', args, { cwd, env });
}

const SCRIPT = `
import { createClient, runBatch, evaluateGate } from '@vellum-batch/core';
import { startFakeVellum } from '@vellum-batch/testkit';

const fake = await startFakeVellum({ apiKey: 'pack-key', deployments: ['packed'], concurrency: 3 });
const client = createClient({ apiKey: 'pack-key', baseUrl: fake.url });
const cases = Array.from({ length: 10 }, (_, i) => ({
  index: i, id: 'p-' + i, inputs: [{ name: 'q', type: 'STRING', value: 'hello ' + i }],
  expected: { q: 'hello ' + i }, assertions: [], metadata: {},
}));
const { summary } = await runBatch({
  client, dataset: { path: 'inline', size: cases.length, cases: () => cases },
  workflow: { deploymentName: 'packed' }, outDir: 'out',
});
await client.close();
await fake.close();
console.log(JSON.stringify({ passed: summary.passed, total: summary.total, verdict: summary.verdict,
  gate: evaluateGate({ total: 1, passed: 0, errored: 0 }).passed, created: fake.stats.executionsCreated }));
`;

describe('packed tarballs', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-pack-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('install into a fresh project and run a batch from plain Node', async () => {
    for (const name of ['core', 'testkit']) {
      await pnpm(['pack', '--pack-destination', dir], join(packages, name));
    }
    const tarballs = (await readdir(dir)).filter((f) => f.endsWith('.tgz')).sort();
    expect(tarballs).toEqual([
      expect.stringMatching(/^vellum-batch-core-.*\.tgz$/),
      expect.stringMatching(/^vellum-batch-testkit-.*\.tgz$/),
    ]);
    const project = join(dir, 'project');
    await run('mkdir', ['-p', project]);
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({
        name: 'consumer',
        private: true,
        type: 'module',
        dependencies: {
          '@vellum-batch/core': `file:../${tarballs[0]}`,
          '@vellum-batch/testkit': `file:../${tarballs[1]}`,
        },
      }),
    );
    await writeFile(join(project, 'batch.mjs'), SCRIPT);
    await pnpm(['install', '--offline', '--ignore-workspace'], project);
    const { stdout } = await run(process.execPath, ['batch.mjs'], { cwd: project });
    expect(JSON.parse(stdout.trim())).toEqual({
      passed: 10,
      total: 10,
      verdict: 'pass',
      gate: false,
      created: 10,
    });
    // Only dist/ (and the manifest, readme, licence) ship.
    const files = await readdir(join(project, 'node_modules', '@vellum-batch', 'core'));
    expect(files.sort()).toEqual(expect.arrayContaining(['dist', 'package.json']));
    expect(files).not.toContain('src');
  }, 180_000);
});
