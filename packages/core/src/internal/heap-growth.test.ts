import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { limitHeapGrowth } from './heap-growth.js';

describe('limitHeapGrowth', () => {
  it('leaves a growth factor set on the command line alone, in either spelling', () => {
    expect(limitHeapGrowth(['--heap-growing-percent=0'])).toBe(false);
    expect(limitHeapGrowth(['--inspect', '--heap_growing_percent=30'])).toBe(false);
    expect(limitHeapGrowth(['--heap-growing-percent', '30'])).toBe(false);
  });

  it("sets a flag this Node.js's V8 knows (an unknown flag would print an error to stderr)", () => {
    // In a process of its own (the flag holds for the rest of the process), from the build the CLI and action run.
    const module = fileURLToPath(new URL('../../dist/internal/heap-growth.js', import.meta.url));
    const child = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { limitHeapGrowth } = await import(${JSON.stringify(module)});
         process.stdout.write(String(limitHeapGrowth([])));`,
      ],
      { encoding: 'utf8' },
    );
    expect(child.stderr).toBe('');
    expect(child.stdout).toBe('true');
  });
});
