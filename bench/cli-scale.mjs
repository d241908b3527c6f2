// `node bench/cli-scale.mjs`: the scale figures of SPEC section 9 as a user gets them, through the built
// `vellum-batch` command (not the library): a run of 100,000 instant executions, then 10 shard runs of the same
// dataset and their merge. Each command runs in a process of its own; its peak RSS and CPU come from
// `process.resourceUsage()` at exit (a preload), its wall time from spawn to exit. The fake Vellum
// (`vellum-batch fake-server`) runs in another process. Build first (`pnpm build`).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    cases: { type: 'string', default: '100000' },
    shards: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '256' },
    // Run only the first K of the N shards (the merge needs all of them, so it is skipped when K < N).
    'shard-runs': { type: 'string' },
    // Skip the run of the whole dataset.
    'no-whole': { type: 'boolean', default: false },
  },
});
const CASES = Number(opts.cases);
const SHARDS = Number(opts.shards);
const SHARD_RUNS = Math.min(SHARDS, Number(opts['shard-runs'] ?? SHARDS));
const BIN = fileURLToPath(new URL('../packages/cli/dist/bin.js', import.meta.url));
const KEY = 'bench-key';

const work = mkdtempSync(join(tmpdir(), 'vb-cli-scale-'));
const preload = join(work, 'usage.cjs');
writeFileSync(
  preload,
  `process.on('exit', () => {
  const u = process.resourceUsage();
  process.stderr.write('\\n@usage ' + JSON.stringify({ rssMb: u.maxRSS / 1024, cpuS: (u.userCPUTime + u.systemCPUTime) / 1e6 }) + '\\n');
});\n`,
);

async function writeDataset(path) {
  const out = createWriteStream(path);
  for (let i = 0; i < CASES; i++) {
    const line = `{"id":"case-${i}","inputs":{"query":"question ${i}"},"expected":{"query":"question ${i}"}}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function startServer() {
  const child = spawn(process.execPath, [BIN, 'fake-server', '--duration-ms', '0', '--api-key', KEY], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const url = /https?:\/\/\S+/.exec(line)?.[0];
    if (url) return { child, url: url.replace(/\/$/, '') };
  }
  throw new Error('fake-server exited before printing its URL');
}

/** Runs `vellum-batch ...args`; resolves with the exit code, wall seconds, peak RSS MB and CPU seconds. */
async function cli(args) {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, ['--require', preload, BIN, ...args], {
    env: { ...process.env, VELLUM_API_KEY: KEY },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const [code] = await once(child, 'exit');
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  const usage = JSON.parse(/@usage (.+)/.exec(stderr)?.[1] ?? 'null');
  if (usage === null) throw new Error(`no usage line from vellum-batch ${args[0]}:\n${stderr}`);
  return { code, wallS, ...usage, stderr };
}

const rows = [];
function report(name, result, cases) {
  rows.push({ name, cases, ...result, stderr: undefined });
  console.log(
    `${name.padEnd(28)} ${String(cases).padStart(7)} cases  exit ${result.code}  wall ${result.wallS.toFixed(1)} s  ` +
      `peak RSS ${result.rssMb.toFixed(0)} MB  CPU ${result.cpuS.toFixed(1)} s`,
  );
}

const server = await startServer();
try {
  const dataset = join(work, 'cases.jsonl');
  await writeDataset(dataset);
  const common = ['--dataset', dataset, '--workflow', 'demo', '--base-url', server.url];
  common.push('--concurrency', opts.concurrency);

  const whole = opts['no-whole'] ? null : await cli(['run', ...common, '--out', join(work, 'whole')]);
  if (whole !== null) report('run (whole dataset)', whole, CASES);

  const shardDirs = [];
  let shardWall = 0;
  let shardRss = 0;
  for (let i = 1; i <= SHARD_RUNS; i++) {
    const dir = join(work, `shard-${i}`);
    const result = await cli(['run', ...common, '--shard', `${i}/${SHARDS}`, '--out', dir]);
    if (result.code !== 0) throw new Error(`shard ${i} exited ${result.code}:\n${result.stderr}`);
    shardDirs.push(dir);
    shardWall += result.wallS;
    shardRss = Math.max(shardRss, result.rssMb);
    if (SHARD_RUNS < SHARDS) report(`run --shard ${i}/${SHARDS}`, result, Math.round(CASES / SHARDS));
  }
  if (SHARD_RUNS > 0) {
    console.log(
      `${SHARD_RUNS} shard runs: ${shardWall.toFixed(1)} s in all, the largest peak RSS ${shardRss.toFixed(0)} MB`,
    );
  }

  const merged =
    SHARD_RUNS === SHARDS && SHARDS > 0
      ? await cli(['merge', ...shardDirs, '--out', join(work, 'merged')])
      : null;
  if (merged !== null) report(`merge (${SHARDS} shards)`, merged, CASES);
  if ((whole !== null && whole.code !== 0) || (merged !== null && merged.code !== 0)) process.exitCode = 1;
} finally {
  server.child.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
