// One measured client run, in its own process:
//   node clients.mjs <client> <url> <cases> <concurrency> <outDir> <capSeconds> [<options JSON>]
// options: {pollIntervalMs?: number (the peers' pause between rounds, default 1000),
//           webhook?: {port, secret} (vellum-batch-hybrid: where its receiver listens, the fake's signing secret)}
// Prints one JSON line: wall time, CPU (user + system) of the whole process and of the run alone (after imports),
// and peak RSS of this process, as the OS counts them. Each client imports only what it uses.
// Every client sends the same external ids (`bench-{i}`), so the seeded fake gives case i the same run time for all.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';

const [client, url, casesArg, concurrencyArg, outDir, capArg, optionsArg] = process.argv.slice(2);
const options = JSON.parse(optionsArg ?? '{}');
const n = Number(casesArg);
const concurrency = Number(concurrencyArg);
const capMs = Number(capArg ?? '180') * 1000;
const KEY = 'bench-key';
const DEPLOYMENT = 'demo';
const externalIdOf = (i) => `bench-${i}`;
/** When each execution's final status was seen by a peer (ms since the epoch), by execution id. */
const detected = {};
let capped = false;
/** vellum-batch's learned server limits, in order, with when each was learned (ms into the run). */
const limits = [];
/** Set just before the measured work starts (after imports and client construction). */
let workStart = 0;
/** The same moment on the wall clock (`Date.now()`), the fake's clock: see `epochWallMs` below. */
let workStartEpoch = 0;
let workCpu = { user: 0, system: 0 };
function startWork() {
  workStart = performance.now();
  workStartEpoch = Date.now();
  workCpu = process.cpuUsage();
}
const overCap = () => performance.now() - workStart > capMs;
// The seed document polls every 30 s; 1 s (the default) is kind to the peers.
const POLL_INTERVAL_MS = options.pollIntervalMs ?? 1000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const inputsOf = (i) => [{ name: 'query', type: 'STRING', value: `question ${i}` }];

/**
 * vellum-batch's engine, as the CLI drives it; cases generated lazily so 100,000 of them never sit in memory. With
 * `track` hybrid, a webhook receiver (as `--track hybrid` starts) takes the fake's signed deliveries.
 */
async function vellumBatch(track = 'poll') {
  const { createClient, runBatch, startWebhookServer } = await import('@vellum-batch/core');
  // The V8 settings the CLI's bin and the action's entry make for their process (see their modules).
  const { keepWasmOnBaseline, limitHeapGrowth } = await import('@vellum-batch/core/internal');
  keepWasmOnBaseline();
  limitHeapGrowth();
  const api = createClient({ apiKey: KEY, baseUrl: url });
  const receiver =
    track === 'poll'
      ? null
      : await startWebhookServer({
          port: options.webhook.port,
          secret: options.webhook.secret,
          publicUrl: `http://127.0.0.1:${options.webhook.port}/`,
        });
  startWork();
  const dataset = {
    path: 'bench',
    size: n,
    *cases() {
      for (let i = 0; i < n; i++) {
        yield { index: i, id: String(i), inputs: inputsOf(i), expected: {}, assertions: [], metadata: {} };
      }
    },
  };
  const { summary } = await runBatch({
    client: api,
    dataset,
    workflow: { deploymentName: DEPLOYMENT },
    outDir,
    concurrency,
    externalIdPrefix: 'bench-',
    timeoutMs: capMs,
    track,
    ...(receiver === null ? {} : { completions: receiver }),
    onEvent: (event) => {
      if (event.type === 'server-limit')
        limits.push({ limit: event.limit, atMs: Math.round(performance.now() - workStart) });
    },
  });
  await api.close();
  await receiver?.close();
  capped = summary.stopped !== null;
  return { completed: summary.fulfilled + summary.rejected };
}

/** The official SDK with its retries off. */
async function sdk() {
  const { VellumClient } = await import('vellum-ai');
  const vellum = new VellumClient({ apiKey: KEY, baseUrl: url });
  return vellum;
}
const NO_RETRY = { maxRetries: 0 };
const FINAL = new Set(['FULFILLED', 'REJECTED']);

/** Peer (a), the seed loop: submit one by one, then poll every pending execution one by one each round. */
async function seedLoop() {
  const vellum = await sdk();
  startWork();
  const pending = [];
  for (let i = 0; i < n; i++) {
    const { executionId } = await vellum.executeWorkflowAsync(
      { workflowDeploymentName: DEPLOYMENT, externalId: externalIdOf(i), inputs: inputsOf(i) },
      NO_RETRY,
    );
    pending.push(executionId);
  }
  let completed = 0;
  let remaining = pending;
  while (remaining.length > 0) {
    if (overCap()) {
      capped = true;
      break;
    }
    const still = [];
    for (const id of remaining) {
      const status = await vellum.workflows.workflowExecutionStatus(id, NO_RETRY);
      if (FINAL.has(status.status)) {
        completed += 1;
        detected[id] = Date.now();
      } else still.push(id);
    }
    remaining = still;
    if (remaining.length > 0) await sleep(POLL_INTERVAL_MS);
  }
  return { completed };
}

