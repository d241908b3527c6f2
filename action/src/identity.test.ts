import { describe, expect, it } from 'vitest';
import { parseInputs } from './inputs.js';
import type { InputName } from './inputs.js';
import { artifactBase, commentKey, defaultExternalIdPrefix, identityHash, stepIdentity } from './identity.js';

const step = { workflow: 'CI', job: 'eval', step: '__acme_vellum-batch' };

function inputs(given: Partial<Record<InputName, string>>) {
  const all: Partial<Record<InputName, string>> = {
    'api-key': 'k',
    workflow: 'bot',
    dataset: 'cases.jsonl',
    ...given,
  };
  return parseInputs((name) => all[name] ?? '', {});
}

describe('step identity', () => {
  it('tells apart two matrix jobs of one run that differ only in the release tag', () => {
    const a = stepIdentity(step, inputs({ 'release-tag': 'v1' }), '');
    const b = stepIdentity(step, inputs({ 'release-tag': 'v2' }), '');
    const run = { runId: '900', runAttempt: 1 };
    expect(identityHash(a)).toMatch(/^[0-9a-f]{8}$/);
    expect(identityHash(a)).not.toBe(identityHash(b));
    expect(defaultExternalIdPrefix(run, a, null)).toBe(`vb-900-1-eval-${identityHash(a)}-`);
    expect(defaultExternalIdPrefix(run, a, null)).not.toBe(defaultExternalIdPrefix(run, b, null));
    expect(artifactBase(inputs({ 'release-tag': 'v1' }), a, '')).toBe(
      `vellum-batch-results-eval-${identityHash(a)}`,
    );
    expect(artifactBase(inputs({ 'release-tag': 'v1' }), a, '')).not.toBe(
      artifactBase(inputs({ 'release-tag': 'v2' }), b, ''),
    );
    expect(commentKey(a, null)).toBe(`eval:__acme_vellum-batch:${identityHash(a)}`);
    expect(commentKey(a, null)).not.toBe(commentKey(b, null));
  });

  it('tells apart datasets, steps and jobs; is the same on every run and attempt', () => {
    const hashes = new Set([
      identityHash(stepIdentity(step, inputs({}), '')),
      identityHash(stepIdentity(step, inputs({ dataset: 'other.jsonl' }), '')),
      identityHash(stepIdentity({ ...step, step: '__acme_vellum-batch_2' }, inputs({}), '')),
      identityHash(stepIdentity({ ...step, job: 'eval-2' }, inputs({}), '')),
      identityHash(stepIdentity(step, inputs({ 'base-url': 'https://proxy.test' }), '')),
    ]);
    expect(hashes.size).toBe(5);
    // Nothing of the run or attempt is in the identity: re-runs keep their artifact name and comment.
    expect(identityHash(stepIdentity(step, inputs({}), ''))).toBe(
      identityHash(stepIdentity(step, inputs({}), '')),
    );
    const id = stepIdentity(step, inputs({}), '');
    expect(defaultExternalIdPrefix({ runId: '900', runAttempt: 2 }, id, { index: 3 })).toBe(
      `vb-900-2-eval-${identityHash(id)}-s3-`,
    );
  });

  it('keeps an explicit artifact name, and the shard names the merge looks for', () => {
    const explicit = inputs({ 'artifact-name': 'evals' });
    expect(artifactBase(explicit, stepIdentity(step, explicit, 'evals'), 'evals')).toBe('evals');
    const shard = inputs({ shard: '2/4' });
    expect(artifactBase(shard, stepIdentity(step, shard, ''), '')).toBe('vellum-batch-results');
    const merge = parseInputs((name) => (name === 'mode' ? 'merge' : ''), {});
    expect(artifactBase(merge, stepIdentity(step, merge, ''), '')).toBe('vellum-batch-results');
    expect(commentKey(stepIdentity(step, shard, ''), { index: 2, count: 4 })).toMatch(
      /^eval:__acme_vellum-batch:[0-9a-f]{8}:shard-2-of-4$/,
    );
  });

  it('keeps the external-id prefix short with a long job id, and valid for the input schema', () => {
    const id = stepIdentity({ ...step, job: 'a-very-long-job-identifier-indeed-yes' }, inputs({}), '');
    const prefix = defaultExternalIdPrefix({ runId: '12345678901', runAttempt: 10 }, id, { index: 12 });
    expect(prefix).toMatch(/^vb-12345678901-10-a-very-long-job-iden-[0-9a-f]{8}-s12-$/);
    expect(prefix).toMatch(/^[\w.:-]{1,100}$/);
  });
});
