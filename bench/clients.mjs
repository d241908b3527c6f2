// One measured client run, in its own process: `node clients.mjs <client> <url> <cases> <concurrency> <outDir>`.
// Prints one JSON line: wall time, CPU (user + system) and peak RSS of this process, as the OS counts them.
// Each client imports only what it uses, so start-up cost is its own.

const [client, url, casesArg, concurrencyArg, outDir] = process.argv.slice(2);
const n = Number(casesArg);
const concurrency = Number(concurrencyArg);
const KEY = 'bench-key';
const DEPLOYMENT = 'bench';
const POLL_INTERVAL_MS = 1000; // the seed document polls every 30 s; 1 s is kind to the peers
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const inputsOf = (i) => [{ name: 'query', type: 'STRING', value: `question ${i}` }];

/** vellum-batch's engine, as the CLI drives it; cases generated lazily so 100,000 of them never sit in memory. */
async function vellumBatch() {
  const { createClient, runBatch } = await import('@vellum-batch/core');
  const api = createClient({ apiKey: KEY, baseUrl: url });
  const dataset = {
    path: 'bench',
    size: n,
    *cases() {
      for (let i = 0; i < n; i++) {
        yield { index: i, id: `case-${i}`, inputs: inputsOf(i), expected: {}, assertions: [], metadata: {} };
      }
    },
  };
  const { summary } = await runBatch({
    client: api,
    dataset,
    workflow: { deploymentName: DEPLOYMENT },
    outDir,
    concurrency,
  });
  await api.close();
  return { completed: summary.fulfilled + summary.rejected };
}

/** The official SDK with its retries off. */
async function sdk() {
  const { VellumClient } = await import('vellum-ai');
  return new VellumClient({ apiKey: KEY, baseUrl: url });
}
const NO_RETRY = { maxRetries: 0 };
const FINAL = new Set(['FULFILLED', 'REJECTED']);

/** Peer (a), the seed loop: submit one by one, then poll every pending execution one by one each round. */
async function seedLoop() {
  const vellum = await sdk();
  const pending = [];
  for (let i = 0; i < n; i++) {
    const { executionId } = await vellum.executeWorkflowAsync(
      { workflowDeploymentName: DEPLOYMENT, externalId: `seed-${process.pid}-${i}`, inputs: inputsOf(i) },
      NO_RETRY,
    );
    pending.push(executionId);
  }
  let completed = 0;
  let remaining = pending;
  while (remaining.length > 0) {
    const still = [];
    for (const id of remaining) {
      const status = await vellum.workflows.workflowExecutionStatus(id, NO_RETRY);
      if (FINAL.has(status.status)) completed += 1;
      else still.push(id);
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
  let remaining = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      limit(async () => {
        const { executionId } = await vellum.executeWorkflowAsync(
          {
            workflowDeploymentName: DEPLOYMENT,
            externalId: `plimit-${process.pid}-${i}`,
            inputs: inputsOf(i),
          },
          NO_RETRY,
        );
        return executionId;
      }),
    ),
  );
  let completed = 0;
  while (remaining.length > 0) {
    const done = await Promise.all(
      remaining.map((id) =>
        limit(async () => FINAL.has((await vellum.workflows.workflowExecutionStatus(id, NO_RETRY)).status)),
      ),
    );
    completed += done.filter(Boolean).length;
    remaining = remaining.filter((_, i) => !done[i]);
    if (remaining.length > 0) await sleep(POLL_INTERVAL_MS);
  }
  return { completed };
}

const run = { 'vellum-batch': vellumBatch, 'peer-a-seed-loop': seedLoop, 'peer-b-p-limit': pLimited }[client];
if (run === undefined) throw new Error(`unknown client ${client}`);
const started = performance.now();
const { completed } = await run();
const wallMs = performance.now() - started;
const usage = process.resourceUsage();
process.stdout.write(
  `${JSON.stringify({
    client,
    completed,
    wallMs,
    cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
    peakRssMb: usage.maxRSS / 1024,
  })}\n`,
);