/** Peer (b): the same SDK with p-limit for submits and for each polling round. */
async function pLimited() {
  const vellum = await sdk();
  const { default: pLimit } = await import('p-limit');
  const limit = pLimit(concurrency);
  startWork();
  let remaining = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      limit(async () => {
        const { executionId } = await vellum.executeWorkflowAsync(
          { workflowDeploymentName: DEPLOYMENT, externalId: externalIdOf(i), inputs: inputsOf(i) },
          NO_RETRY,
        );
        return executionId;
      }),
    ),
  );
  let completed = 0;
  while (remaining.length > 0) {
    if (overCap()) {
      capped = true;
      break;
    }
    const done = await Promise.all(
      remaining.map((id) =>
        limit(async () => {
          const final = FINAL.has((await vellum.workflows.workflowExecutionStatus(id, NO_RETRY)).status);
          if (final) detected[id] = Date.now();
          return final;
        }),
      ),
    );
    completed += done.filter(Boolean).length;
    remaining = remaining.filter((_, i) => !done[i]);
    if (remaining.length > 0) await sleep(POLL_INTERVAL_MS);
  }
  return { completed };
}

/**
 * The limit (SPEC section 9): a bare undici client with nothing of its own, one pool as vellum-batch's (64
 * connections), `concurrency` workers each submitting a case and asking its status until final (every 1 s while
 * not). No journal, records, files or checks beyond `JSON.parse`: what any client over undici pays at least.
 */
async function bareUndici() {
  // The WebAssembly setting vellum-batch's processes make (`keepWasmOnBaseline`, on Node 20): any client over undici
  // could, so the limit takes it too and stays the floor.
  if (Number(process.versions.node.split('.')[0]) < 24) setFlagsFromString('--liftoff-only');
  const { Pool } = await import('undici');
  const origin = new URL(url);
  const pool = new Pool(origin.origin, { connections: 64, pipelining: 1 });
  const headers = { 'x-api-key': KEY, 'content-type': 'application/json' };
  const prefix = origin.pathname.replace(/\/$/, '');
  startWork();
  let next = 0;
  let completed = 0;
  const worker = async () => {
    while (next < n && !overCap()) {
      const i = next++;
      const body = JSON.stringify({
        workflow_deployment_name: DEPLOYMENT,
        external_id: externalIdOf(i),
        inputs: inputsOf(i),
      });
      const submit = await pool.request({
        method: 'POST',
        path: `${prefix}/v1/execute-workflow-async`,
        headers,
        body,
      });
      const { execution_id: id } = JSON.parse(await submit.body.text());
      for (;;) {
        const status = await pool.request({
          method: 'GET',
          path: `${prefix}/v1/workflows/executions/${id}/status`,
          headers,
        });
        if (FINAL.has(JSON.parse(await status.body.text()).status)) break;
        if (overCap()) {
          capped = true;
          return;
        }
        await sleep(POLL_INTERVAL_MS);
      }
      detected[id] = Date.now();
      completed += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await pool.close();
  return { completed };
}

const run = {
  'vellum-batch': () => vellumBatch('poll'),
  'vellum-batch-hybrid': () => vellumBatch('hybrid'),
  'peer-a-seed-loop': seedLoop,
  'peer-b-p-limit': pLimited,
  'limit-bare-undici': bareUndici,
}[client];
if (run === undefined) throw new Error(`unknown client ${client}`);
const { completed } = await run();
const wallMs = performance.now() - workStart;
// The fake stamps its executions with `Date.now()`, so the run's span on that clock is what its server span is
// compared with: a step of the system clock during the run (a time sync) moves both alike, not the monotonic wall.
const epochWallMs = Date.now() - workStartEpoch;
const runCpu = process.cpuUsage(workCpu);
const usage = process.resourceUsage();
if (!client.startsWith('vellum-batch'))
  writeFileSync(join(outDir, 'detected.json'), JSON.stringify(detected));
process.stdout.write(
  `${JSON.stringify({
    client,
    completed,
    capped,
    wallMs,
    epochWallMs,
    cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
    runCpuMs: (runCpu.user + runCpu.system) / 1000,
    peakRssMb: usage.maxRSS / 1024,
    limits,
  })}\n`,
);
