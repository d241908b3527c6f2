/** Shortest secret that {@link redact} replaces; shorter strings would blank out ordinary text. */
const MIN_SECRET_LENGTH = 4;

/** What a secret is replaced with. */
export const REDACTED = '***';

/**
 * Replaces every occurrence of each secret (at least 4 characters long) in `text` with `***`.
 * The URL-encoded form of a secret is replaced too, since a server may echo it from a URL.
 * Longer secrets are replaced first, so a secret that contains another is removed whole.
 */
export function redact(text: string, secrets: readonly string[]): string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
  }
  let out = text;
  for (const form of [...forms].sort((a, b) => b.length - a.length)) {
    if (out.includes(form)) out = out.split(form).join(REDACTED);
  }
  return out;
}
