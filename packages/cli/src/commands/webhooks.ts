/**
 * The webhook side of `vellum-batch run`: the receiver Vellum posts to (token and/or HMAC, as set in Vellum's
 * Monitoring Integration), the messages said once when deliveries are refused or misrouted, and the counts at the end.
 */
import { ConfigError, startWebhookServer } from '@vellum-batch/core';
import type { WebhookServer } from '@vellum-batch/core';
import type { WebhookRefusalReason } from '@vellum-batch/core/internal';
import type { CliIo } from '../cli.js';
import type { RunConfig } from '../flags.js';

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

/** Text from a request for a message (a path, an event name): control bytes escaped, at most 200 characters. */
function printable(text: string): string {
  const escaped = JSON.stringify(text).slice(1, -1);
  return escaped.length > 200 ? `${escaped.slice(0, 200)}...` : escaped;
}

/**
 * Listens for Vellum's webhooks on all interfaces (Vellum must reach it), at the path of `--webhook-url`; warns once per
 * reason when deliveries are refused, once when one arrives at another path, and once when one is ignored (another
 * deployment or run, an execution this run did not start, an event it does not track). The token and secret are never
 * printed.
 */
export async function startReceiver(
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
      onRefused: ({ reason, count }) => {
        if (count === 1) {
          io.stderr.write(
            `warning: webhook deliveries are being refused: ${REFUSAL_HINTS[reason]}; ${fallback}\n`,
          );
        }
      },
      onIgnored: (detail, count) => {
        if (count === 1) {
          io.stderr.write(
            `warning: webhook deliveries are being ignored (${printable(detail)}); they are counted in summary.json, and the run goes on\n`,
          );
        }
      },
      onMisrouted: (requested, count) => {
        if (count === 1) {
          io.stderr.write(
            `warning: a delivery arrived at ${printable(requested)}, the receiver listens on ${path}: check the URL in Vellum's Webhook Integration and --webhook-url\n`,
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
