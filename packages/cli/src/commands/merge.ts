/** `vellum-batch merge DIR... --out DIR`: shard results into one verdict. */
import { z } from 'zod';
import { ConfigError, mergeResults } from '@vellum-batch/core';
import { parseRate } from '@vellum-batch/core/internal';
import type { CliIo } from '../cli.js';
import type { ExitCode } from '../exit-codes.js';
import { baselineConfig, baselineFlags, intFlag } from '../flags.js';
import { exitCodeOf, printResult, withBaseline } from './run.js';

const rate = (name: string) =>
  z.string().transform((raw, ctx) => {
    try {
      return parseRate(raw, name);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });

const mergeFlagsSchema = z
  .object({
    out: z.string().min(1, '--out: must not be empty'),
    json: z.boolean().optional(),
    maxFailureRate: rate('--max-failure-rate'),
    maxFailures: intFlag('--max-failures', 0).optional(),
    maxErrorRate: rate('--max-error-rate').optional(),
    minCases: intFlag('--min-cases', 0),
    ...baselineFlags,
  })
  .strict();

/** Merges, compares with `--baseline` when given, gates and prints like `run`; exit code by the merged verdict (3 when a shard stopped on a fatal error). */
export async function mergeCommand(
  dirs: readonly string[],
  raw: Record<string, unknown>,
  io: CliIo,
): Promise<ExitCode> {
  const parsed = mergeFlagsSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((issue) => issue.message).join('\n'));
  const flags = parsed.data;
  const baseline = baselineConfig(flags);
  const merged = await mergeResults({
    inputs: dirs,
    outDir: flags.out,
    gate: {
      maxFailureRate: flags.maxFailureRate,
      maxFailures: flags.maxFailures,
      maxErrorRate: flags.maxErrorRate,
      minCases: flags.minCases,
    },
  });
  const result = await withBaseline(merged, baseline);
  printResult(result, { json: flags.json === true }, io);
  return exitCodeOf(result);
}
