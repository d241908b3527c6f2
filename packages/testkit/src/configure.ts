/** Validation of {@link FakeVellumOptions} and the deployment table built from them. */
import { checkFaults, checkRate } from './faults.js';
import { fakeDeploymentId } from './ids.js';
import type { FakeVellumOptions } from './options.js';
import type { Deployments } from './routes/context.js';
import type { StoreDeployment } from './store.js';

/** Throws a `TypeError` or `RangeError` naming the first bad option. */
export function checkOptions(options: FakeVellumOptions): void {
  if (options.apiKey !== undefined && (typeof options.apiKey !== 'string' || options.apiKey === '')) {
    throw new TypeError('apiKey must be a non-empty string');
  }
  const c = options.concurrency;
  if (c !== undefined && !(c === Infinity || (Number.isInteger(c) && c >= 1))) {
    throw new RangeError(`concurrency must be an integer >= 1 or Infinity, got ${String(c)}`);
  }
  const d = options.durationMs;
  if (typeof d === 'number' && !(Number.isFinite(d) && d >= 0)) {
    throw new RangeError(`durationMs must be a finite number >= 0, got ${String(d)}`);
  }
  if (typeof d === 'object' && !(d.min >= 0 && d.max >= d.min && Number.isFinite(d.max))) {
    throw new RangeError(`durationMs range must satisfy 0 <= min <= max, got ${JSON.stringify(d)}`);
  }
  if (options.rejectRate !== undefined) checkRate('rejectRate', options.rejectRate);
  if (options.seed !== undefined && !Number.isFinite(options.seed)) {
    throw new RangeError(`seed must be a finite number, got ${String(options.seed)}`);
  }
  const m = options.maxPageSize;
  if (m !== undefined && !(Number.isInteger(m) && m >= 1)) {
    throw new RangeError(`maxPageSize must be an integer >= 1, got ${String(m)}`);
  }
  for (const key of ['listQueued', 'ignoreFilters', 'splitHosts'] as const) {
    const value = options[key];
    if (value !== undefined && typeof value !== 'boolean') {
      throw new TypeError(`${key} must be a boolean, got ${String(value)}`);
    }
  }
  if (options.onExchange !== undefined && typeof options.onExchange !== 'function') {
    throw new TypeError('onExchange must be a function');
  }
  if (options.faults !== undefined) checkFaults(options.faults);
}

/** The declared deployments by id and by name; throws on an empty list, a blank name or a duplicate. */
export function buildDeployments(list: FakeVellumOptions['deployments']): Deployments {
  const byId = new Map<string, StoreDeployment>();
  const byName = new Map<string, StoreDeployment>();
  const entries = list ?? ['demo'];
  if (entries.length === 0) throw new RangeError('deployments must not be empty');
  for (const entry of entries) {
    const name = typeof entry === 'string' ? entry : entry.name;
    if (typeof name !== 'string' || name === '')
      throw new TypeError('a deployment name must be a non-empty string');
    const id = typeof entry === 'string' || entry.id === undefined ? fakeDeploymentId(name) : entry.id;
    if (byName.has(name)) throw new RangeError(`deployment name '${name}' is declared twice`);
    if (byId.has(id)) throw new RangeError(`deployment id '${id}' is declared twice`);
    const deployment = { id, name };
    byId.set(id, deployment);
    byName.set(name, deployment);
  }
  return { byId, byName };
}
