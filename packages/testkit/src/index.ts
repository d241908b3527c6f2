/**
 * `@vellum-batch/testkit`: a programmable fake of the Vellum workflow API, a real HTTP server on loopback
 * with a server-side concurrency limit, scripted outcomes and fault injection.
 */
export { startFakeVellum, fakeDeploymentId, EXECUTION_DETAIL_URL_BASE } from './server.js';
export { defaultResponder, CONTROL_INPUTS, DEFAULT_REJECT_MESSAGE, DEFAULT_ERROR_CODE } from './responder.js';
export { FAKE_INPUT_TYPES, CHAT_ROLES } from './validate.js';
export { WEBHOOK_API_VERSION } from './webhooks.js';
export type {
  FakeVellum,
  FakeVellumOptions,
  FakeExecution,
  FakeExecutionStatus,
  FakeExecutionRequest,
  FakeInput,
  FakeError,
  FakeStats,
  FaultOptions,
  FakeOutcome,
  FakeResponse,
  Responder,
  FakeDeployment,
  WebhookOptions,
  WebhookStats,
} from './types.js';
