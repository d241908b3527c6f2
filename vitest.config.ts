import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources, so unit tests never run against a stale build.
// End-to-end tests that spawn the CLI use the built `dist/` (the root `test` script builds first).
const alias = {
  '@vellum-batch/core': fileURLToPath(new URL('./packages/core/src/index.ts', import.meta.url)),
  '@vellum-batch/testkit': fileURLToPath(new URL('./packages/testkit/src/index.ts', import.meta.url)),
};

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
