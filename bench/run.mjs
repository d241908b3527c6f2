// `pnpm bench`: SPEC section 9's scenarios for vellum-batch and two peers built on the official `vellum-ai` SDK,
// all against the testkit's fake Vellum running in a separate process, in one run. Prints one table and writes
// results/latest.json and results/latest.svg. See README.md for the options and the columns.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderSvg } from './chart.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..');

// pnpm 12 passes a `--` through to the script (`pnpm bench -- --quick`): a leading one is dropped.
const argv = process.argv.slice(2);
const { values: opts } = parseArgs({
  args: argv[0] === '--' ? argv.slice(1) : argv,
  options: {
    quick: { type: 'boolean', default: false },
    scenario: { type: 'string', multiple: true },
    'cap-seconds': { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  console.log(`usage: node bench/run.mjs [--quick] [--scenario queue-bound|long|throughput|scale]... [--cap-seconds N] [--no-build]
  --quick          smoke sizes: 200 / 40 / 1,000 / 10,000 cases (about three minutes)
  --scenario NAME  run only this scenario (repeatable, or comma-separated); "long" alone takes about 15 minutes
  --cap-seconds N  stop a client's run after N seconds and report it "capped" (default 180; 600 for long)
  --no-build       do not build @vellum-batch/core and @vellum-batch/testkit first`);
  process.exit(0);
}
const quick = opts.quick;
const capOption = opts['cap-seconds'] === undefined ? null : Number(opts['cap-seconds']);
const only = opts.scenario?.flatMap((s) => s.split(',')) ?? null;

/** Peer (b)'s p-limit, and the server limit of the queue-bound scenario. */
const SERVER_LIMIT = 50;
/** The HMAC token the fake signs its webhooks with in hybrid runs (loopback only). */
const WEBHOOK_SECRET = 'bench-webhook-secret';

const SCENARIOS = [
  {
    name: 'queue-bound',
    server: { concurrency: SERVER_LIMIT, durationMs: { min: 1000, max: 3000 }, seed: 7 },
    cases: quick ? 200 : 1000,
    clients: [
      // 200: above the server's limit, so the engine must find the limit itself.
      { client: 'vellum-batch', concurrency: 200 },
      { client: 'vellum-batch-hybrid', concurrency: 200 },
      { client: 'peer-a-seed-loop', concurrency: 1 },
      { client: 'peer-b-p-limit', concurrency: 50 },
    ],
  },
  {
    // Run times as real workflows have them: 20 s +-50%, ten waves through a limit of 20.
    name: 'long',
    server: { concurrency: 20, durationMs: { min: 10_000, max: 30_000 }, seed: 7 },
    cases: quick ? 40 : 200,
    capSeconds: 600,
    clients: [
      { client: 'vellum-batch', concurrency: 200 },
      { client: 'vellum-batch-hybrid', concurrency: 200 },
      // The seed document's loop as written: a round every 30 s.
      { client: 'peer-a-seed-loop', concurrency: 1, pollIntervalMs: 30_000 },
      { client: 'peer-b-p-limit', concurrency: 20 },
    ],
  },
  {
    name: 'throughput',
    server: { concurrency: null, durationMs: 0, seed: 7 },
    cases: quick ? 1000 : 5000,
    clients: [
      { client: 'vellum-batch', concurrency: 256 },
      { client: 'peer-a-seed-loop', concurrency: 1 },
      { client: 'peer-b-p-limit', concurrency: 50 },
      // The limit: undici alone, at vellum-batch's concurrency (what no client over undici can beat).
      { client: 'limit-bare-undici', concurrency: 256 },
    ],
  },
  {
    name: 'scale',
    server: { concurrency: null, durationMs: 0, seed: 7 },
    cases: quick ? 10000 : 100000,
    clients: [
      { client: 'vellum-batch', concurrency: 256 },
      // The peers would take too long at 100,000: they run at 1,000 to show their memory.
      { client: 'peer-a-seed-loop', concurrency: 1, cases: 1000 },
      { client: 'peer-b-p-limit', concurrency: 50, cases: 1000 },
    ],
  },
].filter((s) => only === null || only.includes(s.name));
if (SCENARIOS.length === 0) {
  console.error(`no such scenario: ${only?.join(', ')} (known: queue-bound, long, throughput, scale)`);
  process.exit(2);
}

function build() {
  const turbo = join(root, 'node_modules', '.bin', 'turbo');
  if (!existsSync(turbo)) return;
  process.stderr.write('building @vellum-batch/core and @vellum-batch/testkit ...\n');
  const result = spawnSync(
    turbo,
    [
      'run',
      'build',
      '--filter=@vellum-batch/core',
      '--filter=@vellum-batch/testkit',
      '--output-logs=errors-only',
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (result.status !== 0) {
    console.error('the build failed; run `pnpm build` to see why');
    process.exit(1);
  }
}

/** Starts server.mjs in its own process and returns its control client. */
async function startServer() {
  const child = spawn(process.execPath, [join(here, 'server.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  const { control } = JSON.parse(line);
  const call = async (method, path, body) => {
    const res = await fetch(`${control}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    if (!res.ok) throw new Error(`bench server: ${method} ${path} answered ${res.status}`);
    return res.json();
  };
  return {
    reset: (options) => call('POST', '/reset', options),
    stats: () => call('GET', '/stats'),
    executions: () => call('GET', '/executions'),
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end();
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A port free on loopback right now (for a hybrid client's webhook receiver). */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Runs one client in its own process; a hard kill 60 s after its own cap counts as capped. */
function runClient(client, url, cases, concurrency, outDir, capSeconds, options) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        join(here, 'clients.mjs'),
        client,
        url,
        String(cases),
        String(concurrency),
        outDir,
        String(capSeconds),
        JSON.stringify(options),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    const kill = setTimeout(() => child.kill('SIGKILL'), (capSeconds + 60) * 1000);
    child.on('exit', (code, signal) => {
      clearTimeout(kill);
      if (signal === 'SIGKILL') resolve({ client, capped: true, killed: true });
      else if (code !== 0) reject(new Error(`${client} exited with ${code}`));
      else resolve(JSON.parse(out.trim().split('\n').at(-1)));
    });
  });
}

/** Nearest-rank percentile of a sorted list. */
function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Detection delays (ms): when the client learned of each final state, minus when the server finished it. */
function detectionDelays(client, outDir, finishedAt) {
  const delays = [];
  if (client.startsWith('vellum-batch')) {
    const path = join(outDir, 'results.jsonl');
    if (!existsSync(path)) return delays;
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (line === '') continue;
      const r = JSON.parse(line);
      const end = finishedAt.get(r.execution_id);
      if (end !== undefined && r.finished_at !== null) delays.push(Date.parse(r.finished_at) - end);
    }
  } else {
    const path = join(outDir, 'detected.json');
    if (!existsSync(path)) return delays;
    for (const [id, at] of Object.entries(JSON.parse(readFileSync(path, 'utf8')))) {
      const end = finishedAt.get(id);
      if (end !== undefined) delays.push(at - end);
    }
  }
  return delays.sort((a, b) => a - b);
}

if (!opts['no-build']) build();
const server = await startServer();
const rows = [];
try {
  for (const scenario of SCENARIOS) {
    for (const { client, concurrency, cases: casesOverride, pollIntervalMs } of scenario.clients) {
      const cases = casesOverride ?? scenario.cases;
      const capSeconds = capOption ?? scenario.capSeconds ?? 180;
      const options = pollIntervalMs === undefined ? {} : { pollIntervalMs };
      const fakeOptions = { ...scenario.server };
      if (client === 'vellum-batch-hybrid') {
        const port = await freePort();
        options.webhook = { port, secret: WEBHOOK_SECRET };
        fakeOptions.webhook = { url: `http://127.0.0.1:${port}/`, secret: WEBHOOK_SECRET };
      }
      const { url } = await server.reset(fakeOptions);
      const outDir = mkdtempSync(join(tmpdir(), 'vb-bench-'));
      process.stderr.write(`${scenario.name}: ${client} (${cases} cases, concurrency ${concurrency}) ... `);
      const result = await runClient(client, url, cases, concurrency, outDir, capSeconds, options);
      const stats = await server.stats();
      const executions = await server.executions();
      const finishedAt = new Map();
      let sumDurationMs = 0;
      let firstCreated = Infinity;
      let lastFinished = -Infinity;
      for (const e of executions) {
        if (e.finishedAt !== null) {
          finishedAt.set(e.id, e.finishedAt);
          sumDurationMs += e.durationMs;
          lastFinished = Math.max(lastFinished, e.finishedAt);
        }
        firstCreated = Math.min(firstCreated, e.createdAt);
      }
      const delays = detectionDelays(client, outDir, finishedAt);
      rmSync(outDir, { recursive: true, force: true });
      const wallS = result.killed ? null : result.wallMs / 1000;
      const row = {
        scenario: scenario.name,
        client,
        cases,
        concurrency,
        pollS:
          client.startsWith('peer') || client.startsWith('limit') ? (pollIntervalMs ?? 1000) / 1000 : null,
        capped: result.capped === true,
        completed: result.completed ?? null,
        executions: stats.executionsCreated,
        wallS,
        cpuS: result.killed ? null : result.cpuMs / 1000,
        runCpuS: result.killed ? null : result.runCpuMs / 1000,
        cpuPer1kS: result.killed ? null : result.runCpuMs / cases,
        peakRssMb: result.killed ? null : result.peakRssMb,
        casesPerS: wallS === null || result.capped ? null : cases / wallS,
        statusRequests: stats.requests.status,
        statusPerExec: stats.requests.status / Math.max(1, stats.executionsCreated),
        // vellum-batch: each server limit it learned, in order ({limit, atMs}); the last one sized its window.
        limitsLearned: result.limits ?? [],
        detectP50Ms: percentile(delays, 50),
        detectP95Ms: percentile(delays, 95),
      };
      if (scenario.server.concurrency !== null) {
        const limit = scenario.server.concurrency;
        row.boundS = sumDurationMs / limit / 1000;
        row.wallOverBound = wallS === null ? null : wallS / row.boundS;
        // The server's own span, first submit to last finish: its FIFO queue cannot pack the last executions.
        row.serverS = (lastFinished - firstCreated) / 1000;
        // On the fake's clock (`Date.now()`): the client's wall on the same clock, so that a step of the system clock
        // during the run (seen once: a hybrid row at 0.989) cannot make the client look faster than the server.
        row.wallOverServer = wallS === null ? null : result.epochWallMs / 1000 / row.serverS;
      }
      // How far the system clock moved against the monotonic one during the client's run (a time sync).
      row.clockStepS = wallS === null ? null : (result.epochWallMs - result.wallMs) / 1000;
      rows.push(row);
      const step =
        row.clockStepS !== null && Math.abs(row.clockStepS) >= 0.05
          ? ` (the system clock moved ${row.clockStepS.toFixed(2)} s against the monotonic one meanwhile)`
          : '';
      process.stderr.write(
        `${wallS === null ? 'killed' : `${wallS.toFixed(1)} s`}${row.capped ? ' (capped)' : ''}, ${row.completed} completed${step}\n`,
      );
    }
  }
} finally {
  await server.stop();
}

// Ratios against peer (b), and vellum-batch's CPU against the bare-undici limit, of the same scenario and size.
for (const row of rows) {
  const peer = rows.find(
    (r) => r.scenario === row.scenario && r.client === 'peer-b-p-limit' && r.cases === row.cases,
  );
  row.speedVsPeerB = peer?.casesPerS && row.casesPerS ? row.casesPerS / peer.casesPerS : null;
  row.cpuVsPeerB = peer?.cpuPer1kS && row.cpuPer1kS ? peer.cpuPer1kS / row.cpuPer1kS : null;
  const limit = rows.find(
    (r) => r.scenario === row.scenario && r.client === 'limit-bare-undici' && r.cases === row.cases,
  );
  row.cpuOverLimit = limit?.cpuPer1kS && row.cpuPer1kS ? row.cpuPer1kS / limit.cpuPer1kS : null;
}

// SPEC section 9's targets, checked on vellum-batch's rows (polling, and hybrid where the SPEC sets one).
const checks = [];
for (const row of rows.filter((r) => r.client.startsWith('vellum-batch'))) {
  const hybrid = row.client === 'vellum-batch-hybrid';
  row.targets = [];
  const check = (what, value, target, ok) => {
    const c = { scenario: row.scenario, what, value, target, ok: value !== null && ok };
    checks.push(c);
    row.targets.push(c);
  };
  if (row.scenario === 'queue-bound') {
    const [span, status] = hybrid ? [1.01, 0.1] : [1.02, 1.5];
    check('wall/server', row.wallOverServer, `<= ${span}`, row.wallOverServer <= span);
    check('status/exec', row.statusPerExec, `<= ${status}`, row.statusPerExec <= status);
  } else if (row.scenario === 'long' && !hybrid) {
    check('status/exec', row.statusPerExec, '<= 1.5', row.statusPerExec <= 1.5);
    check('detect p50 ms', row.detectP50Ms, '<= 2000', row.detectP50Ms <= 2000);
  } else if (row.scenario === 'throughput') {
    check('x peer b', row.speedVsPeerB, '>= 8', row.speedVsPeerB >= 8);
    check('CPU s/1k', row.cpuPer1kS, '<= 0.2', row.cpuPer1kS <= 0.2);
  } else if (row.scenario === 'scale') {
    check('RSS MB', row.peakRssMb, '<= 150', row.peakRssMb <= 150);
  }
}

const fmt = (v, d = 2) => (v === undefined || v === null ? '-' : v.toFixed(d));
const header = [
  'scenario',
  'client (concurrency)',
  'cases',
  'wall s',
  'bound s',
  'server s',
  'wall/bound',
  'wall/server',
  'status/exec',
  'CPU s',
  'CPU s/1k',
  'RSS MB',
  'cases/s',
  'x peer b',
  'detect p50/p95 ms',
  'targets (SPEC 9)',
];
const table = rows.map((r) => [
  r.scenario,
  `${r.client} (${r.concurrency}${r.pollS === null ? '' : `, polls every ${r.pollS} s`})${r.capped ? ' CAPPED' : ''}`,
  String(r.cases),
  fmt(r.wallS, 1),
  fmt(r.boundS, 1),
  fmt(r.serverS, 1),
  fmt(r.wallOverBound, 3),
  fmt(r.wallOverServer, 3),
  fmt(r.statusPerExec),
  fmt(r.cpuS),
  fmt(r.cpuPer1kS, 3),
  fmt(r.peakRssMb, 0),
  fmt(r.casesPerS, 0),
  fmt(r.speedVsPeerB, 1),
  r.detectP50Ms === null ? '-' : `${r.detectP50Ms}/${r.detectP95Ms}`,
  (r.targets ?? [])
    .map(
      (c) => `${c.what} ${fmt(c.value, c.what === 'RSS MB' ? 0 : 2)} ${c.target} ${c.ok ? 'PASS' : 'FAIL'}`,
    )
    .join('; ') || '-',
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of table) console.log(line(row));
for (const row of rows.filter((r) => r.client.startsWith('vellum-batch') && r.cpuOverLimit !== null)) {
  console.log(
    `${row.scenario}: ${row.client} CPU s/1k is ${row.cpuOverLimit.toFixed(2)}x the bare-undici limit's in the same run`,
  );
}
for (const row of rows.filter((r) => r.limitsLearned.length > 0)) {
  const learned = row.limitsLearned.map((l) => `${l.limit} at ${l.atMs} ms`).join(', ');
  console.log(`${row.scenario}: ${row.client} learned the server limit as ${learned}`);
}
const failed = checks.filter((c) => !c.ok).length;
console.log(
  `\n${checks.length - failed}/${checks.length} targets met${quick ? ' (quick sizes: targets are for the full sizes)' : ''}. ` +
    `CPU s = whole client process; CPU s/1k = the run alone (after imports). Peers poll every 1 s unless said.`,
);

mkdirSync(join(here, 'results'), { recursive: true });
const report = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: (await import('node:os')).cpus().length,
  quick,
  capSeconds: capOption,
  rows,
  checks,
};
writeFileSync(join(here, 'results', 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(join(here, 'results', 'latest.svg'), renderSvg(report));
console.log('written: bench/results/latest.json, bench/results/latest.svg');
