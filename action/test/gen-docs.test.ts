/**
 * The README's tables are generated from action.yml, and action.yml declares exactly the inputs and outputs
 * the code reads and sets.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INPUT_NAMES } from '../src/inputs.js';
import { OUTPUT_NAMES } from '../src/summary.js';

const SCRIPT = fileURLToPath(new URL('../scripts/gen-docs.mjs', import.meta.url));
const ACTION_YML = fileURLToPath(new URL('../../action.yml', import.meta.url));
const README = fileURLToPath(new URL('../README.md', import.meta.url));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-docs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function gen(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('gen-docs', () => {
  it('finds the committed README up to date', () => {
    expect(gen('--check')).toMatchObject({ code: 0 });
  });

  it('lists exactly the inputs and outputs the code uses, in order', () => {
    const printed = execFileSync(process.execPath, [SCRIPT, '--print'], { encoding: 'utf8' });
    const names = [...printed.matchAll(/^\| `([\w-]+)` +\|/gm)].map((m) => m[1]);
    expect(names).toEqual([...INPUT_NAMES, ...OUTPUT_NAMES]);
  });

  it('reports a stale README in --check mode and rewrites it otherwise', async () => {
    const yml = join(dir, 'action.yml');
    const readme = join(dir, 'README.md');
    const text = await readFile(ACTION_YML, 'utf8');
    await writeFile(yml, text.replace('The number of cases run.', 'How many cases ran.'));
    await copyFile(README, readme);

    const check = gen('--check', '--action', yml, '--readme', readme);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain('is out of date');

    expect(gen('--action', yml, '--readme', readme).code).toBe(0);
    expect(await readFile(readme, 'utf8')).toMatch(/^\| `total` +\| How many cases ran\. +\|$/m);
    expect(gen('--check', '--action', yml, '--readme', readme).code).toBe(0);
  });

  it('refuses an action.yml shape it cannot read', async () => {
    const yml = join(dir, 'action.yml');
    await writeFile(yml, 'inputs:\n  dataset:\n    description: |\n      multi\n');
    const r = gen('--print', '--action', yml);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('action.yml:3: block scalars are not supported');
  });
});
