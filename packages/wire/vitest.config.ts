import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@ssh/source'] },
  test: { name: 'wire', include: ['test/**/*.test.ts'] },
});
