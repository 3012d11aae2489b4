import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// One vitest project per workspace package; each package's own vitest.config.ts names it.
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'tooling/*/vitest.config.ts', 'apps/*/vitest.config.ts'],
    // vitest runs one file per CPU but one (CPUs - 1, for itself), which on a 2-core machine is a
    // single file at a time; most files spend their time waiting on peer processes (sshd, ssh,
    // AsyncSSH, ...) over loopback, so two at a time there finish the suite in about half the time.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
