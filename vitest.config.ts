import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Corpus tests read 350-630 MB kernels and relink real trees; the default 5 s is too short.
    testTimeout: 120_000,
    hookTimeout: 600_000,
    // Two cores: the kernel relink oracles are heavy; keep the worker count small.
    maxWorkers: 2,
  },
});
