/** `vellum-batch run`: one batch against Vellum, gated. */
import { join, resolve } from 'node:path';
import { ConfigError, createClient, readRecords, runBatch, startWebhookServer } from '@vellum-batch/core';
import type { CaseRecord, RunResult, VellumClient, WebhookServer } from '@vellum-batch/core';
import type { CliIo } from '../cli.js';
import { EXIT } from '../exit-codes.js';
import type { ExitCode } from '../exit-codes.js';
import { continueCommand, isListedFailure, MAX_LISTED_FAILURES, renderFinalReport } from '../final-report.js';
import { flagName, parseRunFlags } from '../flags.js';
import type { FlagLabel, RunConfig } from '../flags.js';
import { ProgressReporter } from '../progress.js';
import { withSignals } from '../signals.js';
import { openRunDataset } from '../stdin.js';
import type { RunDataset } from '../stdin.js';

/** What `run` knows of how it was called. */
export interface RunContext {
  /** The arguments after the program name, for the command that continues an interrupted run. */
  readonly argv: readonly string[];
  /** Names a flag in errors: `--concurrency`, or the config file and key it came from. @default flagName */
  readonly label?: FlagLabel;
}

/** Runs `vellum-batch run` with commander's raw flags (merged with the config file's). */
export async function runCommand(
  flags: Record<string, unknown>,
  io: CliIo,
  context: RunContext = { argv: [] },
): Promise<ExitCode> {
  const config = parseRunFlags(flags, io.env, context.label ?? flagName);
  const apiKey = io.env[config.apiKeyEnv]?.trim() ?? '';
  if (apiKey === '' && !config.dryRun) {
    throw new ConfigError(
      `no API key: set the environment variable ${config.apiKeyEnv} (or name another one with --api-key-env)`,
    );
  }
  const input = await openRunDataset({
    dataset: config.dataset,
    format: config.datasetFormat,
    shard: config.shard,
    stdin: io.stdin ?? process.stdin,
  });
  try {
    if (config.dryRun) {
      io.stderr.write(
        `dry run: ${input.dataset.size} cases in ${input.dataset.path}${config.shard ? ` (shard ${config.shard.index}/${config.shard.count})` : ''} are valid; nothing was submitted\n`,
      );
      return EXIT.passed;
    }
    return await execute(config, input, apiKey, io, context);
  } finally {
    await input.dispose();
  }
}

async function execute(
  config: RunConfig,
  input: RunDataset,
  apiKey: string,
  io: CliIo,
  context: RunContext,
): Promise<ExitCode> {
  const { dataset } = input;
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
    progress.finish(result.summary);
    if (config.json) io.stdout.write(`${JSON.stringify(result.summary, null, 2)}\n`);
    const out = config.json ? io.stderr : io.stdout;
    const stopped = result.summary.stopped?.reason;
    out.write(
      renderFinalReport({
        summary: result.summary,
        ...(await firstFailures(result)),
        outDir: resolve(result.outDir),
        width: out.isTTY === true ? out.columns : undefined,
        continueCommand:
          stopped === 'interrupted' || stopped === 'fatal' ? continueCommand(context.argv, [apiKey]) : null,
        fromStdin: input.fromStdin,
      }),
    );
    return exitCodeOf(result);
  } finally {
    progress.done();
    await closeQuietly(client);
    await receiver?.close();
  }
}

/** The first failing cases of `results.jsonl` (sorted by index) and how many there are; none when it cannot be read. */
async function firstFailures(result: RunResult): Promise<{ failures: CaseRecord[]; failureCount: number }> {
  const failures: CaseRecord[] = [];
  let failureCount = 0;
  if (result.summary.failed === 0) return { failures, failureCount };
  try {
    for await (const record of readRecords(join(result.outDir, 'results.jsonl'))) {
      if (!isListedFailure(record)) continue;
      failureCount += 1;
      if (failures.length < MAX_LISTED_FAILURES) failures.push(record);
    }
  } catch {
    // The summary line and the paths are still printed; the file names its own problem when opened.
  }
  return { failures, failureCount };
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
