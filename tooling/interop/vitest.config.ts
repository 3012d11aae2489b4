import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@ssh/source'] },
  // Real peers: generous bounds for a loaded 2-core machine; each test still takes well under a second.
  test: { name: 'interop', include: ['test/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 30_000 },
});
