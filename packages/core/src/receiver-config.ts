/** The configuration checks of a webhook receiver, and the URLs its HMAC signatures may cover. */
import { ConfigError } from './errors.js';
import type { WebhookHandlerOptions } from './receiver.js';

/** The URLs a signature may cover: `publicUrl` as configured and, when it differs, as a URL parser writes it. */
function signedUrls(publicUrl: string): readonly string[] {
  let normalised: string;
  try {
    normalised = new URL(publicUrl).href;
  } catch {
    throw new ConfigError(`publicUrl: "${publicUrl}" is not a URL`);
  }
  // Vellum's docs say "the request URL" without saying how it is written: both spellings are fixed by configuration,
  // neither comes from the request, so accepting either is safe.
  return normalised === publicUrl ? [publicUrl] : [publicUrl, normalised];
}

/**
 * Checks a receiver's options: a token or a secret (neither empty), and with a secret a public URL.
 * @returns The URLs a signature may cover (none without a secret).
 * @throws ConfigError naming the problem.
 */
export function checkReceiverOptions(options: WebhookHandlerOptions): readonly string[] {
  if (options.token === undefined && options.secret === undefined) {
    throw new ConfigError(
      "the webhook receiver needs a token (Vellum's Bearer token or API-key header) or an HMAC secret, or both",
    );
  }
  if (options.token !== undefined && options.token.trim() === '') {
    throw new ConfigError('the webhook token must not be empty');
  }
  if (options.secret === undefined) return [];
  if (options.secret.trim() === '') throw new ConfigError('the webhook HMAC secret must not be empty');
  if (options.publicUrl === undefined || options.publicUrl === '') {
    throw new ConfigError(
      "HMAC signatures cover the URL Vellum posts to: give publicUrl, the URL set in Vellum's Webhook Integration",
    );
  }
  return signedUrls(options.publicUrl);
}
