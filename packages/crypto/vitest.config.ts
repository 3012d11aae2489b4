import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@ssh/source'] },
  test: { name: 'crypto', include: ['test/**/*.test.ts'] },
});
