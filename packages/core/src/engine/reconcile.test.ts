import { describe, expect, it } from 'vitest';
import type { VellumClient } from '../client.js';
import { ExternalIdFinder, findExecutionByExternalId } from './reconcile.js';

/** A client whose only call is the event list: `events` newest first, as Vellum pages them. */
function eventsClient(events: { span_id: string; external_id: string | null }[]): {
  client: VellumClient;
  pages: number[];
  failNext: () => void;
} {
  const pages: number[] = [];
  let fail = false;
  const client = {
    listExecutionEvents: async (_deployment: string, page: { limit?: number; offset?: number }) => {
      await new Promise((resolve) => setImmediate(resolve));
      if (fail) {
        fail = false;
        throw new Error('503 from the events list');
      }
      const offset = page.offset ?? 0;
      pages.push(offset);
      return { count: events.length, results: events.slice(offset, offset + (page.limit ?? 100)) };
    },
  } as unknown as VellumClient;
  return { client, pages, failNext: () => (fail = true) };
}

const event = (i: number) => ({ span_id: `exec-${i}`, external_id: `ext-${i}` });
/** Events ext-0 (oldest) ... ext-(n-1) (newest), newest first. */
const history = (n: number) => Array.from({ length: n }, (_, i) => event(n - 1 - i));

describe('ExternalIdFinder', () => {
  it('finds 1,000 refused submits with one scan instead of one per case', async () => {
    const { client, pages } = eventsClient(history(3000));
    const finder = new ExternalIdFinder(client, 'bot');
    const ids = Array.from({ length: 1000 }, (_, i) => 2000 + i);
    const found = await Promise.all(ids.map((i) => finder.find(`ext-${i}`)));
    expect(found).toEqual(ids.map((i) => `exec-${i}`));
    // ext-2000..2999 are the newest 1,000 events: 10 pages of 100.
    expect(pages).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
    // The same lookups again cost nothing.
    expect(await finder.find('ext-2500')).toBe('exec-2500');
    expect(pages).toHaveLength(10);
  });

  it('stops at the first page when that answers every waiting lookup', async () => {
    const { client, pages } = eventsClient(history(5000));
    expect(await new ExternalIdFinder(client, 'bot').find('ext-4990')).toBe('exec-4990');
    expect(pages).toEqual([0]);
  });

  it('answers null after scanning the newest maxEvents, and scans again for a lookup asked mid-scan', async () => {
    const events = history(300);
    const { client, pages } = eventsClient(events);
    const finder = new ExternalIdFinder(client, 'bot', { maxEvents: 1000 });
    const missing = finder.find('ext-nope');
    // An execution created after the scan read page 0, then asked for: the running scan cannot see it.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    events.unshift({ span_id: 'exec-late', external_id: 'ext-late' });
    const late = finder.find('ext-late');
    expect(await missing).toBeNull();
    expect(await late).toBe('exec-late');
    expect(pages[0]).toBe(0);
    expect(pages.filter((p) => p === 0).length).toBeGreaterThanOrEqual(2);
  });

  it('passes an error on and starts afresh on the next lookup', async () => {
    const { client, failNext } = eventsClient(history(10));
    const finder = new ExternalIdFinder(client, 'bot');
    failNext();
    await expect(finder.find('ext-3')).rejects.toThrow('503 from the events list');
    expect(await finder.find('ext-3')).toBe('exec-3');
  });
});

describe('findExecutionByExternalId', () => {
  it('pages until it finds the id, and answers null past the end', async () => {
    const { client, pages } = eventsClient(history(250));
    expect(await findExecutionByExternalId(client, 'bot', 'ext-10')).toBe('exec-10');
    expect(pages).toEqual([0, 100, 200]);
    expect(await findExecutionByExternalId(client, 'bot', 'ext-x')).toBeNull();
  });
});
