import { describe, expect, it } from 'vitest';
import { ServerQueue, type QueueMember } from './server-queue.js';

function member(order: number): QueueMember {
  return { order, state: 'admitted', startedAt: 0, seenRunningAt: 0, looks: 3 };
}

describe('ServerQueue', () => {
  it('believes everything running while the limit is unknown', () => {
    const queue = new ServerQueue<QueueMember>(() => null);
    const members = [0, 1, 2].map(member);
    for (const m of members) expect(queue.admit(m, 100).woken).toEqual([]);
    expect(members.map((m) => m.state)).toEqual(['running', 'running', 'running']);
    expect(members[0]!.looks).toBe(0);
    expect(queue.running).toBe(3);
    expect(queue.queued).toBe(0);
  });

  it('queues beyond a known limit and promotes the oldest at each finish, FIFO, since the finish', () => {
    const queue = new ServerQueue<QueueMember>(() => 2);
    const m = [0, 1, 2, 3].map(member);
    for (const x of m) queue.admit(x, 0);
    expect(m.map((x) => x.state)).toEqual(['running', 'running', 'queued', 'queued']);
    expect(queue.head()).toBe(m[2]);
    expect(queue.leave(m[1]!, 900, true)).toEqual([m[2]]);
    expect(m[2]!.startedAt).toBe(900);
    expect(queue.running).toBe(2);
    expect(queue.queued).toBe(1);
    // A stop leaves the queue as it is.
    expect(queue.leave(m[0]!, 950, false)).toEqual([]);
    expect(m[3]!.state).toBe('queued');
  });

  it('tells when the member believed running that started last started, queued ones aside', () => {
    const queue = new ServerQueue<QueueMember>(() => 2);
    expect(queue.youngestStart()).toBe(-Infinity);
    const m = [0, 1, 2].map(member);
    queue.admit(m[0]!, 100);
    queue.admit(m[1]!, 300);
    queue.admit(m[2]!, 500); // queued behind the limit of 2: not running, so not the youngest
    expect(queue.youngestStart()).toBe(300);
    queue.leave(m[0]!, 700, true); // m[2] starts in its slot at 700
    expect(queue.youngestStart()).toBe(700);
    queue.leave(m[2]!, 900, true);
    expect(queue.youngestStart()).toBe(300);
  });

  it('finds the youngest again when a demotion queues the youngest running members', () => {
    const queue = new ServerQueue<QueueMember>(() => null);
    const m = [0, 1, 2, 3].map(member);
    m.forEach((x, i) => queue.admit(x, 100 * (i + 1)));
    expect(queue.youngestStart()).toBe(400);
    // m[2] answers PENDING: it and the later unseen m[3] are queued, so m[1] is the youngest running.
    queue.demote(m[2]!, 0);
    expect(queue.youngestStart()).toBe(200);
  });

  it('on a PENDING status bounds the limit by the older unfinished members and queues the later unseen ones', () => {
    let limit: number | null = null;
    const queue = new ServerQueue<QueueMember>(() => limit);
    const m = [0, 1, 2, 3, 4].map(member);
    for (const x of m) queue.admit(x, 0);
    queue.seenRunning(m[4]!, 50); // seen running: stays running
    const { bound, woken } = queue.demote(m[2]!, 1);
    expect(bound).toBe(2 + 1);
    expect(woken).toEqual([m[3]]);
    expect(m.map((x) => x.state)).toEqual(['running', 'running', 'queued', 'queued', 'running']);
    limit = 2;
    // Two older ones are running, so nothing older than the demoted member moves up.
    expect(queue.fillAfterDemotion(m[2]!, 60)).toEqual([]);
    expect(queue.running).toBe(3);
    expect(queue.queued).toBe(2);
  });

  it('a queued member seen running leaves the queue and restarts its looks', () => {
    const queue = new ServerQueue<QueueMember>(() => 1);
    const m = [0, 1].map(member);
    queue.admit(m[0]!, 0);
    queue.admit(m[1]!, 0);
    expect(m[1]!.state).toBe('queued');
    m[1]!.looks = 2;
    queue.seenRunning(m[1]!, 500);
    expect(m[1]!.state).toBe('running');
    expect(m[1]!.startedAt).toBe(500);
    expect(m[1]!.looks).toBe(0);
    expect(queue.queued).toBe(0);
    expect(queue.head()).toBeUndefined();
  });

  it('keeps the queue in accept order when a demoted member is older than those queued after it', () => {
    let limit: number | null = null;
    const queue = new ServerQueue<QueueMember>(() => limit);
    const m = [0, 1, 2].map(member);
    for (const x of m) queue.admit(x, 0);
    limit = 1;
    queue.demote(m[1]!, 0);
    expect(queue.head()).toBe(m[1]);
    expect(queue.leave(m[0]!, 10, true)).toEqual([m[1]]);
    expect(queue.head()).toBe(m[2]);
  });
});
