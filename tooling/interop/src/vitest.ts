/**
 * vitest glue (import from `@ssh/interop/vitest`, only inside vitest): print the logs of the
 * peers that are still running when a test fails; a Kerberos realm per test file.
 * @module
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { tail } from './errors.ts';
import { startKerberosRealm, type KerberosRealm, type KerberosRealmOptions } from './kerberos.ts';
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

/**
 * A throwaway Kerberos realm for the current file or suite: started before its tests (and made
 * this process's, useInThisProcess()), stopped after them. Returns the running realm's getter.
 */
export function useKerberosRealm(options: KerberosRealmOptions = {}): () => KerberosRealm {
  let realm: KerberosRealm | undefined;
  beforeAll(async () => {
    realm = await startKerberosRealm(options);
    realm.useInThisProcess();
  }, 60_000);
  afterAll(async () => {
    await realm?.stop();
  });
  return () => {
    if (realm === undefined) throw new Error('the Kerberos realm is used before its beforeAll ran');
    return realm;
  };
}
