/**
 * `@vellum-batch/testkit`: a programmable fake of the Vellum workflow API, real HTTP listeners on loopback that
 * answer in Vellum's published shapes, with a server-side concurrency limit, scripted outcomes, fault injection
 * (hostile modes included) and signed webhooks.
 */
export { startFakeVellum } from './server.js';
export { fakeDeploymentId } from './ids.js';
export { EXECUTION_DETAIL_URL_BASE, WEBHOOK_API_VERSION } from './wire.js';
export { defaultResponder, CONTROL_INPUTS, DEFAULT_REJECT_MESSAGE, DEFAULT_ERROR_CODE } from './responder.js';
export { WORKFLOW_EXECUTION_ERROR_CODES, SDK_ERROR_CODES, sdkErrorCode } from './codes.js';
export type { WorkflowExecutionErrorCode, SdkErrorCode } from './codes.js';
export { FAKE_INPUT_TYPES, CHAT_ROLES } from './validate.js';
export type {
  FakeVellum,
  FakeVellumOptions,
  FaultOptions,
  FakeDeployment,
  WebhookOptions,
} from './options.js';
export type {
  FakeExecution,
  FakeExecutionStatus,
  FakeExecutionRequest,
  FakeInput,
  FakeError,
  FakeStats,
  FakeRequestCounts,
  FakeFaultCounts,
  FakeHost,
  FakeExchange,
  FakeHostileFault,
  FakeOutcome,
  FakeResponse,
  Responder,
  WebhookStats,
} from './types.js';
