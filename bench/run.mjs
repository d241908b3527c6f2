// `pnpm bench`: SPEC section 9's scenarios for vellum-batch and two peers built on the official `vellum-ai` SDK,
// all against the testkit server in a separate process, in one run. Prints one table and writes
// results/latest.json and results/latest.svg. Options: --quick (smaller sizes), --scenario NAME (one only).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { renderSvg } from './chart.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.includes('--scenario') ? args[args.indexOf('--scenario') + 1] : null;

const SCENARIOS = [
  {
    name: 'queue-bound',
    title: `queue-bound: ${quick ? 200 : 1000} cases, server limit 50, 2 s +-50%`,
    server: { concurrency: 50, durationMs: { min: 1000, max: 3000 }, seed: 7 },
    cases: quick ? 200 : 1000,
    clients: [
      ['vellum-batch', 200],
      ['peer-a-seed-loop', 1],
      ['peer-b-p-limit', 50],
    ],
    serverLimit: 50,
  },
  {
    name: 'throughput',
    title: `throughput: ${quick ? 1000 : 5000} instant executions, no server limit`,
    server: { durationMs: 0, seed: 7 },
    cases: quick ? 1000 : 5000,
    clients: [
      ['vellum-batch', 256],
      ['peer-a-seed-loop', 1],
      ['peer-b-p-limit', 50],
    ],
  },
  {
    name: 'scale',
    title: `scale: ${quick ? 10000 : 100000} instant executions (peers at 1,000)`,
    server: { durationMs: 0, seed: 7 },
    cases: quick ? 10000 : 100000,
    clients: [
      ['vellum-batch', 256],
      ['peer-a-seed-loop', 1, 1000],
      ['peer-b-p-limit', 50, 1000],
    ],
  },
].filter((s) => only === null || s.name === only);

async function startServer(options) {
  const child = spawn(process.execPath, [join(here, 'server.mjs'), JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  const { url, control } = JSON.parse(line);
  const get = async (path) => (await fetch(`${control}${path}`)).json();
  const stop = async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  return { url, get, stop };
}

function runClient(client, url, cases, concurrency, outDir) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(here, 'clients.mjs'), client, url, String(cases), String(concurrency), outDir],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    const cap = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('exit', (code, signal) => {
      clearTimeout(cap);
      if (signal === 'SIGKILL') resolve({ client, capped: true });
      else if (code !== 0) reject(new Error(`${client} exited with ${code}`));
      else resolve(JSON.parse(out.trim().split('\n').at(-1)));
    });
  });
}

function percentile(sorted, p) {
  return sorted.length === 0
    ? null
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const rows = [];
for (const scenario of SCENARIOS) {
  for (const [client, concurrency, casesOverride] of scenario.clients) {
    const cases = casesOverride ?? scenario.cases;
    const server = await startServer(scenario.server);
    const outDir = mkdtempSync(join(tmpdir(), 'vb-bench-'));
    process.stderr.write(`${scenario.name}: ${client} (${cases} cases, concurrency ${concurrency}) ...\n`);
    const result = await runClient(client, server.url, cases, concurrency, outDir);
    const stats = await server.get('/stats');
    const executions = await server.get('/executions');
    await server.stop();
    const row = {
      scenario: scenario.name,
      client,
      cases,
      concurrency,
      capped: result.capped === true,
      wallS: result.wallMs / 1000,
      cpuS: result.cpuMs / 1000,
      cpuPer1kS: result.cpuMs / 1000 / (cases / 1000),
      peakRssMb: result.peakRssMb,
      casesPerS: cases / (result.wallMs / 1000),
      statusPerExec: stats.requests.status / Math.max(1, executions.count),
      executions: executions.count,
    };
    if (scenario.serverLimit !== undefined) {
      row.boundS = executions.sumDurationMs / scenario.serverLimit / 1000;
      row.wallOverBound = row.wallS / row.boundS;
      // What the server itself took, first submit to last finish: no client can be faster than its FIFO queue.
      row.serverS = (executions.lastFinish - executions.firstCreated) / 1000;
    }
    if (client === 'vellum-batch' && !row.capped) {
      const delays = readFileSync(join(outDir, 'results.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
        .map((r) => Date.parse(r.finished_at) - executions.finishedAt[r.execution_id])
        .filter(Number.isFinite)
        .sort((a, b) => a - b);
      row.detectP50Ms = percentile(delays, 50);
      row.detectP95Ms = percentile(delays, 95);
    }
    rmSync(outDir, { recursive: true, force: true });
    rows.push(row);
  }
}

// Ratios against peer (b) and the targets of SPEC section 9.
const find = (scenario, client) => rows.find((r) => r.scenario === scenario && r.client === client);
const checks = [];
const vbQueue = find('queue-bound', 'vellum-batch');
if (vbQueue) {
  checks.push([
    'queue-bound wall / lower bound',
    vbQueue.wallOverBound,
    '<= 1.03',
    vbQueue.wallOverBound <= 1.03,
  ]);
  checks.push([
    'queue-bound status requests / execution',
    vbQueue.statusPerExec,
    '<= 2.0',
    vbQueue.statusPerExec <= 2.0,
  ]);
}
const vbThroughput = find('throughput', 'vellum-batch');
const peerB = find('throughput', 'peer-b-p-limit');
if (vbThroughput && peerB) {
  const ratio = vbThroughput.casesPerS / peerB.casesPerS;
  checks.push(['throughput cases/s vs peer (b)', ratio, '>= 5x', ratio >= 5]);
  checks.push([
    'throughput client CPU s / 1,000 cases',
    vbThroughput.cpuPer1kS,
    '<= 0.3',
    vbThroughput.cpuPer1kS <= 0.3,
  ]);
}
const vbScale = find('scale', 'vellum-batch');
if (vbScale)
  checks.push([
    `scale peak RSS MB (${vbScale.cases} cases)`,
    vbScale.peakRssMb,
    '<= 200',
    vbScale.peakRssMb <= 200,
  ]);

const fmt = (v, d = 2) =>
  v === undefined || v === null ? '-' : typeof v === 'number' ? v.toFixed(d) : String(v);
const header = [
  'scenario',
  'client',
  'cases',
  'wall s',
  'bound s',
  'wall/bound',
  'status/exec',
  'CPU s',
  'CPU s/1k',
  'peak RSS MB',
  'cases/s',
  'detect p50/p95 ms',
];
const table = rows.map((r) => [
  r.scenario,
  r.client + (r.capped ? ' (capped)' : ''),
  String(r.cases),
  fmt(r.wallS, 1),
  fmt(r.boundS, 1),
  fmt(r.serverS, 1),
  fmt(r.wallOverBound, 3),
  fmt(r.statusPerExec),
  fmt(r.cpuS),
  fmt(r.cpuPer1kS, 3),
  fmt(r.peakRssMb, 0),
  fmt(r.casesPerS, 0),
  r.detectP50Ms === undefined ? '-' : `${r.detectP50Ms}/${r.detectP95Ms}`,
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of table) console.log(line(row));
console.log('');
for (const [what, value, target, ok] of checks)
  console.log(`${ok ? 'MET ' : 'MISS'} ${what}: ${fmt(value, 3)} (target ${target})`);

mkdirSync(join(here, 'results'), { recursive: true });
const report = {
  date: new Date().toISOString(),
  node: process.version,
  quick,
  rows,
  checks: checks.map(([what, value, target, ok]) => ({ what, value, target, ok })),
};
writeFileSync(join(here, 'results', 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(join(here, 'results', 'latest.svg'), renderSvg(report));
console.log(`\nwritten: bench/results/latest.json, bench/results/latest.svg`);
