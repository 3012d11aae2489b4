import { defineProject } from 'vitest/config';

// Packing and installing with npm (and building the native binding once on install) takes a
// minute or two on a loaded 2-core machine.
export default defineProject({
  test: { name: 'packaging', include: ['test/**/*.test.ts'], testTimeout: 240_000, hookTimeout: 300_000 },
});
