import { describe, expect, it } from 'vitest';
import { parseSubmitBody } from './validate.js';

describe('parseSubmitBody', () => {
  it('accepts every input type and fills defaults', () => {
    const result = parseSubmitBody({
      workflow_deployment_name: 'demo',
      inputs: [
        { name: 's', type: 'STRING', value: '' },
        { name: 'n', type: 'NUMBER', value: -1.5 },
        { name: 'j', type: 'JSON', value: null },
        {
          name: 'h',
          type: 'CHAT_HISTORY',
          value: [
            { role: 'SYSTEM', text: 'x' },
            { role: 'FUNCTION', content: {} },
          ],
        },
        { name: 'i', type: 'IMAGE', value: { src: 'https://x/y.png' } },
        { name: 'd', type: 'DOCUMENT', value: { src: 'data:,x' } },
      ],
    });
    expect(result).toMatchObject({
      ok: true,
      value: {
        releaseTag: 'LATEST',
        externalId: null,
        metadata: null,
        deploymentId: null,
        deploymentName: 'demo',
      },
    });
  });

  it.each([
    [[], 'Request body must be a JSON object, got an array.'],
    [
      { inputs: [{ name: 'a', type: 'JSON' }], workflow_deployment_id: 'x' },
      "inputs[0].value: This field is required. (input 'a')",
    ],
    [
      {
        inputs: [
          { name: 'a', type: 'STRING', value: 'x' },
          { name: 'a', type: 'STRING', value: 'y' },
        ],
        workflow_deployment_id: 'x',
      },
      "inputs[1].name: Duplicate input name 'a'.",
    ],
    [
      {
        inputs: [{ name: 'h', type: 'CHAT_HISTORY', value: [{ role: 'USER', text: 1 }] }],
        workflow_deployment_id: 'x',
      },
      "inputs[0].value[0].text: must be a string. (input 'h')",
    ],
    [
      { inputs: [], workflow_deployment_id: 'x', external_id: '' },
      'external_id: This field may not be blank.',
    ],
    [
      { inputs: [], workflow_deployment_id: 'x', release_tag: 3 },
      'release_tag: Must be a string, got a number.',
    ],
  ])('rejects %j', (body, detail) => {
    expect(parseSubmitBody(body)).toEqual({ ok: false, detail });
  });
});
