/**
 * A model of Vellum's queue, kept from what the statuses show: Vellum runs at most `limit` executions of an
 * organisation at once and starts queued ones in FIFO order (the order it accepted the submits). While the limit is
 * unknown every accepted execution is believed running; once a `PENDING` status reveals the limit, executions beyond
 * it are believed queued and are not polled: each finish seen promotes the oldest queued one to "running since then".
 *
 * Pure state: no I/O, no timers. The model is the one writer of each member's `state` and `startedAt` and of the
 * running and queued counts; callers wake the members it returns.
 */

/** What the model needs of an execution. */
export interface QueueMember {
  /** Position in the order Vellum accepted the submits (the order of their answers). */
  readonly order: number;
  /** `admitted`: accepted, not yet placed by the model. `gone`: left the model. */
  state: 'admitted' | 'running' | 'queued' | 'gone';
  /** When the execution is believed to have started running. */
  startedAt: number;
  /** When a status answer last said it was running (0: never). */
  seenRunningAt: number;
  /** Looks at its status since it was believed started; reset when it (re)starts. */
  looks: number;
}

/** Promoted and demoted members, for the caller to wake. */
export interface QueueChange<M> {
  readonly woken: readonly M[];
}

/** See the module comment. */
export class ServerQueue<M extends QueueMember> {
  readonly #limit: () => number | null;
  readonly #members = new Set<M>();
  /** Members believed queued, oldest first; `#head` skips the ones already promoted. */
  #queue: M[] = [];
  #head = 0;
  #running = 0;
  #queued = 0;
  /** See {@link ServerQueue.youngestStart}; null: to be looked for. */
  #youngestStart: number | null = -Infinity;

  /** @param limit - The server's concurrency limit as learned so far (null: unknown). */
  constructor(limit: () => number | null) {
    this.#limit = limit;
  }

  /** Executions believed running. */
  get running(): number {
    return this.#running;
  }

  /** Executions believed queued. */
  get queued(): number {
    return this.#queued;
  }

  /** Places an execution Vellum just accepted: running while the limit is unknown, else behind the queue. */
  admit(member: M, now: number): QueueChange<M> {
    this.#members.add(member);
    if (this.#limit() === null) {
      this.#start(member, now);
      return { woken: [] };
    }
    this.#enqueue(member);
    return { woken: this.#fill(now, Infinity) };
  }

  /** Places an execution submitted before a crash (resume): it may have finished long ago, so it runs since then. */
  adopt(member: M, since: number): void {
    this.#members.add(member);
    this.#start(member, since);
  }

  /** A queued member was seen running: it left the queue. */
  seenRunning(member: M, now: number): void {
    member.seenRunningAt = now;
    if (member.state !== 'queued') return;
    this.#dequeue(member);
    this.#start(member, now);
  }

  /**
   * A member believed running was seen queued (`PENDING`). Everything running on the server was accepted before it
   * and is unfinished: returns that count as an upper bound of the limit (`finishedSinceAsked` adds the executions
   * that finished while the status request was in the air). The member and every later one never seen running are
   * queued; call {@link ServerQueue.fillAfterDemotion} once the limit is learned.
   */
  demote(member: M, finishedSinceAsked: number): { bound: number; woken: M[] } {
    let bound = finishedSinceAsked;
    for (const other of this.#members) {
      if (other.order < member.order && (other.state === 'running' || other.state === 'queued')) bound += 1;
    }
    const woken: M[] = [];
    if (member.state === 'running') {
      this.#stopRunning(member);
      this.#enqueue(member);
    }
    for (const other of this.#members) {
      if (other.order > member.order && other.state === 'running' && other.seenRunningAt === 0) {
        this.#stopRunning(other);
        this.#enqueue(other);
        woken.push(other);
      }
    }
    return { bound, woken };
  }

  /** After a demotion: older members believed queued must be the ones running in its place. */
  fillAfterDemotion(member: M, now: number): M[] {
    return this.#fill(now, member.order);
  }

  /** A member ended (recorded): its slot goes to the oldest queued one, believed started at `finishedAt`. */
  leave(member: M, finishedAt: number, refill: boolean): M[] {
    const state = member.state;
    member.state = 'gone';
    this.#members.delete(member);
    if (state === 'running') {
      this.#stopRunning(member);
      return refill ? this.#fill(finishedAt, Infinity) : [];
    }
    if (state === 'queued') this.#dequeue(member);
    return [];
  }

  /**
   * When the member believed running that started last started (-Infinity: none runs). Kept as starts happen, and
   * looked for again only after the youngest stopped running: the tail asks at every look it plans.
   */
  youngestStart(): number {
    if (this.#youngestStart === null) {
      let youngest = -Infinity;
      for (const member of this.#members) {
        if (member.state === 'running' && member.startedAt > youngest) youngest = member.startedAt;
      }
      this.#youngestStart = youngest;
    }
    return this.#youngestStart;
  }

  /** The oldest member believed queued (the probe's target), if any. */
  head(): M | undefined {
    return this.#queue[this.#head];
  }

  #start(member: M, since: number): void {
    member.state = 'running';
    member.startedAt = since;
    member.looks = 0;
    this.#running += 1;
    if (this.#youngestStart !== null) this.#youngestStart = Math.max(this.#youngestStart, since);
  }

  /** A running member stops running (queued again, or gone); the state is set by the caller. */
  #stopRunning(member: M): void {
    this.#running -= 1;
    if (this.#youngestStart !== null && member.startedAt >= this.#youngestStart) this.#youngestStart = null;
  }

  #enqueue(member: M): void {
    member.state = 'queued';
    // Keep the queue in accept order: a demoted member may be older than members queued after it.
    let at = this.#queue.length;
    while (at > this.#head && this.#queue[at - 1]!.order > member.order) at -= 1;
    this.#queue.splice(at, 0, member);
    this.#queued += 1;
  }

  #dequeue(member: M): void {
    const at = this.#queue.indexOf(member, this.#head);
    if (at >= 0) this.#queue.splice(at, 1);
    this.#queued -= 1;
    this.#compact();
  }

  /** While fewer than the limit are believed running, the oldest queued ones (older than `olderThan`) start `since`. */
  #fill(since: number, olderThan: number): M[] {
    const limit = this.#limit();
    const started: M[] = [];
    if (limit === null) return started;
    while (this.#running < limit) {
      const head = this.#queue[this.#head];
      if (head === undefined || head.order >= olderThan) break;
      this.#head += 1;
      this.#queued -= 1;
      this.#start(head, since);
      started.push(head);
    }
    this.#compact();
    return started;
  }

  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}
