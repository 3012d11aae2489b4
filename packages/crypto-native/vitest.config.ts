import { defineProject } from 'vitest/config';

// Tests run in vite's SSR environment, whose conditions are `ssr.resolve.conditions` (vite 7):
// `resolve.conditions` alone would leave workspace packages resolving to their (stale) dist.
const conditions = ['@ssh/source', 'module', 'node', 'development|production'];

export default defineProject({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@ssh/source'] } },
  test: { name: 'crypto-native', include: ['test/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 60_000 },
});
