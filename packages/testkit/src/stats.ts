/** The fake's counters, all at zero. */
import type { FakeRequestCounts, FakeStats } from './types.js';

function counts(): FakeRequestCounts {
  return { submit: 0, status: 0, events: 0, deployments: 0, other: 0 };
}

/** Every counter at zero. */
export function newStats(): FakeStats {
  return {
    requests: counts(),
    requestsByHost: { predict: counts(), api: counts() },
    responses: {},
    executionsCreated: 0,
    maxRunning: 0,
    running: 0,
    queued: 0,
    finished: 0,
    faultsInjected: {
      rateLimited: 0,
      serverErrors: 0,
      dropped: 0,
      lagged404: 0,
      garbledSubmits: 0,
      heldSubmits: 0,
      garbledStatuses: 0,
      redirectedStatuses: 0,
      oversizedStatuses: 0,
      oversizedSubmits: 0,
      duplicateIds: 0,
    },
    webhooks: { sent: 0, dropped: 0, duplicated: 0, failed: 0 },
  };
}
