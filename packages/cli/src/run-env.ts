/**
 * What `vellum-batch run` reads from the environment besides its flags: the webhook token and secret (from the
 * variables the flags name) and the Vellum hosts. Problems name the variable, never its value.
 */
import { DEFAULT_API_URL, DEFAULT_PREDICT_URL, parseHttpUrl } from '@vellum-batch/core/internal';

/**
 * The webhook token and HMAC secret, read from the environment variables the flags name. Without either flag,
 * `VELLUM_WEBHOOK_TOKEN` and `VELLUM_WEBHOOK_SECRET` are read when set. At least one must be found; HMAC needs
 * `--webhook-url` (the signature covers it). Problems name the variable, never its value.
 */
export function webhookAuth(
  flags: {
    readonly webhookTokenEnv?: string | undefined;
    readonly webhookSecretEnv?: string | undefined;
    readonly webhookUrl?: string | undefined;
  },
  track: string,
  env: NodeJS.ProcessEnv,
  problems: string[],
): { token: string | undefined; secret: string | undefined } {
  const read = (flag: string, name: string | undefined): string | undefined => {
    if (name === undefined) return undefined;
    const value = nonEmpty(env[name]);
    if (value === undefined)
      problems.push(`${flag} ${name}: the environment variable ${name} is not set or empty`);
    return value;
  };
  const named = flags.webhookTokenEnv !== undefined || flags.webhookSecretEnv !== undefined;
  const token = named
    ? read('--webhook-token-env', flags.webhookTokenEnv)
    : nonEmpty(env['VELLUM_WEBHOOK_TOKEN']);
  const secret = named
    ? read('--webhook-secret-env', flags.webhookSecretEnv)
    : nonEmpty(env['VELLUM_WEBHOOK_SECRET']);
  if (!named && token === undefined && secret === undefined) {
    problems.push(
      `--track ${track}: give the token set in Vellum's Webhook Integration with --webhook-token-env NAME ` +
        '(default VELLUM_WEBHOOK_TOKEN), and/or its HMAC secret with --webhook-secret-env NAME (default VELLUM_WEBHOOK_SECRET)',
    );
  }
  if (secret !== undefined && flags.webhookUrl === undefined) {
    problems.push(
      `--track ${track}: HMAC signatures cover the URL Vellum posts to: give it with --webhook-url URL, exactly as set in Vellum's Webhook Integration`,
    );
  }
  return { token, secret };
}

/** The Vellum hosts from the flags, then the environment; undefined means Vellum's own. */
export function hosts(
  flags: { baseUrl?: string | undefined; predictUrl?: string | undefined; apiUrl?: string | undefined },
  env: NodeJS.ProcessEnv,
): string | { predict: string; api: string } | undefined {
  if (flags.baseUrl !== undefined) return flags.baseUrl;
  const predict = flags.predictUrl ?? checkedEnvUrl(env, 'VELLUM_PREDICT_URL');
  const api = flags.apiUrl ?? checkedEnvUrl(env, 'VELLUM_API_URL');
  if (predict === undefined && api === undefined) return checkedEnvUrl(env, 'VELLUM_BASE_URL');
  return { predict: predict ?? DEFAULT_PREDICT_URL, api: api ?? DEFAULT_API_URL };
}

function checkedEnvUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = nonEmpty(env[name]);
  return value === undefined ? undefined : parseHttpUrl(value, `$${name}`);
}

/** The value without surrounding spaces, or undefined when unset or blank. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
