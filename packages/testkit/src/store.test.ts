import { describe, expect, it } from 'vitest';
import { defaultResponder } from './responder.js';
import { newStats } from './stats.js';
import { ExecutionStore, type CreateRequest, type StoreOptions } from './store.js';
import type { FakeStats } from './types.js';

function stats(): FakeStats {
  return newStats();
}

function store(options: Partial<StoreOptions> = {}): ExecutionStore {
  return new ExecutionStore({
    concurrency: Infinity,
    durationMs: 100,
    responder: (req, random) => defaultResponder(req, random),
    seed: 1,
    neverFinishRate: () => 0,
    stats: stats(),
    ...options,
  });
}

const deployment = { id: 'dep-1', name: 'demo' };
function request(externalId: string | null, inputs: CreateRequest['inputs'] = []): CreateRequest {
  return { deployment, releaseTag: 'LATEST', inputs, externalId, metadata: null };
}

describe('ExecutionStore (explicit time)', () => {
  it('finishes an execution exactly at startedAt + durationMs', () => {
    const s = store();
    const e = s.create(request('a', [{ name: 'q', type: 'STRING', value: 'v' }]), 1000);
    expect(e).toMatchObject({ status: 'INITIATED', startedAt: 1000, durationMs: 100 });
    expect(s.nextDueAt()).toBe(1100);
    s.advance(1099);
    expect(e.status).toBe('INITIATED');
    s.advance(1100);
    expect(e).toMatchObject({ status: 'FULFILLED', finishedAt: 1100, outputs: { q: 'v' }, error: null });
    expect(s.nextDueAt()).toBeUndefined();
  });

  it('starts queued executions FIFO at the exact moment a slot frees, even when advanced late', () => {
    const st = stats();
    const s = store({ concurrency: 2, stats: st, durationMs: 100 });
    const es = [0, 1, 2, 3, 4].map((i) => s.create(request(`e${i}`), 1000 + i));
    expect(es.map((e) => e.status)).toEqual(['INITIATED', 'INITIATED', 'PENDING', 'PENDING', 'PENDING']);
    expect(st).toMatchObject({ running: 2, queued: 3, maxRunning: 2 });
    s.advance(10_000); // one late call catches up with the whole chain
    expect(es.map((e) => e.startedAt)).toEqual([1000, 1001, 1100, 1101, 1200]);
    expect(es.map((e) => e.finishedAt)).toEqual([1100, 1101, 1200, 1201, 1300]);
    expect(st).toMatchObject({ running: 0, queued: 0, finished: 5, maxRunning: 2, executionsCreated: 5 });
  });

  it('keeps never-finishing executions running, holding their slot', () => {
    const st = stats();
    const s = store({
      concurrency: 1,
      stats: st,
      responder: (req, random) => ({
        ...defaultResponder(req, random),
        neverFinishes: req.externalId === 'stuck',
      }),
    });
    const stuck = s.create(request('stuck'), 0);
    const next = s.create(request('next'), 0);
    s.advance(1e9);
    expect(stuck.status).toBe('INITIATED');
    expect(next.status).toBe('PENDING');
    expect(st.running).toBe(1);
  });

  it('applies neverFinishRate read at creation time', () => {
    let rate = 1;
    const s = store({ neverFinishRate: () => rate });
    const a = s.create(request('a'), 0);
    rate = 0;
    const b = s.create(request('b'), 0);
    s.advance(1000);
    expect(a).toMatchObject({ neverFinishes: true, status: 'INITIATED' });
    expect(b).toMatchObject({ neverFinishes: false, status: 'FULFILLED' });
  });

  it('uses the responder duration over the base one, and a range base per execution', () => {
    const s = store({ durationMs: { min: 10, max: 20 } });
    const ranged = Array.from({ length: 50 }, (_, i) => s.create(request(`r${i}`), 0).durationMs);
    expect(ranged.every((d) => d >= 10 && d <= 20 && Number.isInteger(d))).toBe(true);
    expect(new Set(ranged).size).toBeGreaterThan(3);
    const scripted = s.create(request('x', [{ name: 'fake_duration_ms', type: 'NUMBER', value: 3 }]), 0);
    expect(scripted.durationMs).toBe(3);
    const fn = store({ durationMs: (req) => (req.externalId === 'long' ? 500 : 5) });
    expect(fn.create(request('long'), 0).durationMs).toBe(500);
  });

  it('does not create anything when the responder throws or gives a bad duration', () => {
    const st = stats();
    const s = store({ stats: st, responder: () => ({ outputs: {}, durationMs: -1 }) });
    expect(() => s.create(request('a'), 0)).toThrow(/duration/);
    expect(st.executionsCreated).toBe(0);
    expect(s.byExternalId('a')).toBeUndefined();
  });

  it('gives the same outcome to the same external id whatever the creation order', () => {
    const responder: StoreOptions['responder'] = (req, random) => defaultResponder(req, random, 0.5);
    const one = store({ responder, seed: 9 });
    const two = store({ responder, seed: 9 });
    const names = Array.from({ length: 20 }, (_, i) => `k${i}`);
    for (const n of names) one.create(request(n), 0);
    for (const n of [...names].reverse()) two.create(request(n), 0);
    one.advance(1000);
    two.advance(1000);
    const outcome = (s: ExecutionStore, n: string): string => s.byExternalId(n)!.status;
    expect(names.map((n) => outcome(one, n))).toEqual(names.map((n) => outcome(two, n)));
    expect(new Set(names.map((n) => outcome(one, n)))).toEqual(new Set(['FULFILLED', 'REJECTED']));
  });

  it('handles 100,000 executions with unique ids and a full FIFO chain', () => {
    const st = stats();
    const s = store({ concurrency: 50, stats: st, durationMs: { min: 1, max: 100 } });
    for (let i = 0; i < 100_000; i++) s.create(request(null), 0);
    s.advance(Number.MAX_SAFE_INTEGER);
    const ids = new Set<string>();
    let busy = 0;
    let lastFinish = 0;
    for (const e of s.values()) {
      ids.add(e.id);
      busy += e.durationMs;
      lastFinish = Math.max(lastFinish, e.finishedAt!);
    }
    expect(ids.size).toBe(100_000);
    expect(st).toMatchObject({ finished: 100_000, maxRunning: 50, running: 0, queued: 0 });
    // Perfect utilisation: the makespan is within one max duration of the lower bound.
    expect(lastFinish).toBeLessThanOrEqual(Math.ceil(busy / 50) + 100);
  });

  it('lists executions per deployment in creation order', () => {
    const s = store();
    const a = s.create(request('a'), 0);
    const b = s.create(request('b'), 1);
    expect(s.forDeployment('dep-1').map((e) => e.id)).toEqual([a.id, b.id]);
    expect(s.forDeployment('other')).toEqual([]);
  });
});
