import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@ssh/source'] },
  test: { name: 'config', include: ['test/**/*.test.ts'] },
});
