// Hostile server modes (issue 16): answers no well-behaved Vellum gives, each counted in stats.faultsInjected.
import { request } from 'node:http';
import { serialization } from 'vellum-ai';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeVellum, type FakeExchange, type FakeVellum, type FakeVellumOptions } from '../src/index.js';
import { body, submit } from './helpers.js';

let fakes: FakeVellum[] = [];
async function start(options?: FakeVellumOptions): Promise<FakeVellum> {
  const fake = await startFakeVellum(options);
  fakes.push(fake);
  return fake;
}
afterEach(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  fakes = [];
});

const HEADERS = { 'x-api-key': 'test-key', 'content-type': 'application/json' };

async function rawPost(fake: FakeVellum, payload: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${fake.url}/v1/execute-workflow-async`, {
    method: 'POST',
    headers: HEADERS,
    body: JSON.stringify(payload),
  });
  return { status: res.status, text: await res.text() };
}

async function rawStatus(
  fake: FakeVellum,
  id: string,
): Promise<{ status: number; text: string; location: string | null }> {
  const res = await fetch(`${fake.url}/v1/workflows/executions/${id}/status`, {
    headers: HEADERS,
    redirect: 'manual',
  });
  return { status: res.status, text: await res.text(), location: res.headers.get('location') };
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('hostile submit modes', () => {
  it('garbleSubmitAfterAcceptRate: creates the execution, answers 200 with a cut, non-JSON or wrong-shape body', async () => {
    const exchanges: FakeExchange[] = [];
    const fake = await start({
      faults: { garbleSubmitAfterAcceptRate: 1 },
      onExchange: (x) => exchanges.push(x),
    });
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await rawPost(fake, body({ i }, { external_id: `g-${i}` })));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(parses(answers[0]!.text)).toBe(false);
    expect(answers[1]!.text).toMatch(/^<html>/);
    const wrong = JSON.parse(answers[2]!.text) as Record<string, unknown>;
    expect(wrong).not.toHaveProperty('execution_id');
    expect(wrong['id']).toBe(fake.byExternalId('g-2')!.id);
    expect(fake.stats.executionsCreated).toBe(3);
    expect(fake.stats.faultsInjected.garbledSubmits).toBe(3);
    expect(exchanges.map((x) => x.fault)).toEqual(Array(3).fill('garbleSubmitAfterAccept'));
  });

  it('submitTimeoutAfterAcceptRate: creates the execution and never answers until close', async () => {
    const fake = await start({ faults: { submitTimeoutAfterAcceptRate: 1 } });
    const outcome = new Promise<string>((resolve) => {
      const req = request(`${fake.url}/v1/execute-workflow-async`, { method: 'POST', headers: HEADERS }, () =>
        resolve('answered'),
      );
      req.on('error', () => resolve('closed without an answer'));
      req.end(JSON.stringify(body({ q: 'held' }, { external_id: 'held-1' })));
    });
    // Ground truth, not a timing: the execution exists while the response is still held.
    for (let i = 0; i < 400 && fake.byExternalId('held-1') === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(fake.byExternalId('held-1')).toBeDefined();
    expect(fake.stats.faultsInjected.heldSubmits).toBe(1);
    expect(fake.stats.responses).toEqual({});
    await fake.close();
    expect(await outcome).toBe('closed without an answer');
  });

  it('duplicateExecutionIdRate: answers an earlier execution id and creates none', async () => {
    const exchanges: FakeExchange[] = [];
    const fake = await start({ durationMs: 0, onExchange: (x) => exchanges.push(x) });
    const first = (await submit(fake, body({ q: 'a' }))).body.execution_id;
    fake.setFaults({ duplicateExecutionIdRate: 1 });
    const again = await submit(fake, body({ q: 'b' }, { external_id: 'dup-2' }));
    expect(again.status).toBe(200);
    expect(again.body.execution_id).toBe(first);
    expect(fake.stats.executionsCreated).toBe(1);
    expect(fake.byExternalId('dup-2')).toBeUndefined();
    expect(fake.stats.faultsInjected.duplicateIds).toBe(1);
    expect(exchanges.map((x) => x.fault)).toEqual([undefined, 'duplicateExecutionId']);
  });

  it('duplicateExecutionIdRate: the very first submit is served normally (no earlier id)', async () => {
    const fake = await start({ faults: { duplicateExecutionIdRate: 1 } });
    expect((await submit(fake, body())).status).toBe(200);
    expect(fake.stats).toMatchObject({ executionsCreated: 1, faultsInjected: { duplicateIds: 0 } });
  });
});

describe('oversized submit answers', () => {
  it('oversizeSubmitBytes: creates the execution, answers a valid 200 padded to the size, declared then chunked', async () => {
    const exchanges: FakeExchange[] = [];
    const size = 2 * 1024 * 1024 + 3;
    const fake = await start({ faults: { oversizeSubmitBytes: size }, onExchange: (x) => exchanges.push(x) });
    const answers = [];
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${fake.url}/v1/execute-workflow-async`, {
        method: 'POST',
        headers: HEADERS,
        body: JSON.stringify(body({ i }, { external_id: `big-${i}` })),
      });
      answers.push({ length: res.headers.get('content-length'), text: await res.text() });
    }
    expect(answers.map((a) => a.length)).toEqual([String(size), null]);
    for (const [i, answer] of answers.entries()) {
      expect(Buffer.byteLength(answer.text)).toBe(size);
      const parsed = JSON.parse(answer.text) as { execution_id: string; fake_padding: string };
      expect(parsed.execution_id).toBe(fake.byExternalId(`big-${i}`)!.id);
      expect(parsed.fake_padding).toMatch(/^x+$/);
      // Apart from the padding, the answer is Vellum's own shape.
      const { fake_padding: _padding, ...rest } = parsed;
      const strict = serialization.ExecuteWorkflowAsyncResponse.parse(rest, {
        unrecognizedObjectKeys: 'fail',
      });
      expect(strict.ok, JSON.stringify(strict)).toBe(true);
    }
    expect(fake.stats).toMatchObject({ executionsCreated: 2, faultsInjected: { oversizedSubmits: 2 } });
    expect(exchanges.map((x) => x.fault)).toEqual(['oversizeSubmit', 'oversizeSubmit']);
    expect(JSON.stringify(exchanges[0]!.responseBody).length).toBeLessThan(1000);
  });
});

