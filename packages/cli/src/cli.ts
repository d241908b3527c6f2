/**
 * The `vellum-batch` command line: parses argv with commander, hands each command its raw flags, and turns every
 * outcome into an exit code (SPEC section 5). Commands never call `process.exit` themselves.
 */
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, DatasetError } from '@vellum-batch/core';
import { runCommand } from './commands/run.js';
import { fakeServerCommand } from './commands/fake-server.js';
import { demoCommand } from './commands/demo.js';
import { mergeCommand } from './commands/merge.js';
import { EXIT } from './exit-codes.js';
import type { ExitCode } from './exit-codes.js';
import { VERSION } from './version.js';

/** Output streams, injectable for tests. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly env: NodeJS.ProcessEnv;
}

const defaultIo: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env };

/** Runs the command line `argv` (without `node` and the script) and resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<ExitCode> {
  let code: ExitCode = EXIT.passed;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end with exit code 0; every parse problem is a usage error.
      return error.exitCode === 0 ? EXIT.passed : EXIT.usage;
    }
    if (error instanceof DatasetError || error instanceof ConfigError) {
      io.stderr.write(`vellum-batch: ${error.message}\n`);
      return EXIT.usage;
    }
    io.stderr.write(
      `vellum-batch: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT.fatal;
  }
}

function buildProgram(io: CliIo, setCode: (code: ExitCode) => void): Command {
  const program = new Command('vellum-batch')
    .description('Run Vellum workflow executions in safe, resumable batches and turn them into a CI verdict.')
    .version(VERSION)
    .showHelpAfterError('(run vellum-batch help for usage)')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .exitOverride();

  const gateOptions = (command: Command): Command =>
    command
      .option('--max-failure-rate <rate>', 'highest allowed failed/total, 0..1 or "5%"', '0')
      .option('--max-failures <n>', 'highest allowed number of failed cases')
      .option('--max-error-rate <rate>', 'highest allowed errored/total, 0..1 or "5%"')
      .option('--min-cases <n>', 'fewest cases a run must have', '1')
      .option('--baseline <dir>', "compare with an earlier run's or merge's out directory")
      .option('--max-new-failures <n>', 'gate: most regressions allowed against --baseline')
      .option('--baseline-any-workflow', 'compare with a baseline of another deployment too');

  const run = program
    .command('run')
    .description('run every case of a dataset against a workflow deployment and gate the result')
    .requiredOption('--dataset <file>', 'cases: .jsonl, .ndjson, .json or .csv')
    .option('--workflow <name>', 'workflow deployment name')
    .option('--deployment-id <id>', 'workflow deployment id (instead of --workflow)')
    .option('--release-tag <tag>', 'release tag to run', 'LATEST')
    .option('--out <dir>', 'where results are written', './vellum-batch-results')
    .option('--concurrency <n>', 'most executions unfinished at once', '32')
    .option('--timeout <duration>', 'deadline for the whole run, e.g. 90s, 30m, 2h')
    .option('--execution-timeout <duration>', 'deadline for one execution')
    .addOption(
      new Option('--track <mode>', 'how completion is detected')
        .choices(['poll', 'webhook', 'hybrid'])
        .default('poll'),
    )
    .option('--webhook-port <n>', 'port of the webhook receiver (webhook and hybrid)')
    .option('--webhook-url <url>', 'public URL Vellum signs webhook deliveries against')
    .option('--webhook-secret-env <name>', 'environment variable holding the webhook secret')
    .option('--shard <i/n>', 'run only shard I of N (1-based)')
    .option('--resume', 'continue the run journaled in --out')
    .option('--retry-failed', 'run again only the cases of --out that did not pass')
    .option('--external-id-prefix <prefix>', 'prefix of every external id (default: fresh per run)')
    .option(
      '--base-url <url>',
      'Vellum API base URL (default $VELLUM_BASE_URL, else https://predict.vellum.ai)',
    )
    .option('--api-key-env <name>', 'environment variable holding the API key', 'VELLUM_API_KEY')
    .option('--dry-run', 'load and check everything, submit nothing')
    .option('--json', 'print summary.json to stdout at the end');
  gateOptions(run).action(async (flags: Record<string, unknown>) => setCode(await runCommand(flags, io)));

  const merge = program
    .command('merge')
    .description('merge shard out directories into one result set and apply the gate once')
    .argument('<dirs...>', 'the out directories of every shard')
    .requiredOption('--out <dir>', 'where the merged results are written')
    .option('--json', 'print the merged summary.json to stdout at the end');
  gateOptions(merge).action(async (dirs: string[], flags: Record<string, unknown>) =>
    setCode(await mergeCommand(dirs, flags, io)),
  );

  program
    .command('fake-server')
    .description('serve the testkit fake of the Vellum API on 127.0.0.1 until interrupted')
    .option('--port <n>', 'port (0 picks a free one)', '0')
    .option('--api-key <key>', 'accepted API key (default $VELLUM_API_KEY, else test-key)')
    .option('--deployments <names>', 'comma-separated deployment names', 'demo')
    .option('--concurrency <n>', 'executions running at once; the rest queue as PENDING')
    .option('--duration-ms <ms>', 'run time of each execution: N, or MIN-MAX for a uniform spread', '50')
    .option('--reject-rate <rate>', 'share of executions that are REJECTED', '0')
    .option('--seed <n>', 'seed of every random choice', '1')
    .option('--rate-limit-rate <rate>', 'share of requests answered 429', '0')
    .option('--retry-after <seconds>', 'Retry-After of those 429s', '1')
    .option('--server-error-rate <rate>', 'share of requests answered 5xx', '0')
    .option(
      '--drop-rate <rate>',
      'share of submits whose response is dropped after the execution was created',
      '0',
    )
    .option('--status-lag-ms <ms>', 'a new execution answers 404 on status for this long', '0')
    .option('--never-finish-rate <rate>', 'share of executions that never finish', '0')
    .option('--webhook-url <url>', 'send a signed webhook here when an execution finishes')
    .option('--webhook-secret <secret>', 'signing secret of those webhooks (default $VELLUM_WEBHOOK_SECRET)')
    .option('--webhook-drop-rate <rate>', 'share of webhooks never sent', '0')
    .option('--webhook-duplicate-rate <rate>', 'share of webhooks sent twice', '0')
    .action(async (flags: Record<string, unknown>) => setCode(await fakeServerCommand(flags, io)));

  const demo = program
    .command('demo')
    .description(
      'run the bundled example evaluation set against an in-process fake server (no API key needed)',
    )
    .option('--out <dir>', 'where results are written', './vellum-batch-results')
    .option('--concurrency <n>', 'most executions unfinished at once', '16');
  demo
    .option('--max-failure-rate <rate>', 'highest allowed failed/total for the demo', '15%')
    .action(async (flags: Record<string, unknown>) => setCode(await demoCommand(flags, io)));

  return program;
}
