/**
 * `vellum-batch demo`: the whole flow on the bundled example evaluation set, against an in-process fake Vellum
 * server, with no API key. Prints progress on stderr and the report on stdout.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError, createClient, openDataset, runBatch } from '@vellum-batch/core';
import { parseRate } from '@vellum-batch/core/internal';
import { startFakeVellum } from '@vellum-batch/testkit';
import type { CliIo } from '../cli.js';
import { demoResponder } from '../demo-responder.js';
import type { ExitCode } from '../exit-codes.js';
import { intFlag } from '../flags.js';
import { ProgressReporter } from '../progress.js';
import { withSignals } from '../signals.js';
import { exitCodeOf, printResult } from './run.js';

/** The bundled example set, shipped in the package's `data/` folder. */
export const DEMO_DATASET = fileURLToPath(new URL('../../data/demo.jsonl', import.meta.url));
const DEMO_KEY = 'demo-key';

const demoFlagsSchema = z
  .object({
    out: z.string().min(1, '--out: must not be empty'),
    concurrency: intFlag('--concurrency', 1, 10_000),
    maxFailureRate: z.string().transform((raw, ctx) => {
      try {
        return parseRate(raw, '--max-failure-rate');
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  })
  .strict();

/** Runs the demo; the exit code follows the gate like `run` does. */
export async function demoCommand(raw: Record<string, unknown>, io: CliIo): Promise<ExitCode> {
  const parsed = demoFlagsSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((issue) => issue.message).join('\n'));
  const flags = parsed.data;
  const dataset = await openDataset(DEMO_DATASET);
  const server = await startFakeVellum({
    apiKey: DEMO_KEY,
    deployments: ['support-assistant'],
    concurrency: 8,
    responder: demoResponder,
  });
  io.stderr.write(
    `demo: ${dataset.size} support-assistant cases against a fake Vellum server at ${server.url} (8 executions at a time)\n`,
  );
  const client = createClient({ apiKey: DEMO_KEY, baseUrl: server.url });
  const progress = new ProgressReporter({ stream: io.stderr, intervalMs: 1000 });
  try {
    const result = await withSignals(io, (signal) =>
      runBatch({
        client,
        dataset,
        workflow: { deploymentName: 'support-assistant' },
        outDir: flags.out,
        concurrency: flags.concurrency,
        gate: { maxFailureRate: flags.maxFailureRate },
        signal,
        initialDurationEstimateMs: 400,
        onEvent: (event) => progress.onEvent(event),
      }),
    );
    progress.done();
    io.stdout.write(`\n${result.markdown}\n`);
    printResult(result, { json: false }, io);
    return exitCodeOf(result);
  } finally {
    progress.done();
    await client.close();
    await server.close();
  }
}
