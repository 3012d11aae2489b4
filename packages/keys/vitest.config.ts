import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@ssh/source'] },
  test: { name: 'keys', include: ['test/**/*.test.ts'] },
});