describe('hostile status modes', () => {
  it('garbleStatusRate: 200 with a truncated or wrong-shape body', async () => {
    const fake = await start({ faults: { garbleStatusRate: 1 } });
    const id = (await submit(fake, body())).body.execution_id;
    const cut = await rawStatus(fake, id);
    const shape = await rawStatus(fake, id);
    expect([cut.status, shape.status]).toEqual([200, 200]);
    expect(parses(cut.text)).toBe(false);
    expect(JSON.parse(shape.text)).toEqual({ status: 42 });
    expect(fake.stats.faultsInjected.garbledStatuses).toBe(2);
  });

  it('redirectStatusRate: 302 to a path the fake answers 404', async () => {
    const fake = await start({ faults: { redirectStatusRate: 1 } });
    const id = (await submit(fake, body())).body.execution_id;
    const res = await rawStatus(fake, id);
    expect(res.status).toBe(302);
    expect(res.location).toBe('/v1/redirected-nowhere');
    const followed = await fetch(fake.url + res.location!, { headers: HEADERS });
    expect(followed.status).toBe(404);
    expect(fake.stats.faultsInjected.redirectedStatuses).toBe(1);
  });

  it('oversizeStatusBytes: pads a valid status answer to the size with a long output string', async () => {
    const exchanges: FakeExchange[] = [];
    const size = 3 * 1024 * 1024 + 17;
    const fake = await start({ faults: { oversizeStatusBytes: size }, onExchange: (x) => exchanges.push(x) });
    const id = (await submit(fake, body({ q: 'a' }))).body.execution_id;
    const res = await rawStatus(fake, id);
    expect(res.status).toBe(200);
    expect(Buffer.byteLength(res.text)).toBe(size);
    const parsed = JSON.parse(res.text) as { execution_id: string; outputs: Record<string, string> };
    expect(parsed.execution_id).toBe(id);
    expect(parsed.outputs['fake_padding']).toMatch(/^x+$/);
    // Padded inside `outputs`: the answer keeps Vellum's own shape.
    const strict = serialization.CheckWorkflowExecutionStatusResponse.parse(parsed, {
      unrecognizedObjectKeys: 'fail',
    });
    expect(strict.ok, JSON.stringify(strict).slice(0, 500)).toBe(true);
    expect(fake.stats.faultsInjected.oversizedStatuses).toBe(1);
    const recorded = exchanges.at(-1)!;
    expect(recorded.fault).toBe('oversizeStatus');
    expect(JSON.stringify(recorded.responseBody).length).toBeLessThan(1000);
  });

  it('oversizeStatusBytes: declares the length, then sends the next answer chunked without one, in rotation', async () => {
    const fake = await start({ faults: { oversizeStatusBytes: 200_000 } });
    const id = (await submit(fake, body())).body.execution_id;
    const lengths = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${fake.url}/v1/workflows/executions/${id}/status`, { headers: HEADERS });
      lengths.push(res.headers.get('content-length'));
      expect(Buffer.byteLength(await res.text())).toBe(200_000);
    }
    expect(lengths).toEqual(['200000', null, '200000']);
  });

  it('refuses bad hostile settings with the field named', async () => {
    await expect(startFakeVellum({ faults: { garbleStatusRate: 2 } })).rejects.toThrow(
      'faults.garbleStatusRate must be a number in [0, 1], got 2',
    );
    await expect(startFakeVellum({ faults: { oversizeStatusBytes: -1 } })).rejects.toThrow(
      'faults.oversizeStatusBytes must be a finite number >= 0, got -1',
    );
    await expect(startFakeVellum({ faults: { oversizeSubmitBytes: Infinity } })).rejects.toThrow(
      'faults.oversizeSubmitBytes must be a finite number >= 0, got Infinity',
    );
  });
});
