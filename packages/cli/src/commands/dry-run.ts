/** `vellum-batch run --dry-run`: every check a real run makes before its first submit, and the plan it would follow. */
import { resolve } from 'node:path';
import { planBatch } from '@vellum-batch/core';
import type { RunBatchOptions } from '@vellum-batch/core';
import type { CliIo } from '../cli.js';
import { EXIT } from '../exit-codes.js';
import type { ExitCode } from '../exit-codes.js';

/**
 * Checks the flags, dataset, out dir, key and deployment (one read: a bad key or an unknown deployment throws, which
 * the CLI turns into exit 3), prints the plan and submits nothing.
 */
export async function dryRun(options: RunBatchOptions, io: CliIo): Promise<ExitCode> {
  const plan = await planBatch(options);
  const shard = plan.shard === null ? '' : ` (shard ${plan.shard.index}/${plan.shard.count})`;
  const lines = [
    `dry run: nothing was submitted`,
    `  cases:       ${plan.cases} valid in ${options.dataset.path}${shard}`,
    `  deployment:  ${plan.deployment.name} (${plan.deployment.id}), release tag ${plan.releaseTag}`,
    `  run:         ${plan.mode}, track ${plan.track}, concurrency ${plan.concurrency}`,
    ...(plan.repeat === null
      ? []
      : [
          `  repeats:     each case ${plan.repeat.count} times (${plan.cases * plan.repeat.count} executions), passing with ${plan.repeat.minPass}`,
        ]),
    `  external ids: ${plan.externalIdPrefix}{case id}${plan.repeat !== null && plan.repeat.count > 1 ? '-r{k}' : ''}`,
    `  results:     ${resolve(plan.outDir)}`,
    ...plan.notes.map((note) => `  note:        ${note}`),
  ];
  io.stderr.write(`${lines.join('\n')}\n`);
  return EXIT.passed;
}
