/** `vellum-batch run`: one batch against Vellum, gated. */
import { resolve } from 'node:path';
import {
  applyBaseline,
  checkBaseline,
  ConfigError,
  createClient,
  inShard,
  openDataset,
  runBatch,
  startWebhookServer,
} from '@vellum-batch/core';
import type { RunResult, VellumClient, WebhookServer } from '@vellum-batch/core';
import type { CliIo } from '../cli.js';
import { EXIT } from '../exit-codes.js';
import type { ExitCode } from '../exit-codes.js';
import { parseRunFlags } from '../flags.js';
import type { RunConfig } from '../flags.js';
import { ProgressReporter } from '../progress.js';
import { withSignals } from '../signals.js';

/** Runs `vellum-batch run` with commander's raw flags. */
export async function runCommand(flags: Record<string, unknown>, io: CliIo): Promise<ExitCode> {
  const config = parseRunFlags(flags, io.env);
  const apiKey = io.env[config.apiKeyEnv]?.trim() ?? '';
  if (apiKey === '' && !config.dryRun) {
    throw new ConfigError(
      `no API key: set the environment variable ${config.apiKeyEnv} (or name another one with --api-key-env)`,
    );
  }
  const dataset = await openDataset(config.dataset, config.shard ? { filter: inShard(config.shard) } : {});
  if (config.baseline !== null) {
    // A wrong --baseline is a usage error found before anything is submitted.
    await checkBaseline(config.baseline.dir, {
      workflow: {
        deployment_name: config.workflow.deploymentName ?? null,
        deployment_id: config.workflow.deploymentId ?? null,
      },
      anyWorkflow: config.baseline.anyWorkflow,
    });
  }
  if (config.dryRun) {
    io.stderr.write(
      `dry run: ${dataset.size} cases in ${config.dataset}${config.shard ? ` (shard ${config.shard.index}/${config.shard.count})` : ''} are valid; nothing was submitted\n`,
    );
    return EXIT.passed;
  }

  const receiver = config.webhook === null ? null : await startReceiver(config.webhook, io);
  const progress = new ProgressReporter({ stream: io.stderr });
  const client = createClient({
    apiKey,
    baseUrl: config.baseUrl,
    onRetry: (info) => {
      if (info.attempt === 0 || info.attempt % 3 === 2) {
        io.stderr.write(
          `retrying ${info.operation} in ${Math.round(info.delayMs)}ms: ${info.error.message}\n`,
        );
      }
    },
  });
  try {
    const result = await withSignals(io, (signal) =>
      runBatch({
        client,
        dataset,
        workflow: config.workflow,
        outDir: config.out,
        concurrency: config.concurrency,
        gate: config.gate,
        timeoutMs: config.timeoutMs,
        executionTimeoutMs: config.executionTimeoutMs,
        externalIdPrefix: config.externalIdPrefix,
        shard: config.shard,
        track: config.track,
        completions: receiver ?? undefined,
        resume: config.resume,
        retryFailed: config.retryFailed,
        signal,
        onEvent: (event) => progress.onEvent(event),
      }),
    );
    progress.done();
    const final = await withBaseline(result, config.baseline);
    printResult(final, config, io);
    return exitCodeOf(final);
  } finally {
    progress.done();
    await closeQuietly(client);
    await receiver?.close();
  }
}

/** Listens for Vellum's webhooks on all interfaces (Vellum must reach it), at the path of `--webhook-url`. */
async function startReceiver(webhook: NonNullable<RunConfig['webhook']>, io: CliIo): Promise<WebhookServer> {
  const path = webhook.url === undefined ? '/' : new URL(webhook.url).pathname;
  try {
    const server = await startWebhookServer({
      secret: webhook.secret,
      port: webhook.port,
      host: '0.0.0.0',
      path,
      publicUrl: webhook.url,
    });
    io.stderr.write(
      `listening for Vellum webhooks on port ${server.port}, path ${path}${webhook.url ? ` (public URL ${webhook.url})` : ''}\n`,
    );
    return server;
  } catch (error) {
    throw new ConfigError(`--webhook-port ${webhook.port}: cannot listen: ${(error as Error).message}`);
  }
}

/** Compares a finished run's out dir with `--baseline` (rewriting its files), or returns it as it is. */
export async function withBaseline(result: RunResult, baseline: RunConfig['baseline']): Promise<RunResult> {
  if (baseline === null) return result;
  const compared = await applyBaseline(result.outDir, baseline.dir, {
    maxNewFailures: baseline.maxNewFailures,
    anyWorkflow: baseline.anyWorkflow,
  });
  return { summary: compared.summary, outDir: compared.outDir, markdown: compared.markdown };
}

/** The exit code of a finished run (SPEC section 5). */
export function exitCodeOf(result: RunResult): ExitCode {
  const stopped = result.summary.stopped?.reason;
  if (stopped === 'fatal') return EXIT.fatal;
  if (stopped === 'interrupted') return EXIT.interrupted;
  return result.summary.verdict === 'pass' ? EXIT.passed : EXIT.gateFailed;
}

/** Prints the outcome: summary.json with --json, else a few human lines; always the paths. */
export function printResult(result: RunResult, config: Pick<RunConfig, 'json'>, io: CliIo): void {
  const { summary } = result;
  if (config.json) {
    io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  }
  const lines: string[] = [];
  if (summary.stopped !== null) lines.push(`stopped (${summary.stopped.reason}): ${summary.stopped.message}`);
  lines.push(
    `${summary.verdict === 'pass' ? 'PASS' : 'FAIL'}: ${summary.passed}/${summary.total} passed, ${summary.failed} failed ` +
      `(${summary.rejected} rejected, ${summary.errored} errored) in ${(summary.duration_ms / 1000).toFixed(1)}s`,
  );
  const c = summary.comparison;
  if (c !== undefined) {
    lines.push(
      `compared with run ${c.baseline.run_id}: ${c.regressions} regressed, ${c.fixes} fixed, ` +
        `${c.still_failing} still failing, ${c.added} added, ${c.removed} removed` +
        (c.regressions > 0
          ? ` (regressed: ${c.regressed_ids.slice(0, 10).join(', ')}${c.regressions > 10 ? ', …' : ''})`
          : ''),
    );
  }
  for (const reason of summary.gate.reasons) lines.push(`  - ${reason}`);
  lines.push(`results: ${resolve(result.outDir)} (results.jsonl, summary.json, report.md, junit.xml)`);
  (config.json ? io.stderr : io.stdout).write(`${lines.join('\n')}\n`);
}

async function closeQuietly(client: VellumClient): Promise<void> {
  try {
    await client.close();
  } catch {
    // closing a pool whose sockets are gone is not worth a message
  }
}
