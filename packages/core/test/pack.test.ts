/**
 * The published shape: `pnpm pack` of @vellum-batch/core, @vellum-batch/testkit and @vellum-batch/cli (what the
 * release workflow publishes): each tarball's file list (README, LICENSE, no source maps pointing at a `src/` that is
 * not shipped), then all three installed into a fresh project outside the workspace, a plain Node script there that
 * runs a small batch against the fake server, and the installed `vellum-batch` command running its demo.
 * Uses pnpm's store offline (the workspace install already fetched every dependency), so no network is needed.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const packages = fileURLToPath(new URL('../../', import.meta.url));
const PACKAGES = ['core', 'testkit', 'cli'] as const;
let dir: string;

/** The paths inside a tarball, without npm's `package/` prefix. */
async function tarballFiles(tarball: string): Promise<string[]> {
  const { stdout } = await run('tar', ['-tzf', tarball]);
  return stdout
    .trim()
    .split('\n')
    .map((path) => path.replace(/^package\//, ''))
    .sort();
}

/** Unpacks a tarball into a directory of its own and returns the package's root there. */
async function unpack(tarball: string): Promise<string> {
  const into = `${tarball}.d`;
  await run('mkdir', ['-p', into]);
  await run('tar', ['-xzf', tarball, '-C', into]);
  return join(into, 'package');
}

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

  it('pack core, testkit and cli with README, LICENSE and no dangling source maps', async () => {
    for (const name of PACKAGES) {
      await pnpm(['pack', '--pack-destination', dir], join(packages, name));
    }
    const tarballs = (await readdir(dir)).filter((f) => f.endsWith('.tgz')).sort();
    expect(tarballs).toEqual([
      expect.stringMatching(/^vellum-batch-cli-.*\.tgz$/),
      expect.stringMatching(/^vellum-batch-core-.*\.tgz$/),
      expect.stringMatching(/^vellum-batch-testkit-.*\.tgz$/),
    ]);
    for (const tarball of tarballs) {
      const path = join(dir, tarball);
      const files = await tarballFiles(path);
      const root = await unpack(path);
      const text = (file: string): Promise<string> => readFile(join(root, file), 'utf8');
      const entries = tarball.includes('-cli-')
        ? ['dist/bin.js', 'data/demo.jsonl']
        : ['dist/index.js', 'dist/index.d.ts'];
      expect(files, tarball).toEqual(
        expect.arrayContaining(['LICENSE', 'README.md', 'package.json', ...entries]),
      );
      expect(
        files.filter(
          (f) => !/^(dist|data)\//.test(f) && !['LICENSE', 'README.md', 'package.json'].includes(f),
        ),
        `${tarball}: only dist/ (and the cli's data/), the manifest, readme and licence ship`,
      ).toEqual([]);
      expect(await text('LICENSE'), tarball).toMatch(
        /^MIT License\n\nCopyright \(c\) \d{4} vellum-batch contributors\n/,
      );
      expect(await text('README.md'), tarball).toMatch(/^# @vellum-batch\/(core|testkit|cli)\n/);
      // No maps at all (the build turns them off); and no compiled file names one.
      expect(
        files.filter((f) => f.endsWith('.map')),
        tarball,
      ).toEqual([]);
      for (const file of files.filter((f) => /\.(js|d\.ts)$/.test(f))) {
        expect(await text(file), `${tarball}: ${file}`).not.toMatch(/sourceMappingURL=/);
      }
    }
  }, 180_000);

  it('install into a fresh project and run a batch from plain Node, and the vellum-batch command', async () => {
    const tarballs = (await readdir(dir)).filter((f) => f.endsWith('.tgz')).sort();
    expect(tarballs).toHaveLength(3);
    const [cli, core, testkit] = tarballs;
    const project = join(dir, 'project');
    await run('mkdir', ['-p', project]);
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({
        name: 'consumer',
        private: true,
        type: 'module',
        dependencies: {
          '@vellum-batch/core': `file:../${core}`,
          '@vellum-batch/testkit': `file:../${testkit}`,
          '@vellum-batch/cli': `file:../${cli}`,
        },
      }),
    );
    // The cli's own dependencies on core and testkit resolve to these tarballs, not to the registry (pnpm reads its
    // settings from pnpm-workspace.yaml, which also makes the project its own root, outside this workspace).
    await writeFile(
      join(project, 'pnpm-workspace.yaml'),
      `overrides:\n  '@vellum-batch/core': 'file:../${core}'\n  '@vellum-batch/testkit': 'file:../${testkit}'\n`,
    );
    await writeFile(join(project, 'batch.mjs'), SCRIPT);
    await pnpm(['install', '--offline'], project);
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
    expect(files.sort()).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'dist', 'package.json']));
    expect(files).not.toContain('src');

    // The installed command runs its demo from the shipped data/ (exit 1: the demo set has failing cases).
    const bin = join(project, 'node_modules', '.bin', 'vellum-batch');
    const demo = await run(bin, ['demo', '--out', join(project, 'demo-out')], { cwd: project }).catch(
      (error: { code?: number; stdout: string; stderr: string }) => error,
    );
    const summary = JSON.parse(await readFile(join(project, 'demo-out', 'summary.json'), 'utf8')) as {
      total: number;
      verdict: string;
    };
    expect(summary.total, demo.stderr).toBe(41);
    expect('code' in demo ? demo.code : 0).toBe(summary.verdict === 'pass' ? 0 : 1);
  }, 180_000);
});
