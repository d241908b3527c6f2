/** `vellum-batch run`: one batch against Vellum, gated. */
import { readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { applyBaseline, ConfigError, createClient, readRecords, runBatch } from '@vellum-batch/core';
import { checkBaseline, createRetryLogger } from '@vellum-batch/core/internal';
import type { CaseRecord, ClientOptions, RunBatchOptions, RunResult, VellumClient } from '@vellum-batch/core';
import type { CliIo } from '../cli.js';
import { EXIT } from '../exit-codes.js';
import type { ExitCode } from '../exit-codes.js';
import {
  continueCommand,
  isListedFailure,
  MAX_LISTED_FAILURES,
  renderFinalReport,
  repeatsLine,
} from '../final-report.js';
import { flagName, parseRunFlags } from '../flags.js';
import type { FlagLabel, RunConfig } from '../flags.js';
import { ProgressReporter } from '../progress.js';
import { withSignals } from '../signals.js';
import { openRunDataset } from '../stdin.js';
import { dryRun } from './dry-run.js';
import { startReceiver } from './webhooks.js';
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
  if (apiKey === '') {
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
      const client = createClient({ apiKey, ...clientOptions(config) });
      try {
        return await dryRun({ client, ...runOptions(config, input) }, io);
      } finally {
        await closeQuietly(client);
      }
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
  const receiver = config.webhook === null ? null : await startReceiver(config, config.webhook, io);
  const progress = new ProgressReporter({ stream: io.stderr, webhooks: receiver?.stats });
  const client = createClient({
    apiKey,
    ...clientOptions(config),
    onRetry: createRetryLogger((line) => io.stderr.write(`${line}\n`)),
  });
  for (const warning of client.warnings) io.stderr.write(`warning: ${warning}\n`);
  try {
    const ran = await withSignals(
      io,
      (signal) =>
        runBatch({
          client,
          ...runOptions(config, input),
          completions: receiver ?? undefined,
          webhookStats: receiver?.stats,
          signal,
          onEvent: (event) => {
            if (event.type === 'warning') io.stderr.write(`note: ${event.message}\n`);
            progress.onEvent(event);
          },
        }),
      undefined,
      () => removeTemporaryFiles(config.out),
    );
    const result = await withBaseline(ran, config.baseline);
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

/** Where Vellum is, how long one request may take and how large an answer may be, from the parsed flags. */
function clientOptions(
  config: RunConfig,
): Pick<ClientOptions, 'baseUrl' | 'requestTimeoutMs' | 'maxResponseBytes'> {
  return {
    ...(config.baseUrl === undefined ? {} : { baseUrl: config.baseUrl }),
    ...config.clientLimits,
  };
}

/** The engine's options from the parsed flags (the client, the feed, the signal and the listener aside). */
function runOptions(
  config: RunConfig,
  input: RunDataset,
): Omit<RunBatchOptions, 'client' | 'completions' | 'signal' | 'onEvent'> {
  return {
    dataset: { ...input.dataset, shard: config.shard },
    workflow: config.workflow,
    outDir: config.out,
    mode: config.mode,
    discardUnfinished: config.fresh,
    concurrency: config.concurrency,
    gate: config.gate,
    timeoutMs: config.timeoutMs,
    executionTimeoutMs: config.executionTimeoutMs,
    externalIdPrefix: config.externalIdPrefix,
    track: config.track,
    repeat: config.repeat,
  };
}

/** After a second signal, nothing half-written stays behind: the `.tmp` files of the out dir go. */
function removeTemporaryFiles(outDir: string): void {
  try {
    for (const name of readdirSync(outDir)) {
      if (name.endsWith('.tmp')) rmSync(join(outDir, name), { force: true });
    }
  } catch {
    // no out dir yet: nothing to clean
  }
}

/** Compares a finished run's out dir with `--baseline` (rewriting its files), or returns it as it is. */
export async function withBaseline<R extends Pick<RunResult, 'summary' | 'outDir' | 'markdown'>>(
  result: R,
  baseline: RunConfig['baseline'],
): Promise<R> {
  if (baseline === null) return result;
  const compared = await applyBaseline(result.outDir, baseline.dir, {
    maxNewFailures: baseline.maxNewFailures,
    anyWorkflow: baseline.anyWorkflow,
  });
  return { ...result, summary: compared.summary, outDir: compared.outDir, markdown: compared.markdown };
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
  const repeats = repeatsLine(summary);
  if (repeats !== null) lines.push(repeats);
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
