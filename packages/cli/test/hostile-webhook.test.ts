/**
 * Hostile webhook deliveries to the receiver of a real `vellum-batch run --track hybrid` process (issue 16), sent
 * while the cases they name are still running: a validly signed 1,500-level `parent` chain, a bad signature, a stale
 * one, one signed for another host (the Host header says so too), deliveries of another deployment, of another run and
 * of an execution this run did not start, and one to the wrong path. None changes a record; the run goes on; each kind
 * is counted in summary.json, the progress line and the final report, and said once.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signWebhook } from '@vellum-batch/core';
import { fakeDeploymentId } from '@vellum-batch/testkit';
import type { FakeVellum } from '@vellum-batch/testkit';
import {
  expectOneExecutionPerRecord,
  readRows,
  readSummary,
  runArgs,
  runHostileCli,
  startFake,
  until,
  writeCases,
} from './hostile-support.js';
import { freePort } from './helpers.js';

const SECRET = 'hostile-hmac-5c1e';
const PATH = '/vellum/webhook';

let dir: string;
let fake: FakeVellum | null = null;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-hostile-webhook-'));
});
afterEach(async () => {
  await fake?.close();
  fake = null;
  await rm(dir, { recursive: true, force: true });
});

/** A deployment context (`WORKFLOW_RELEASE_TAG`) as Vellum nests it in `parent`. */
function context(fields: { deploymentId: string; externalId: string; runId: string | null }): unknown {
  return {
    type: 'WORKFLOW_RELEASE_TAG',
    span_id: randomUUID(),
    deployment_id: fields.deploymentId,
    deployment_name: 'demo',
    release_tag_name: 'LATEST',
    external_id: fields.externalId,
    metadata: fields.runId === null ? null : { vellum_batch_run_id: fields.runId },
    parent: null,
  };
}

/** A `workflow.execution.fulfilled` event whose outputs would fail the case if it were taken. */
function forged(parent: unknown): string {
  return JSON.stringify({
    id: randomUUID(),
    timestamp: new Date().toISOString(),
    api_version: '2024-10-25',
    trace_id: randomUUID(),
    span_id: randomUUID(),
    name: 'workflow.execution.fulfilled',
    parent,
    body: {
      workflow_definition: { id: randomUUID(), name: 'demo', module: ['workflow'] },
      outputs: { q: 'forged' },
    },
  });
}

