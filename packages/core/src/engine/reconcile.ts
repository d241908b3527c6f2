/**
 * Finding the execution a lost submit started. Vellum has no idempotency key: when a submit's answer is lost and
 * the retry is refused because the external id is taken, the execution exists and the list of execution events
 * (newest first) names it.
 */
import type { RequestOptions, VellumClient } from '../client.js';

/** An execution found by its external id. */
export interface FoundExecution {
  readonly executionId: string;
  readonly metadata: Readonly<Record<string, unknown>> | null;
  readonly deploymentId: string | null;
  readonly releaseTag: string | null;
}

/** Events fetched per page while reconciling. */
const PAGE_SIZE = 100;

/**
 * Returns the id of the execution of `deployment` (id or name) whose external id is `externalId`, or null when none of
 * the newest `maxEvents` events carries it. One lookup; a run with many uses one {@link ExternalIdFinder}.
 */
export async function findExecutionByExternalId(
  client: VellumClient,
  deployment: string,
  externalId: string,
  options: RequestOptions & { readonly maxEvents?: number } = {},
): Promise<FoundExecution | null> {
  const finder = new ExternalIdFinder(
    client,
    deployment,
    options.maxEvents === undefined ? {} : { maxEvents: options.maxEvents },
  );
  return finder.find(externalId, options.signal === undefined ? {} : { signal: options.signal });
}

/**
 * Finds the executions of many refused submits with shared scans of the event list, for one run. A run whose
 * external ids were used before (the same `--external-id-prefix` again) has every submit refused: looking each one up
 * on its own would page through the newest events once per case (5,000 cases x 50 pages). Here every event seen is
 * remembered (an execution's external id never changes), lookups that arrive while a scan runs wait for it, and the
 * scan stops as soon as every waiting id is known. A lookup is answered "none" only by a scan that began after it
 * was asked, so an execution created while an older scan was under way is not missed.
 */
export class ExternalIdFinder {
  readonly #client: VellumClient;
  readonly #deployment: string;
  readonly #maxEvents: number;
  /** External id -> execution id, for every event seen. */
  readonly #known = new Map<string, FoundExecution>();
  /** External ids whose lookups wait on the scan under way. */
  readonly #waiting = new Set<string>();
  #scan: { readonly tick: number; readonly done: Promise<void> } | null = null;
  #tick = 0;

  constructor(client: VellumClient, deployment: string, options: { readonly maxEvents?: number } = {}) {
    this.#client = client;
    this.#deployment = deployment;
    this.#maxEvents = options.maxEvents ?? 5_000;
  }

  /**
   * The id of the execution carrying `externalId`, or null when none of the newest events does.
   * @throws what the client throws (the scan is abandoned; the next lookup starts another).
   */
  async find(externalId: string, options: RequestOptions = {}): Promise<FoundExecution | null> {
    const asked = ++this.#tick;
    for (;;) {
      const known = this.#known.get(externalId);
      if (known !== undefined) return known;
      this.#waiting.add(externalId);
      const scan = this.#scan ?? this.#startScan(options);
      try {
        await scan.done;
      } finally {
        this.#waiting.delete(externalId);
      }
      const found = this.#known.get(externalId);
      if (found !== undefined) return found;
      if (scan.tick > asked) return null;
    }
  }

  #startScan(options: RequestOptions): { tick: number; done: Promise<void> } {
    const scan = { tick: ++this.#tick, done: this.#pages(options) };
    this.#scan = scan;
    void scan.done.then(
      () => this.#endScan(scan),
      () => this.#endScan(scan),
    );
    return scan;
  }

  #endScan(scan: { tick: number }): void {
    if (this.#scan?.tick === scan.tick) this.#scan = null;
  }

  async #pages(options: RequestOptions): Promise<void> {
    // Let the lookups refused in the same turn join before the first page is asked for.
    await Promise.resolve();
    const request = options.signal !== undefined ? { signal: options.signal } : {};
    for (let offset = 0; offset < this.#maxEvents; offset += PAGE_SIZE) {
      const page = await this.#client.listExecutionEvents(
        this.#deployment,
        { limit: PAGE_SIZE, offset, ordering: '-timestamp' },
        request,
      );
      for (const event of page.results) {
        if (event.external_id !== null) {
          this.#known.set(event.external_id, {
            executionId: event.span_id,
            metadata: event.metadata,
            deploymentId: event.deployment_id,
            releaseTag: event.release_tag,
          });
        }
      }
      if ([...this.#waiting].every((id) => this.#known.has(id))) return;
      if (page.results.length < PAGE_SIZE || offset + PAGE_SIZE >= page.count) return;
    }
  }
}
