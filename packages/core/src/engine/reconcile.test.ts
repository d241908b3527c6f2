import { describe, expect, it } from 'vitest';
import { json, KEY, onCleanup, startServer } from '../../test/helpers/loopback.js';
import { DEPLOYMENT_ID, executionsPage, slimExecution } from '../../test/helpers/vellum-shapes.js';
import {
  createClient,
  type ExecutionEvent,
  type ExecutionEventsQuery,
  type VellumClient,
} from '../client.js';
import { BadRequestError } from '../errors.js';
import { ExternalIdFinder, findExecutionByExternalId } from './reconcile.js';

interface ListServerOptions {
  /** Most results per page, whatever `limit` asks. @default no cap */
  readonly pageCap?: number;
  /** Answer the unfiltered list when `filters` is sent. */
  readonly ignoreFilters?: boolean;
  /** Refuse `filters` with a 400. */
  readonly refuseFilters?: boolean;
  /** Without `ordering=-timestamp`, answer oldest first. */
  readonly oldestFirstByDefault?: boolean;
}

/** A client whose only call is the execution list over `events` (newest first), as a server with these quirks pages it. */
function listClient(events: ExecutionEvent[], options: ListServerOptions = {}) {
  const calls: ExecutionEventsQuery[] = [];
  let fail = false;
  const client = {
    listExecutionEvents: async (deploymentId: string, page: ExecutionEventsQuery) => {
      await new Promise((resolve) => setImmediate(resolve));
      expect(deploymentId).toBe(DEPLOYMENT_ID);
      if (fail) {
        fail = false;
        throw new Error('503 from the execution list');
      }
      calls.push(page);
      if (page.externalId !== undefined && options.refuseFilters) {
        throw new BadRequestError(400, 'Invalid filters', 'GET /v1/workflow-deployments/x/execution-events');
      }
      let list =
        page.ordering === '-timestamp' || !options.oldestFirstByDefault ? events : [...events].reverse();
      if (page.externalId !== undefined && !options.ignoreFilters) {
        list = list.filter((e) => e.external_id === page.externalId);
      }
      const offset = page.offset ?? 0;
      const size = Math.min(page.limit ?? 100, options.pageCap ?? Number.POSITIVE_INFINITY);
      return { count: list.length, results: list.slice(offset, offset + size) };
    },
  } as unknown as VellumClient;
  const scans = () => calls.filter((c) => c.externalId === undefined);
  const filtered = () => calls.filter((c) => c.externalId !== undefined);
  return { client, calls, scans, filtered, failNext: () => (fail = true) };
}

const event = (i: number): ExecutionEvent => ({
  span_id: `exec-${i}`,
  external_id: `ext-${i}`,
  metadata: { vellum_batch_run: 'run-1' },
  deployment_id: DEPLOYMENT_ID,
  release_tag: 'LATEST',
});
/** Executions ext-0 (oldest) ... ext-(n-1) (newest), newest first. */
const history = (n: number) => Array.from({ length: n }, (_, i) => event(n - 1 - i));
const found = (i: number) => ({
  executionId: `exec-${i}`,
  metadata: { vellum_batch_run: 'run-1' },
  deploymentId: DEPLOYMENT_ID,
  releaseTag: 'LATEST',
});

describe('ExternalIdFinder on a server that honours filters', () => {
  it('finds an old execution with one filtered request, newest first', async () => {
    const { client, calls } = listClient(history(3000));
    expect(await new ExternalIdFinder(client, DEPLOYMENT_ID).find('ext-3')).toEqual(found(3));
    expect(calls).toEqual([{ limit: 100, offset: 0, ordering: '-timestamp', externalId: 'ext-3' }]);
  });

  it('answers none from an empty filtered answer, without scanning', async () => {
    const { client, calls } = listClient(history(3000));
    expect(await new ExternalIdFinder(client, DEPLOYMENT_ID).find('ext-nope')).toBeNull();
    expect(calls).toHaveLength(1);
  });
});

