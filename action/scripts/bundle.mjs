#!/usr/bin/env node
// Builds the action's bundle (action/dist, committed) with ncc, unless it is already built from these sources.
//
//   node action/scripts/bundle.mjs           rebuild only when the sources changed (`pnpm build`, `pnpm test`)
//   node action/scripts/bundle.mjs --force   always rebuild (the drift check in .ci/run and CI)
//   node action/scripts/bundle.mjs --check   exit 1 when action/dist was not built from these sources
//
// "These sources" are everything ncc reads: action/src and packages/core/src (tests excluded), their package.json
// and tsconfig files, tsconfig.base.json, pnpm-lock.yaml (every bundled dependency's version) and this script (the
// ncc flags). Their SHA-256 is written to action/dist/inputs.sha256 after each build, so a fresh clone whose
// committed bundle is current skips the ncc build (about 2 minutes of CPU) and a changed source always rebuilds.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ACTION = join(ROOT, 'action');
const DIST = join(ACTION, 'dist');
const STAMP = join(DIST, 'inputs.sha256');
const SOURCE_DIRS = ['action/src', 'packages/core/src'];
const FILES = [
  'action/package.json',
  'action/tsconfig.json',
  'action/scripts/bundle.mjs',
  'packages/core/package.json',
  'packages/core/tsconfig.json',
  'packages/core/tsconfig.build.json',
  'tsconfig.base.json',
  'pnpm-lock.yaml',
];

/** Every file ncc's output depends on, repository-relative, sorted (tests are not bundled). */
function inputs() {
  const sources = SOURCE_DIRS.flatMap((dir) =>
    readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && !/\.test\.ts$/.test(e.name))
      .map((e) => relative(ROOT, join(e.parentPath ?? e.path, e.name))),
  );
  return [...sources, ...FILES].map((p) => p.split('\\').join('/')).sort();
}

/** SHA-256 over each input's path and bytes. */
function digest() {
  const hash = createHash('sha256');
  for (const path of inputs()) {
    hash.update(`${path}\0`);
    hash.update(readFileSync(join(ROOT, path)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

function stamped() {
  return existsSync(STAMP) && existsSync(join(DIST, 'index.js')) ? readFileSync(STAMP, 'utf8').trim() : null;
}

/** Whether packages/core/dist is missing or older than a file core's build reads (a clock can only err towards a build). */
function coreDistStale() {
  const built = join(ROOT, 'packages/core/dist/index.js');
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  return inputs()
    .filter((path) => path.startsWith('packages/core/') || path === 'tsconfig.base.json')
    .some((path) => statSync(join(ROOT, path)).mtimeMs > builtAt);
}

const args = process.argv.slice(2);
const want = digest();
const have = stamped();
if (args.includes('--check')) {
  if (have === want) process.exit(0);
  console.error(
    `action/dist was not built from these sources (inputs ${want.slice(0, 12)}, bundle ${have?.slice(0, 12) ?? 'none'}): ` +
      "run 'pnpm --filter @vellum-batch/action build' and commit action/dist",
  );
  process.exit(1);
}
if (!args.includes('--force') && have === want) {
  console.log(`action/dist is up to date with its sources (inputs ${want.slice(0, 12)}): ncc not run`);
  process.exit(0);
}
console.log(
  have === null
    ? 'action/dist: no stamped bundle, building it with ncc (about a minute)'
    : `action/dist: building it with ncc (about a minute)${have === want ? ', forced' : ', its sources changed'}`,
);
// ncc resolves @vellum-batch/core to packages/core/dist, which is whatever the last build left there. A stale dist
// once gave a bundle of older code under a current stamp (the CI drift check caught it), so core is built here when
// its dist is older than a source file or missing. Only then: under `pnpm build`, turbo has just built core and runs
// the CLI's build beside this one, which reads that dist (deleting it here made that build fail).
const CORE = join(ROOT, 'packages', 'core');
if (coreDistStale()) {
  console.log('packages/core/dist is older than its sources: building @vellum-batch/core first');
  rmSync(join(CORE, 'dist'), { recursive: true, force: true });
  const tsc = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], {
    cwd: CORE,
    stdio: 'inherit',
  });
  if (tsc.error !== undefined || tsc.status !== 0) {
    console.error(
      `building @vellum-batch/core failed${tsc.error === undefined ? ` (exit ${tsc.status})` : `: ${tsc.error.message}`}`,
    );
    process.exit(1);
  }
}
rmSync(DIST, { recursive: true, force: true });
const ncc = spawnSync(
  join(ACTION, 'node_modules', '.bin', 'ncc'),
  ['build', 'src/index.ts', '-o', 'dist', '--minify', '--license', 'licenses.txt', '--target', 'es2022'],
  { cwd: ACTION, stdio: 'inherit' },
);
if (ncc.error !== undefined || ncc.status !== 0) {
  console.error(`ncc failed${ncc.error === undefined ? ` (exit ${ncc.status})` : `: ${ncc.error.message}`}`);
  process.exit(1);
}
writeFileSync(STAMP, `${want}\n`);
console.log(`action/dist built (inputs ${want.slice(0, 12)})`);
