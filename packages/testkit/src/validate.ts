import type { FakeInput } from './types.js';

/** Input types the execute-workflow-async endpoint accepts. */
export const FAKE_INPUT_TYPES = [
  'STRING',
  'NUMBER',
  'JSON',
  'CHAT_HISTORY',
  'IMAGE',
  'AUDIO',
  'VIDEO',
  'DOCUMENT',
] as const;

/** Chat roles a `CHAT_HISTORY` message may have. */
export const CHAT_ROLES = ['SYSTEM', 'USER', 'ASSISTANT', 'FUNCTION'] as const;

const INPUT_TYPE_SET: ReadonlySet<string> = new Set(FAKE_INPUT_TYPES);
const ROLE_SET: ReadonlySet<string> = new Set(CHAT_ROLES);

/** A validated body of `POST /v1/execute-workflow-async`. */
export interface SubmitBody {
  readonly inputs: readonly FakeInput[];
  readonly deploymentId: string | null;
  readonly deploymentName: string | null;
  readonly releaseTag: string;
  readonly externalId: string | null;
  readonly metadata: unknown;
}

/** The result of {@link parseSubmitBody}: the body, or the `detail` of a 400 naming the field. */
export type ParseResult = { ok: true; value: SubmitBody } | { ok: false; detail: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function checkValue(type: string, value: unknown, field: string): string | undefined {
  switch (type) {
    case 'STRING':
      return typeof value === 'string'
        ? undefined
        : `${field}: STRING input needs a string, got ${describe(value)}.`;
    case 'NUMBER':
      return typeof value === 'number' && Number.isFinite(value)
        ? undefined
        : `${field}: NUMBER input needs a finite number, got ${describe(value)}.`;
    case 'JSON':
      return value === undefined ? `${field}: This field is required.` : undefined;
    case 'CHAT_HISTORY': {
      if (!Array.isArray(value)) return `${field}: CHAT_HISTORY input needs a list, got ${describe(value)}.`;
      for (let i = 0; i < value.length; i++) {
        const message: unknown = value[i];
        const at = `${field}[${i}]`;
        if (!isObject(message)) return `${at}: a chat message must be an object, got ${describe(message)}.`;
        if (typeof message.role !== 'string' || !ROLE_SET.has(message.role)) {
          return `${at}.role: must be one of ${CHAT_ROLES.join(', ')}.`;
        }
        if (message.text !== undefined && message.text !== null && typeof message.text !== 'string') {
          return `${at}.text: must be a string.`;
        }
        if (message.content !== undefined && message.content !== null && !isObject(message.content)) {
          return `${at}.content: must be an object.`;
        }
      }
      return undefined;
    }
    default:
      // IMAGE, AUDIO, VIDEO, DOCUMENT
      if (!isObject(value))
        return `${field}: ${type} input needs an object with "src", got ${describe(value)}.`;
      return typeof value.src === 'string' && value.src !== ''
        ? undefined
        : `${field}.src: ${type} input needs a non-empty string "src".`;
  }
}

function optionalString(body: Record<string, unknown>, key: string): string | null | { error: string } {
  const value = body[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') return { error: `${key}: Must be a string, got ${describe(value)}.` };
  if (value === '') return { error: `${key}: This field may not be blank.` };
  return value;
}

/**
 * Validates the JSON body of a submit the way Vellum does (field by field, first error wins), naming the
 * offending field in the detail, e.g. `inputs[1].value: NUMBER input needs a finite number, got a string.`
 */
export function parseSubmitBody(body: unknown): ParseResult {
  if (!isObject(body))
    return { ok: false, detail: `Request body must be a JSON object, got ${describe(body)}.` };
  const rawInputs = body.inputs;
  if (rawInputs === undefined || rawInputs === null)
    return { ok: false, detail: 'inputs: This field is required.' };
  if (!Array.isArray(rawInputs))
    return { ok: false, detail: `inputs: Must be a list, got ${describe(rawInputs)}.` };
  const inputs: FakeInput[] = [];
  const names = new Set<string>();
  for (let i = 0; i < rawInputs.length; i++) {
    const input: unknown = rawInputs[i];
    const at = `inputs[${i}]`;
    if (!isObject(input)) return { ok: false, detail: `${at}: Must be an object, got ${describe(input)}.` };
    const { name, type, value } = input;
    if (typeof name !== 'string' || name === '') {
      return { ok: false, detail: `${at}.name: This field is required and must be a non-empty string.` };
    }
    if (names.has(name)) return { ok: false, detail: `${at}.name: Duplicate input name '${name}'.` };
    names.add(name);
    if (typeof type !== 'string' || !INPUT_TYPE_SET.has(type)) {
      return {
        ok: false,
        detail: `${at}.type: Must be one of ${FAKE_INPUT_TYPES.join(', ')} (input '${name}').`,
      };
    }
    const problem = checkValue(type, value, `${at}.value`);
    if (problem !== undefined) return { ok: false, detail: `${problem} (input '${name}')` };
    inputs.push({ name, type, value });
  }
  const deploymentId = optionalString(body, 'workflow_deployment_id');
  if (typeof deploymentId === 'object' && deploymentId !== null)
    return { ok: false, detail: deploymentId.error };
  const deploymentName = optionalString(body, 'workflow_deployment_name');
  if (typeof deploymentName === 'object' && deploymentName !== null)
    return { ok: false, detail: deploymentName.error };
  if (deploymentId === null && deploymentName === null) {
    return {
      ok: false,
      detail:
        'workflow_deployment_name: Must provide either workflow_deployment_id or workflow_deployment_name.',
    };
  }
  const releaseTag = optionalString(body, 'release_tag');
  if (typeof releaseTag === 'object' && releaseTag !== null) return { ok: false, detail: releaseTag.error };
  const externalId = optionalString(body, 'external_id');
  if (typeof externalId === 'object' && externalId !== null) return { ok: false, detail: externalId.error };
  const metadata = body.metadata ?? null;
  if (metadata !== null && !isObject(metadata)) {
    return { ok: false, detail: `metadata: Must be an object, got ${describe(metadata)}.` };
  }
  return {
    ok: true,
    value: { inputs, deploymentId, deploymentName, releaseTag: releaseTag ?? 'LATEST', externalId, metadata },
  };
}