/** POSTs `body` to the receiver, signed for `signedUrl` (or with `secret`, at `timestamp`); resolves the status. */
function deliver(
  port: number,
  body: string,
  options: { signedUrl: string; secret?: string; timestamp?: number; path?: string; host?: string },
): Promise<number> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = signWebhook({
    secret: options.secret ?? SECRET,
    method: 'POST',
    url: options.signedUrl,
    rawBody: body,
    timestamp,
  });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: options.path ?? PATH,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-vellum-timestamp': String(timestamp),
          'x-vellum-signature': signature,
          ...(options.host === undefined ? {} : { host: options.host }),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('hostile webhook deliveries during a hybrid run', () => {
  it('refuses, ignores or counts as misrouted each one, changes no record, and says each kind once', async () => {
    const port = await freePort();
    const hook = `http://127.0.0.1:${port}${PATH}`;
    // The fake sends its own signed deliveries too: the run is tracked by them, and by polling the silent ones.
    fake = await startFake({ webhook: { url: hook, secret: SECRET } });
    const dataset = join(dir, 'cases.jsonl');
    // The first four cases run 3 s, so the forged deliveries for them arrive while they are in the air.
    await writeCases(dataset, 60, (i) => (i < 4 ? { fake_duration_ms: 3000 } : {}));
    const out = join(dir, 'out');
    let runId: string | null = null;
    const answers: Record<string, number> = {};
    let sent: Promise<void> | null = null;
    const ours = fakeDeploymentId('demo');
    const send = async (): Promise<void> => {
      await until(() => fake!.byExternalId('hostile-c-3') !== undefined, 'the long cases to start');
      const id = runId!;
      const signed = { signedUrl: hook };
      const deep = forged(
        deepChain(1500, context({ deploymentId: ours, externalId: 'hostile-c-0', runId: id })),
      );
      const mine = (externalId: string) => forged(context({ deploymentId: ours, externalId, runId: id }));
      answers['1,500 levels'] = await deliver(port, deep, signed);
      answers['bad signature'] = await deliver(port, mine('hostile-c-0'), { ...signed, secret: 'guess' });
      answers['stale'] = await deliver(port, mine('hostile-c-1'), {
        ...signed,
        timestamp: Math.floor(Date.now() / 1000) - 120,
      });
      answers['another host'] = await deliver(port, mine('hostile-c-1'), {
        signedUrl: `http://evil.example.com${PATH}`,
        host: 'evil.example.com',
      });
      const other = context({
        deploymentId: fakeDeploymentId('other'),
        externalId: 'hostile-c-2',
        runId: id,
      });
      answers['another deployment'] = await deliver(port, forged(other), signed);
      const otherRun = context({ deploymentId: ours, externalId: 'hostile-c-3', runId: 'someone-else' });
      answers['another run'] = await deliver(port, forged(otherRun), signed);
      const stranger = context({ deploymentId: ours, externalId: 'stranger-1', runId: null });
      answers['unknown execution'] = await deliver(port, forged(stranger), signed);
      answers['wrong path'] = await deliver(port, mine('hostile-c-2'), { ...signed, path: '/wrong' });
    };
    const result = await runHostileCli(
      runArgs(
        fake,
        dataset,
        out,
        ...['--concurrency', '60', '--external-id-prefix', 'hostile-'],
        ...['--track', 'hybrid', '--webhook-port', String(port), '--webhook-url', hook],
      ),
      {
        env: { VELLUM_WEBHOOK_SECRET: SECRET },
        onStderr: (text) => {
          const started = /^run (\S+): 60 cases/m.exec(text);
          if (started !== null && sent === null) {
            runId = started[1]!;
            sent = send();
          }
        },
      },
    ).then(async (r) => {
      await sent;
      return r;
    });
    expect(answers).toEqual({
      '1,500 levels': 400,
      'bad signature': 401,
      stale: 401,
      'another host': 401,
      'another deployment': 200,
      'another run': 200,
      'unknown execution': 200,
      'wrong path': 404,
    });
    expect(result.code, result.stderr).toBe(0);
    const rows = await readRows(out);
    expectOneExecutionPerRecord(fake, rows, 60);
    expect(rows.every((r) => r.passed && r.outputs?.['q'] === `question ${r.index}`)).toBe(true);

    const summary = await readSummary(out);
    const hooks = summary['webhooks'] as Record<string, unknown>;
    expect(hooks).toMatchObject({
      refused: 4,
      refused_by: { bad_signature: 2, stale: 1, too_deep: 1 },
      ignored: 3,
      misrouted: 1,
    });
    const { received, accepted, duplicates } = hooks as Record<string, number>;
    expect(received).toBe(accepted! + duplicates! + 4 + 3 + 1);
    expect(accepted).toBeGreaterThan(50);

    const said = (text: string) => result.stderr.split(text).length - 1;
    expect(
      said('warning: webhook deliveries are being refused: nested too deeply; polling continues\n'),
    ).toBe(1);
    expect(said('warning: webhook deliveries are being refused: bad HMAC signature;')).toBe(1);
    expect(
      said(
        "warning: webhook deliveries are being refused: signed more than 60s ago; check this machine's clock",
      ),
    ).toBe(1);
    expect(said('warning: webhook deliveries are being ignored (')).toBe(1);
    expect(said('warning: a delivery arrived at /wrong, the receiver listens on /vellum/webhook')).toBe(1);
    // The last progress line and the final report carry the counts.
    expect(result.stderr).toMatch(
      new RegExp(
        `^done: 60/60 finished, 60 passed, 0 failed, webhooks ${accepted} accepted, 4 refused, 3 ignored, 1 misrouted, `,
        'm',
      ),
    );
    expect(result.stdout).toContain(
      `webhooks: ${received} received, ${accepted} accepted, ${duplicates} duplicates, 3 ignored, 1 misrouted, 4 refused (bad signature 2, stale 1, too deep 1)\n`,
    );
  });
});

/** A `parent` chain `levels` deep with `top` (the deployment context) at its deepest level. */
function deepChain(levels: number, top: unknown): unknown {
  let chain = top;
  for (let i = 1; i < levels; i++) chain = { type: 'EXTERNAL', span_id: `s${i}`, parent: chain };
  return chain;
}
