import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      // FABRIC_HISTORY=off: no test records runs into the repository's .fabric/ (history tests use temp files).
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], env: { FABRIC_HISTORY: 'off' } } },
      {
        test: {
          name: 'integration',
          globalSetup: ['test/support/global-setup.ts'],
          include: ['test/integration/**/*.test.ts'],
          // Files share one lab and one test sshd: run them one at a time.
          fileParallelism: false,
          // Runs connect directly and close with the run (holder.test.ts turns the holder on):
          // tests that count processes and connections see only the run's own.
          env: { FABRIC_SSH_PERSIST: '0', FABRIC_HISTORY: 'off' },
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
