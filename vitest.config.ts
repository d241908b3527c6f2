import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources, so unit tests never run against a stale build.
// End-to-end tests that spawn the CLI use the built `dist/` (the root `test` script builds first).
const source = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
const alias = [
  { find: /^@vellum-batch\/core$/, replacement: source('./packages/core/src/index.ts') },
  { find: /^@vellum-batch\/core\/internal$/, replacement: source('./packages/core/src/internal.ts') },
  { find: /^@vellum-batch\/testkit$/, replacement: source('./packages/testkit/src/index.ts') },
];

export default defineConfig({
  test: {
    // The JSON report is what .ci/run counts tests from.
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-report.json' },
    projects: ['packages/core', 'packages/testkit', 'packages/cli', 'action'].map((root) => ({
      resolve: { alias },
      test: {
        name: root.split('/').pop(),
        root,
        include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
        testTimeout: 60_000,
        hookTimeout: 60_000,
      },
    })),
  },
});
