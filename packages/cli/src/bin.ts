#!/usr/bin/env node
import { limitHeapGrowth } from '@vellum-batch/core/internal';
import { main } from './cli.js';
import { exitOnEarlySignals } from './signals.js';
import { keepWasmOnBaseline } from './wasm-tier.js';

keepWasmOnBaseline();
limitHeapGrowth();
exitOnEarlySignals({ stdout: process.stdout, stderr: process.stderr, env: process.env });
process.exitCode = await main(process.argv.slice(2));
