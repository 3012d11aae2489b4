/**
 * The part every started peer (a server, an agent) hands out for its process: the process and its
 * PID, its log, and a stop that ends it and removes its throwaway directory.
 * @module
 */
import type { PeerProcess } from './process.ts';
import { removeTempDir } from './tmp.ts';

/** A started peer's process, log and stop. */
export interface RunningPeer {
  readonly pid: number;
  readonly process: PeerProcess;
  /** What the peer logged so far. */
  readonly log: string;
  /** Ends the process (and everything it started) by PID, then removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Adds {@link RunningPeer}'s members to `fields` (a fresh object literal, returned): `log` is a
 * getter reading `proc`'s output, followed by `extraLog()` (a log file the peer writes) until it
 * is stopped; `stop()` stops `proc` once, then removes `dir`.
 */
export function withRunningPeer<T extends object>(fields: T, proc: PeerProcess, dir: string, extraLog?: () => string): T & RunningPeer {
  let stopped: Promise<void> | undefined;
  const peer: RunningPeer = {
    pid: proc.pid,
    process: proc,
    get log() {
      return proc.output() + (extraLog !== undefined && stopped === undefined ? extraLog() : '');
    },
    stop: async () => {
      stopped ??= proc.stop().then(async () => removeTempDir(dir));
      return stopped;
    },
  };
  // Property descriptors, not a spread: a spread would copy `log` once instead of keeping the getter.
  return Object.defineProperties(fields, Object.getOwnPropertyDescriptors(peer)) as T & RunningPeer;
}
