/**
 * vitest glue (import from `@ssh/interop/vitest`, only inside vitest): print the logs of the
 * peers that are still running when a test fails.
 * @module
 */
import { afterEach } from 'vitest';
import { tail } from './errors.ts';
import { runningProcesses } from './process.ts';

export interface LogPeersOptions {
  /** Lines of each log to print (default 200). */
  readonly lines?: number;
}

/**
 * Registers an `afterEach` hook in the current file or suite: when a test fails, the output of
 * every peer started through the harness and still running (sshd, AsyncSSH servers, agents, ...)
 * goes to stderr, under a header naming the peer and its PID.
 */
export function logPeersOnFailure(options: LogPeersOptions = {}): void {
  afterEach((context) => {
    if (context.task.result?.state !== 'fail') return;
    for (const peer of runningProcesses()) {
      process.stderr.write(
        `\n===== ${peer.name} (pid ${peer.pid}) log, test "${context.task.name}" failed =====\n` +
          `${tail(peer.output(), options.lines ?? 200).trimEnd()}\n===== end of ${peer.name} log =====\n`,
      );
    }
  });
}
