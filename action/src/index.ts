import { keepWasmOnBaseline, limitHeapGrowth } from '@vellum-batch/core/internal';
import { run } from './main.js';

// The process settings the CLI's bin makes too (see their modules); the first is a no-op on Node 24, the action's.
keepWasmOnBaseline();
limitHeapGrowth();
await run();
