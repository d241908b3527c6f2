/**
 * Finding the execution a lost submit started. Vellum has no idempotency key: when a submit's answer is lost and
 * the retry is refused because the external id is taken, the execution exists and the list of execution events
 * (newest first) names it.
 */
import type { RequestOptions, VellumClient } from '../client.js';

/** Events fetched per page while reconciling. */
const PAGE_SIZE = 100;

/**
 * Returns the id of the execution of `deployment` (id or name) whose external id is `externalId`, or null when none of
 * the newest `maxEvents` events carries it.
 */
export async function findExecutionByExternalId(
  client: VellumClient,
  deployment: string,
  externalId: string,
  options: RequestOptions & { readonly maxEvents?: number } = {},
): Promise<string | null> {
  const maxEvents = options.maxEvents ?? 5_000;
  const request = options.signal !== undefined ? { signal: options.signal } : {};
  for (let offset = 0; offset < maxEvents; offset += PAGE_SIZE) {
    const page = await client.listExecutionEvents(deployment, { limit: PAGE_SIZE, offset }, request);
    const match = page.results.find((event) => event.external_id === externalId);
    if (match !== undefined) return match.span_id;
    if (page.results.length < PAGE_SIZE || offset + PAGE_SIZE >= page.count) return null;
  }
  return null;
}
