import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { keepWasmOnBaseline } from './wasm-tier.js';

describe('keepWasmOnBaseline', () => {
  it('leaves Node.js 24 and later alone (the flag changed nothing measured there)', () => {
    expect(keepWasmOnBaseline('24.22.3')).toBe(false);
    expect(keepWasmOnBaseline('26.0.0')).toBe(false);
  });

  it("sets a flag this Node.js's V8 knows on Node.js 20 (an unknown flag would print an error to stderr)", () => {
    // In a process of its own (the flag holds for the rest of the process), from the build the `vellum-batch` bin and the bench run.
    const module = fileURLToPath(new URL('../../dist/internal/wasm-tier.js', import.meta.url));
    const child = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { keepWasmOnBaseline } = await import(${JSON.stringify(module)});
         process.stdout.write(String(keepWasmOnBaseline('20.20.2')));`,
      ],
      { encoding: 'utf8' },
    );
    expect(child.stderr).toBe('');
    expect(child.stdout).toBe('true');
  });
});
