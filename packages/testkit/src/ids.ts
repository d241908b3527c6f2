import { createHash } from 'node:crypto';

/**
 * A stable uuid-shaped id (version nibble 5, variant `a`) derived from `kind` and `parts`: the same deployment or
 * release tag gets the same id in every run, so tests can name it in advance.
 */
export function stableUuid(kind: string, ...parts: string[]): string {
  const h = createHash('sha256')
    .update([`vellum-batch-fake-${kind}`, ...parts].join(':'))
    .digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The stable uuid-like id the fake gives a deployment declared by name only. */
export function fakeDeploymentId(name: string): string {
  return stableUuid('deployment', name);
}
