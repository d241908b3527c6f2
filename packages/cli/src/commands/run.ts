/** `vellum-batch run`: one batch against Vellum, gated. */
import { resolve } from 'node:path';
import {
  ConfigError,
  createClient,
  inShard,
  openDataset,
  runBatch,
  startWebhookServer,
} from '@vellum-batch/core';
import type {
  RunResult,
  VellumClient,
  WebhookRefusalReason,
  WebhookServer,
  WebhookStats,
} from '@vellum-batch/core';
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
  if (config.dryRun) {
    io.stderr.write(
      `dry run: ${dataset.size} cases in ${config.dataset}${config.shard ? ` (shard ${config.shard.index}/${config.shard.count})` : ''} are valid; nothing was submitted\n`,
    );
    return EXIT.passed;
  }

  const receiver = config.webhook === null ? null : await startReceiver(config, config.webhook, io);
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
        dataset: { ...dataset, shard: config.shard },
        workflow: config.workflow,
        outDir: config.out,
        concurrency: config.concurrency,
        gate: config.gate,
        timeoutMs: config.timeoutMs,
        executionTimeoutMs: config.executionTimeoutMs,
        externalIdPrefix: config.externalIdPrefix,
        track: config.track,
        completions: receiver ?? undefined,
        mode: config.resume ? 'resume' : config.retryFailed ? 'retry-failed' : 'fresh',
        signal,
        onEvent: (event) => {
          // Deliveries of another run (its id in the submit metadata) or deployment are ignored from here on.
          if (event.type === 'started') {
            receiver?.restrictTo({ deploymentId: config.workflow.deploymentId, runId: event.runId });
          }
          progress.onEvent(event);
        },
      }),
    );
    progress.done();
    if (receiver !== null) io.stderr.write(`${describeWebhookStats(receiver.stats)}\n`);
    printResult(result, config, io);
    return exitCodeOf(result);
  } finally {
    progress.done();
    await closeQuietly(client);
    await receiver?.close();
  }
}

/** What to check when deliveries are refused for a reason. */
const REFUSAL_HINTS: Readonly<Record<WebhookRefusalReason, string>> = {
  bad_token: "bad token; check the token configured in Vellum's Monitoring Integration",
  bad_signature:
    "bad HMAC signature; check the HMAC token given to Vellum and that --webhook-url is exactly the URL set in Vellum's Webhook Integration",
  stale: "signed more than 60s ago; check this machine's clock",
  future: "signed more than 5s ahead of this machine's clock; check the clock",
  malformed: 'not a Vellum webhook event',
  too_deep: 'nested too deeply',
  too_large: 'body too large',
};

/** A request path for a message: control bytes escaped, at most 200 characters. */
function printablePath(path: string): string {
  const escaped = JSON.stringify(path).slice(1, -1);
  return escaped.length > 200 ? `${escaped.slice(0, 200)}...` : escaped;
}

/** One line of webhook counts for the end of a run. */
export function describeWebhookStats(stats: Readonly<WebhookStats>): string {
  const reasons = Object.entries(stats.refusedBy)
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => `${reason.replace('_', ' ')} ${count}`);
  return (
    `webhooks: ${stats.received} received, ${stats.accepted} accepted, ${stats.duplicates} duplicates, ` +
    `${stats.ignored} ignored, ${stats.misrouted} misrouted, ${stats.refused} refused` +
    (reasons.length > 0 ? ` (${reasons.join(', ')})` : '')
  );
}

/**
 * Listens for Vellum's webhooks on all interfaces (Vellum must reach it), at the path of `--webhook-url`; says once per
 * reason when deliveries are refused, and once when one arrives at another path. The token and secret are never
 * printed.
 */
async function startReceiver(
  config: RunConfig,
  webhook: NonNullable<RunConfig['webhook']>,
  io: CliIo,
): Promise<WebhookServer> {
  const path = webhook.url === undefined ? '/' : new URL(webhook.url).pathname;
  const fallback =
    config.track === 'hybrid'
      ? 'polling continues'
      : 'executions without a delivery are polled after 5 minutes';
  try {
    const server = await startWebhookServer({
      token: webhook.token,
      tokenHeader: webhook.tokenHeader,
      secret: webhook.secret,
      port: webhook.port,
      host: '0.0.0.0',
      path,
      publicUrl: webhook.url,
      deploymentId: config.workflow.deploymentId,
      onRefused: ({ reason, count }) => {
        if (count === 1) {
          io.stderr.write(`webhook deliveries are being refused: ${REFUSAL_HINTS[reason]}; ${fallback}\n`);
        }
      },
      onMisrouted: (requested, count) => {
        if (count === 1) {
          io.stderr.write(
            `a delivery arrived at ${printablePath(requested)}, the receiver listens on ${path}: check the URL in Vellum's Webhook Integration and --webhook-url\n`,
          );
        }
      },
    });
    io.stderr.write(
      `listening for Vellum webhooks on port ${server.port}, path ${path}${webhook.url ? ` (public URL ${webhook.url})` : ''}\n`,
    );
    return server;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`--webhook-port ${webhook.port}: cannot listen: ${(error as Error).message}`);
  }
}

/** The exit code of a finished run (SPEC section 5). */
export function exitCodeOf(result: Pick<RunResult, 'summary'>): ExitCode {
  const stopped = result.summary.stopped?.reason;
  if (stopped === 'fatal') return EXIT.fatal;
  if (stopped === 'interrupted') return EXIT.interrupted;
  return result.summary.verdict === 'pass' ? EXIT.passed : EXIT.gateFailed;
}

/** Prints the outcome: summary.json with --json, else a few human lines; always the paths. */
export function printResult(
  result: Pick<RunResult, 'summary' | 'outDir'>,
  config: Pick<RunConfig, 'json'>,
  io: CliIo,
): void {
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
