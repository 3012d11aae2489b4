import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@ssh/source'] },
  test: { name: 'sftp', include: ['test/**/*.test.ts'], testTimeout: 20_000 },
});
