#!/usr/bin/env node
import { keepWasmOnBaseline, limitHeapGrowth } from '@vellum-batch/core/internal';
import { main } from './cli.js';
import { exitOnEarlySignals } from './signals.js';

keepWasmOnBaseline();
limitHeapGrowth();
exitOnEarlySignals({ stdout: process.stdout, stderr: process.stderr, env: process.env });
process.exitCode = await main(process.argv.slice(2));