describe('ExternalIdFinder on a server that ignores filters', () => {
  it('checks every result of the filtered answer and falls back to one shared scan', async () => {
    const { client, filtered, scans } = listClient(history(3000), { ignoreFilters: true });
    const finder = new ExternalIdFinder(client, DEPLOYMENT_ID);
    const ids = Array.from({ length: 1000 }, (_, i) => 2000 + i);
    const results = await Promise.all(ids.map((i) => finder.find(`ext-${i}`)));
    expect(results).toEqual(ids.map(found));
    // One filtered request showed the filter is ignored; the other 999 lookups did not send one.
    expect(filtered()).toHaveLength(1);
    // ext-2000..2999 are the newest 1,000: the first page came with the filtered answer, the scan reads 10 pages.
    expect(scans().map((c) => c.offset)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
    expect(scans().every((c) => c.ordering === '-timestamp' && c.limit === 100)).toBe(true);
    // Known ids cost nothing more.
    expect(await finder.find('ext-2500')).toEqual(found(2500));
    expect(await finder.find('ext-1500')).toEqual(found(1500));
    expect(filtered()).toHaveLength(1);
  });

  it('takes an id from the unfiltered answer itself when it is there', async () => {
    const { client, calls } = listClient(history(500), { ignoreFilters: true });
    expect(await new ExternalIdFinder(client, DEPLOYMENT_ID).find('ext-450')).toEqual(found(450));
    expect(calls).toHaveLength(1);
  });

  it('falls back to the scan when the server refuses the filter with a 400', async () => {
    const { client, scans } = listClient(history(300), { refuseFilters: true });
    expect(await new ExternalIdFinder(client, DEPLOYMENT_ID).find('ext-10')).toEqual(found(10));
    expect(scans().map((c) => c.offset)).toEqual([0, 100, 200]);
  });
});

describe('the shared scan', () => {
  it('advances by the results received when the server caps pages at 20, and a short page does not end it', async () => {
    const { client, scans } = listClient(history(300), { ignoreFilters: true, pageCap: 20 });
    expect(await findExecutionByExternalId(client, DEPLOYMENT_ID, 'ext-50')).toEqual(found(50));
    // ext-50 is the 250th newest: pages of 20 from offset 0, asking 100 each time.
    expect(scans().map((c) => c.offset)).toEqual(Array.from({ length: 13 }, (_, i) => i * 20));
    expect(scans().every((c) => c.limit === 100)).toBe(true);
  });

  it('ends at the count and answers none', async () => {
    const { client, scans } = listClient(history(250), { ignoreFilters: true, pageCap: 20 });
    expect(await findExecutionByExternalId(client, DEPLOYMENT_ID, 'ext-x')).toBeNull();
    expect(scans().at(-1)!.offset).toBe(240);
  });

  it('sends ordering, so a server that lists oldest first by default still shows the newest first', async () => {
    const { client, scans } = listClient(history(5000), { ignoreFilters: true, oldestFirstByDefault: true });
    const finder = new ExternalIdFinder(client, DEPLOYMENT_ID);
    // Unfiltered first answer lacks it (the newest 100 are ext-4900..4999): one scan page then.
    expect(await finder.find('ext-4850')).toEqual(found(4850));
    expect(scans().map((c) => c.offset)).toEqual([0, 100]);
  });

  it('stops after maxEvents and answers none; a lookup asked mid-scan gets a scan of its own', async () => {
    const events = history(300);
    const { client, scans } = listClient(events, { ignoreFilters: true });
    const finder = new ExternalIdFinder(client, DEPLOYMENT_ID, { maxEvents: 1000 });
    const missing = finder.find('ext-nope');
    // Wait until the scan has asked for its first page, then create an execution and look it up.
    while (scans().length === 0) await new Promise((resolve) => setImmediate(resolve));
    events.unshift({ ...event(0), span_id: 'exec-late', external_id: 'ext-late' });
    const late = finder.find('ext-late');
    expect(await missing).toBeNull();
    expect(await late).toMatchObject({ executionId: 'exec-late' });
    expect(scans().filter((c) => c.offset === 0).length).toBeGreaterThanOrEqual(2);
  });

  it('passes an error on and starts afresh on the next lookup', async () => {
    const { client, failNext } = listClient(history(10));
    const finder = new ExternalIdFinder(client, DEPLOYMENT_ID);
    failNext();
    await expect(finder.find('ext-3')).rejects.toThrow('503 from the execution list');
    expect(await finder.find('ext-3')).toEqual(found(3));
  });
});

describe('a lookup through the real client', () => {
  it("reads a page written from the OpenAPI spec's SlimWorkflowExecutionRead, parsed strictly by the SDK", async () => {
    const server = await startServer();
    server.reply(
      // A server that ignores the filter: the answer is the unfiltered list, ours second.
      json(
        200,
        executionsPage(3, [
          slimExecution({ spanId: 'e7d5c0a2-0000-4000-8000-000000000003', externalId: 'vb-other-1' }),
          slimExecution({
            spanId: 'e7d5c0a2-0000-4000-8000-000000000002',
            externalId: 'vb-run1-0',
            metadata: { vellum_batch_run: 'run1', owner: 'support' },
            releaseTag: 'production',
          }),
          slimExecution({ spanId: 'e7d5c0a2-0000-4000-8000-000000000001', noParent: true }),
        ]),
      ),
    );
    const client = createClient({ apiKey: KEY, baseUrl: server.url });
    onCleanup(() => client.close());
    expect(await findExecutionByExternalId(client, DEPLOYMENT_ID, 'vb-run1-0')).toEqual({
      executionId: 'e7d5c0a2-0000-4000-8000-000000000002',
      metadata: { vellum_batch_run: 'run1', owner: 'support' },
      deploymentId: DEPLOYMENT_ID,
      releaseTag: 'production',
    });
    const url = new URL(server.seen[0]!.url, 'http://x');
    expect(url.pathname).toBe(`/v1/workflow-deployments/${DEPLOYMENT_ID}/execution-events`);
    expect(url.searchParams.get('ordering')).toBe('-timestamp');
    expect(JSON.parse(url.searchParams.get('filters')!)).toMatchObject({
      conditions: [{ lhs_variable: { value: 'external_id' }, rhs_variable: { value: 'vb-run1-0' } }],
    });
  });
});
