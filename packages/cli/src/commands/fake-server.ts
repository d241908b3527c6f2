/** `vellum-batch fake-server`: the testkit's fake Vellum API on 127.0.0.1, until SIGINT/SIGTERM. */
import { z } from 'zod';
import { ConfigError } from '@vellum-batch/core';
import { startFakeVellum } from '@vellum-batch/testkit';
import type { FakeVellumOptions } from '@vellum-batch/testkit';
import type { CliIo } from '../cli.js';
import { claimSignals } from '../signals.js';
import { EXIT } from '../exit-codes.js';
import type { ExitCode } from '../exit-codes.js';
import { intFlag } from '../flags.js';

const share = (name: string) =>
  z.string().transform((raw, ctx) => {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
      ctx.addIssue({ code: 'custom', message: `${name}: "${raw}" is not a share from 0 to 1` });
      return z.NEVER;
    }
    return value;
  });

const durationSpec = z.string().transform((raw, ctx) => {
  const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(raw);
  if (!match || (match[2] !== undefined && Number(match[2]) < Number(match[1]))) {
    ctx.addIssue({ code: 'custom', message: `--duration-ms: "${raw}" is not N or MIN-MAX milliseconds` });
    return z.NEVER;
  }
  return match[2] === undefined ? Number(match[1]) : { min: Number(match[1]), max: Number(match[2]) };
});

const fakeFlagsSchema = z
  .object({
    port: intFlag('--port', 0, 65_535),
    apiKey: z.string().min(1, '--api-key: must not be empty').optional(),
    deployments: z.string().transform((raw) =>
      raw
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== ''),
    ),
    concurrency: intFlag('--concurrency', 1).optional(),
    durationMs: durationSpec,
    rejectRate: share('--reject-rate'),
    seed: intFlag('--seed', 0, 2 ** 32 - 1),
    rateLimitRate: share('--rate-limit-rate'),
    retryAfter: intFlag('--retry-after', 0, 3600),
    serverErrorRate: share('--server-error-rate'),
    dropRate: share('--drop-rate'),
    statusLagMs: intFlag('--status-lag-ms', 0),
    neverFinishRate: share('--never-finish-rate'),
    webhookUrl: z.url({ message: '--webhook-url: not a URL' }).optional(),
    webhookSecret: z.string().min(1, '--webhook-secret: must not be empty').optional(),
    webhookDropRate: share('--webhook-drop-rate'),
    webhookDuplicateRate: share('--webhook-duplicate-rate'),
  })
  .strict();

/** Parses the raw flags of `fake-server` into testkit options; throws ConfigError naming each bad flag. */
export function parseFakeServerFlags(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): FakeVellumOptions {
  const result = fakeFlagsSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(result.error.issues.map((issue) => issue.message).join('\n'));
  const flags = result.data;
  if (flags.deployments.length === 0) throw new ConfigError('--deployments: name at least one deployment');
  const webhookSecret = flags.webhookSecret ?? (env['VELLUM_WEBHOOK_SECRET']?.trim() || undefined);
  if (flags.webhookUrl !== undefined && webhookSecret === undefined) {
    throw new ConfigError(
      '--webhook-url: give the signing secret with --webhook-secret or $VELLUM_WEBHOOK_SECRET',
    );
  }
  return {
    port: flags.port,
    apiKey: flags.apiKey ?? (env['VELLUM_API_KEY']?.trim() || 'test-key'),
    deployments: flags.deployments,
    ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
    durationMs: flags.durationMs,
    rejectRate: flags.rejectRate,
    seed: flags.seed,
    ...(flags.webhookUrl !== undefined && webhookSecret !== undefined
      ? {
          webhook: {
            url: flags.webhookUrl,
            secret: webhookSecret,
            dropRate: flags.webhookDropRate,
            duplicateRate: flags.webhookDuplicateRate,
          },
        }
      : {}),
    faults: {
      rateLimitRate: flags.rateLimitRate,
      retryAfterSeconds: flags.retryAfter,
      serverErrorRate: flags.serverErrorRate,
      dropAfterAcceptRate: flags.dropRate,
      statusLagMs: flags.statusLagMs,
      neverFinishRate: flags.neverFinishRate,
    },
  };
}

/** Serves until SIGINT or SIGTERM. Prints the base URL alone on stdout once listening. */
export async function fakeServerCommand(raw: Record<string, unknown>, io: CliIo): Promise<ExitCode> {
  const options = parseFakeServerFlags(raw, io.env);
  const server = await startFakeVellum(options);
  io.stdout.write(`${server.url}\n`);
  io.stderr.write(
    `fake Vellum API listening on ${server.url} (deployments: ${(options.deployments ?? []).map((d) => (typeof d === 'string' ? d : d.name)).join(', ')}); Ctrl-C stops it\n`,
  );
  const release = claimSignals();
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      release();
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  const { stats } = server;
  await server.close();
  io.stderr.write(
    `fake server stopped: ${stats.executionsCreated} executions, ${stats.requests.submit} submits, ${stats.requests.status} status requests, most running at once ${stats.maxRunning}` +
      (options.webhook
        ? `; webhooks sent ${stats.webhooks.sent}, dropped ${stats.webhooks.dropped}, doubled ${stats.webhooks.duplicated}, failed ${stats.webhooks.failed}`
        : '') +
      '\n',
  );
  return EXIT.passed;
}
