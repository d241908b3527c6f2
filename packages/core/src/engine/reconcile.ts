/**
 * Finding the execution a lost submit started. Vellum has no idempotency key: when a submit's answer is lost (or its
 * retry is refused because the external id is taken), the execution may exist, and the deployment's execution list
 * names it: each result's `parent_context.external_id` is the external id its submit carried.
 */
import { BadRequestError } from '../errors.js';
import type { ExecutionEvent, RequestOptions, VellumClient } from '../client.js';

/** Executions asked for per page. A server may answer fewer (a page cap): the scan goes on by what it received. */
const PAGE_SIZE = 100;
/** Newest first, as in Vellum's docs; no default order is documented, so it is always sent. */
const NEWEST_FIRST = '-timestamp';

/** The execution found for an external id, with what the caller needs to decide whether to adopt it. */
export interface FoundExecution {
  readonly executionId: string;
  /** The metadata its submit carried (`parent_context.metadata`), e.g. the id of the run that started it. */
  readonly metadata: Readonly<Record<string, unknown>> | null;
  /** `parent_context.deployment_id`. */
  readonly deploymentId: string | null;
  /** `parent_context.release_tag_name`. */
  readonly releaseTag: string | null;
}

/** Options of {@link ExternalIdFinder}. */
export interface ExternalIdFinderOptions {
  /** How many of the newest executions a shared scan reads at most before answering "none". @default 5_000 */
  readonly maxEvents?: number;
}

/**
 * Returns the execution of deployment `deploymentId` (its UUID) whose external id is `externalId`, or null when the
 * filtered request and then the newest `maxEvents` executions show none. One lookup; a run with many uses one
 * {@link ExternalIdFinder}.
 */
export async function findExecutionByExternalId(
  client: VellumClient,
  deploymentId: string,
  externalId: string,
  options: RequestOptions & ExternalIdFinderOptions = {},
): Promise<FoundExecution | null> {
  const finder = new ExternalIdFinder(
    client,
    deploymentId,
    options.maxEvents === undefined ? {} : { maxEvents: options.maxEvents },
  );
  return finder.find(externalId, options.signal === undefined ? {} : { signal: options.signal });
}

/**
 * Finds the executions of lost or refused submits, for one run. Each lookup first asks the list filtered by its
 * external id (Vellum's docs name `external_id` as a filter field) and checks the external id of EVERY result: a
 * server that ignores `filters` answers the unfiltered list, and then (from that lookup on) the finder uses shared
 * scans only. A shared scan pages through the newest executions for every lookup waiting at once: a run whose external
 * ids were used before has every submit refused, and one scan per case would read the list 5,000 times. Every
 * execution seen is remembered (an execution's external id never changes), lookups that arrive while a scan runs wait
 * for it, and the scan stops as soon as every waiting id is known. A lookup is answered "none" only by a request or a
 * scan that began after it was asked, so an execution created while an older scan was under way is not missed.
 */
export class ExternalIdFinder {
  readonly #client: VellumClient;
  readonly #deploymentId: string;
  readonly #maxEvents: number;
  /** External id -> the first execution seen carrying it (newest first within a scan). */
  readonly #known = new Map<string, FoundExecution>();
  /** External ids whose lookups wait on the scan under way. */
  readonly #waiting = new Set<string>();
  #scan: { readonly tick: number; readonly done: Promise<void> } | null = null;
  #tick = 0;
  /**
   * Whether the server honours `filters`: unknown until a filtered answer shows it (results all carrying the id asked
   * for: honoured; a result carrying another id, or a 400: ignored, and from then on only shared scans are used).
   */
  #filters: 'unknown' | 'honoured' | 'ignored' = 'unknown';
  /** The first filtered request while `#filters` is unknown: the lookups that come meanwhile wait for its verdict. */
  #probe: Promise<void> | null = null;

  constructor(client: VellumClient, deploymentId: string, options: ExternalIdFinderOptions = {}) {
    this.#client = client;
    this.#deploymentId = deploymentId;
    this.#maxEvents = options.maxEvents ?? 5_000;
  }

  /**
   * The execution carrying `externalId`, or null when none does (among the newest `maxEvents` when the server does
   * not filter).
   * @throws what the client throws (the scan is abandoned; the next lookup starts another).
   */
  async find(externalId: string, options: RequestOptions = {}): Promise<FoundExecution | null> {
    const asked = ++this.#tick;
    const known = this.#known.get(externalId);
    if (known !== undefined) return known;
    // While the first filtered request is under way, wait for it rather than send a thousand that may be ignored.
    while (this.#filters === 'unknown' && this.#probe !== null) await this.#probe;
    if (this.#filters !== 'ignored') {
      const request = this.#filtered(externalId, options);
      if (this.#filters === 'unknown') {
        const settled = (): void => {
          if (this.#probe === probe) this.#probe = null;
        };
        const probe: Promise<void> = request.then(settled, settled);
        this.#probe = probe;
      }
      const filtered = await request;
      if (filtered !== undefined) return filtered;
    }
    for (;;) {
      const seen = this.#known.get(externalId);
      if (seen !== undefined) return seen;
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

  /**
   * One filtered request: the execution when a result carries the id, null when the server filtered and found none
   * (an empty answer), undefined when it did not filter (results, none of them ours) or refused the filter.
   */
  async #filtered(externalId: string, options: RequestOptions): Promise<FoundExecution | null | undefined> {
    let results: readonly ExecutionEvent[];
    try {
      const page = await this.#client.listExecutionEvents(
        this.#deploymentId,
        { limit: PAGE_SIZE, offset: 0, ordering: NEWEST_FIRST, externalId },
        options,
      );
      results = page.results;
    } catch (error) {
      // A server that does not understand the filter may refuse it: the shared scan still works.
      if (!(error instanceof BadRequestError)) throw error;
      this.#filters = 'ignored';
      return undefined;
    }
    this.#remember(results);
    if (results.some((event) => event.external_id !== externalId)) {
      // Every result of a filtered answer carries the id: this one is the unfiltered list. Its results are remembered
      // (maybe ours is among them), and the shared scan looks further.
      this.#filters = 'ignored';
      return this.#known.get(externalId);
    }
    if (results.length > 0) this.#filters = 'honoured';
    return this.#known.get(externalId) ?? null;
  }

  #remember(results: readonly ExecutionEvent[]): void {
    for (const event of results) {
      if (event.external_id === null || this.#known.has(event.external_id)) continue;
      this.#known.set(event.external_id, {
        executionId: event.span_id,
        metadata: event.metadata,
        deploymentId: event.deployment_id,
        releaseTag: event.release_tag,
      });
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
    let offset = 0;
    while (offset < this.#maxEvents) {
      const page = await this.#client.listExecutionEvents(
        this.#deploymentId,
        { limit: PAGE_SIZE, offset, ordering: NEWEST_FIRST },
        options,
      );
      this.#remember(page.results);
      if ([...this.#waiting].every((id) => this.#known.has(id))) return;
      // A page shorter than asked is not the end (a server page cap); the end is the count or an empty page.
      offset += page.results.length;
      if (page.results.length === 0 || offset >= page.count) return;
    }
  }
}
