import { defineConfig } from 'vitest/config';

// One run for the whole repo: unit specs beside the code in libs/ and apps/,
// cross-process integration specs in tests/. `npm test` builds first, because
// libraries import each other through their built `dist/` and the integration
// specs start the built apps as real processes.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['libs/*/*/src/**/*.spec.ts', 'apps/*/src/**/*.spec.ts', 'tools/**/*.spec.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/*/src/**/*.spec.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Integration specs start processes and databases: one file at a time on 2 cores.
          fileParallelism: false,
        },
      },
    ],
    reporters: ['default', './tools/vitest-summary-reporter.ts'],
  },
});
