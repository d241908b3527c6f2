/**
 * The `vellum-batch` command line: parses argv with commander, hands each command its raw flags, and turns every
 * outcome into an exit code (SPEC section 5). Commands never call `process.exit` themselves.
 */
import { Command, Option } from 'commander';
import { describeError } from './errors.js';
import { runCommand } from './commands/run.js';
import { mergeCommand } from './commands/merge.js';
import { CONFIG_FILE, loadConfig } from './config.js';
import { EXIT } from './exit-codes.js';
import { DATASET_FORMATS, flagName, RUN_DEFAULTS } from './flags.js';
import type { FlagLabel } from './flags.js';
import type { ExitCode } from './exit-codes.js';
import { VERSION } from './version.js';

/** Streams, environment and working directory, injectable for tests. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly env: NodeJS.ProcessEnv;
  /** Read by `--dataset -`. @default process.stdin */
  readonly stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Where `vellum-batch.config.json` is looked for and relative paths start. @default process.cwd() */
  readonly cwd?: string;
}

const defaultIo: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env };

/** Runs the command line `argv` (without `node` and the script) and resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<ExitCode> {
  let code: ExitCode = EXIT.passed;
  const program = buildProgram(io, argv, (c) => (code = c));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    const { code: exit, message } = describeError(error, io.env);
    if (message !== null) io.stderr.write(`vellum-batch: ${message}\n`);
    return exit;
  }
}

function buildProgram(io: CliIo, argv: readonly string[], setCode: (code: ExitCode) => void): Command {
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
      .option(
        '--max-failure-rate <rate>',
        'highest allowed failed/total, 0..1 or "5%"',
        String(RUN_DEFAULTS.maxFailureRate),
      )
      .option('--max-failures <n>', 'highest allowed number of failed cases')
      .option('--max-error-rate <rate>', 'highest allowed errored/total, 0..1 or "5%"')
      .option('--min-cases <n>', 'fewest cases a run must have', String(RUN_DEFAULTS.minCases))
      .option('--baseline <dir>', "compare with an earlier run's or merge's out directory")
      .option('--max-new-failures <n>', 'gate: most regressions allowed against --baseline')
      .option('--baseline-any-workflow', 'compare with a baseline of another deployment too');

  const run = program
    .command('run')
    .description('run every case of a dataset against a workflow deployment and gate the result')
    // Not a required option: the config file may give it (parseRunFlags says when neither does).
    .option('--dataset <file>', 'cases: .jsonl, .ndjson, .json or .csv; - reads standard input')
    .addOption(
      new Option(
        '--dataset-format <format>',
        'read the dataset as this format (default: by extension; jsonl for -)',
      ).choices(DATASET_FORMATS),
    )
    .option('--workflow <name>', 'workflow deployment name')
    .option('--deployment-id <id>', 'workflow deployment id (instead of --workflow)')
    .option('--release-tag <tag>', 'release tag to run', RUN_DEFAULTS.releaseTag)
    .option('--out <dir>', 'where results are written', RUN_DEFAULTS.out)
    .option('--concurrency <n>', 'most executions unfinished at once', String(RUN_DEFAULTS.concurrency))
    .option('--timeout <duration>', 'deadline for the whole run, e.g. 90s, 30m, 2h')
    .option('--execution-timeout <duration>', 'deadline for one execution')
    .addOption(
      new Option('--track <mode>', 'how completion is detected')
        .choices(['poll', 'webhook', 'hybrid'])
        .default(RUN_DEFAULTS.track),
    )
    .option('--webhook-port <n>', 'port of the webhook receiver (webhook and hybrid)')
    .option('--webhook-url <url>', "public URL set in Vellum's Webhook Integration (required with HMAC)")
    .option(
      '--webhook-token-env <name>',
      "environment variable holding the token set in Vellum's Webhook Integration (default VELLUM_WEBHOOK_TOKEN)",
    )
    .option('--webhook-token-header <name>', 'API-key header the token may come in (default X-API-Key)')
    .option(
      '--webhook-secret-env <name>',
      'environment variable holding the HMAC token given to Vellum (default VELLUM_WEBHOOK_SECRET)',
    )
    .option('--repeat <n>', 'run each case N times (1-100), each under its own external id')
    .option('--min-pass <k>', 'with --repeat: a case passes when K of its repeats pass (default N)')
    .option('--shard <i/n>', 'run only shard I of N (1-based)')
    .option(
      '--resume',
      'continue the run journaled in --out (also after Ctrl-C: running executions are tracked)',
    )
    .option('--retry-failed', 'run again only the cases of --out that did not pass')
    .option('--fresh', 'start afresh in an out dir holding an unfinished run (its journal is kept aside)')
    .option('--external-id-prefix <prefix>', 'prefix of every external id (default: fresh per run)')
    .option(
      '--base-url <url>',
      'one URL for every Vellum endpoint, a fake or a proxy (default $VELLUM_BASE_URL)',
    )
    .option(
      '--predict-url <url>',
      'Vellum predict host: execute, status (default $VELLUM_PREDICT_URL, else https://predict.vellum.ai)',
    )
    .option(
      '--api-url <url>',
      'Vellum api host: deployments, execution lists (default $VELLUM_API_URL, else https://api.vellum.ai)',
    )
    .option('--api-key-env <name>', 'environment variable holding the API key', RUN_DEFAULTS.apiKeyEnv)
    .option('--dry-run', 'check flags, dataset, out dir, key and deployment; print the plan; submit nothing')
    .option('--json', 'print summary.json to stdout at the end')
    .option(
      '--config <file>',
      `flags from a JSON file (default ./${CONFIG_FILE} if present); flags given here win`,
    );
  gateOptions(run).action(async (flags: Record<string, unknown>, command: Command) => {
    const { config, ...rest } = flags;
    const label = await applyConfig(command, rest, typeof config === 'string' ? config : undefined, io);
    setCode(await runCommand(rest, io, { argv, label }));
  });

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
    .action(async (flags: Record<string, unknown>) => {
      // The fake server and the demo load the testkit (21 modules) when they run: `run` and `merge` start without it
      // (about 6 ms less CPU at start, measured with `--version`).
      const { fakeServerCommand } = await import('./commands/fake-server.js');
      setCode(await fakeServerCommand(flags, io));
    });

  const demo = program
    .command('demo')
    .description(
      'run the bundled example evaluation set against an in-process fake server (no API key needed)',
    )
    .option('--out <dir>', 'where results are written', './vellum-batch-results')
    .option('--concurrency <n>', 'most executions unfinished at once', '16');
  demo
    .option('--max-failure-rate <rate>', 'highest allowed failed/total for the demo', '15%')
    .action(async (flags: Record<string, unknown>) => {
      const { demoCommand } = await import('./commands/demo.js');
      setCode(await demoCommand(flags, io));
    });

  return program;
}

/**
 * Fills `flags` from the config file wherever the command line did not set a flag (a default, or nothing), and
 * returns how each flag is named in errors: `--flag`, or `FILE: "key"` for a value from the file.
 */
async function applyConfig(
  command: Command,
  flags: Record<string, unknown>,
  explicit: string | undefined,
  io: CliIo,
): Promise<FlagLabel> {
  const known = command.options
    .filter((option) => option.long !== undefined && option.long !== '--config')
    .map((option) => ({
      key: option.attributeName(),
      name: option.long!.slice(2),
      boolean: option.isBoolean(),
    }));
  const loaded = await loadConfig({ explicit, cwd: io.cwd ?? process.cwd(), flags: known });
  if (loaded === null) return flagName;
  const fromFile = new Map<string, string>();
  for (const [key, value] of Object.entries(loaded.values)) {
    if (command.getOptionValueSource(key) === 'cli') continue;
    flags[key] = value;
    fromFile.set(key, `${loaded.file}: "${known.find((flag) => flag.key === key)?.name ?? key}"`);
  }
  return (key) => fromFile.get(key) ?? flagName(key);
}
