import { limitHeapGrowth } from '@vellum-batch/core/internal';
import { run } from './main.js';

limitHeapGrowth();
await run();
