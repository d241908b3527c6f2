#!/usr/bin/env node
import { main } from './cli.js';
import { exitOnEarlySignals } from './signals.js';

exitOnEarlySignals({ stdout: process.stdout, stderr: process.stderr, env: process.env });
process.exitCode = await main(process.argv.slice(2));
