/**
 * What the sftp benchmark's clients share: the files a round works on, its rates, and the checks
 * and timing around each transfer. The in-process clients (sftp-clients.ts) run in a runner of
 * their own; OpenSSH's client runs from the bench process (sftp.bench.ts).
 * @module
 */

import { readdirSync, rmSync, statSync } from 'node:fs';
import { median } from '../measure.ts';

export const MiB = 1024 * 1024;
export const CIPHER = 'aes128-gcm@openssh.com';

/** Checks that the copy of the tree holds every file, then removes it. */
export function checkTreeAndRemove(root: string, files: number): void {
  const found = readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
  if (found !== files) throw new Error(`sftp bench: ${root} holds ${found} files, expected ${files}`);
  rmSync(root, { recursive: true });
}

export function checkSize(file: string, bytes: number): void {
  const size = statSync(file).size;
  if (size !== bytes) throw new Error(`sftp bench: ${file} holds ${size} bytes, expected ${bytes}`);
}

export interface Rates {
  get: number;
  put: number;
  /**
   * A second upload on the same connection (0 when not measured). The first upload of a
   * connection is the one users mostly see; the second shows what is left once sshd's channel
   * buffer has grown (see the package README: filling it costs sshd up to a second on this VM).
   */
  putAgain: number;
  /** Files per second of the recursive upload (0 when not measured). */
  tree: number;
  /** Files per second of the recursive download (0 when not measured). */
  treeGet: number;
}

export const NONE: Rates = { get: 0, put: 0, putAgain: 0, tree: 0, treeGet: 0 };

/** Each figure's best round. */
export function bestOf(rounds: readonly Rates[]): Rates {
  const pick = (key: keyof Rates): number => Math.max(0, ...rounds.map((r) => r[key]));
  return { get: pick('get'), put: pick('put'), putAgain: pick('putAgain'), tree: pick('tree'), treeGet: pick('treeGet') };
}

/** One figure's median round (0 with no rounds). */
export function medianOf(rounds: readonly Rates[], key: keyof Rates): number {
  return rounds.length === 0 ? 0 : median(rounds.map((r) => r[key]));
}

/** MiB/s of the best (shortest) round. */
export function rate(bytes: number, seconds: readonly number[]): number {
  const best = Math.min(...seconds);
  return bytes / MiB / Math.max(best, 1e-6);
}

export interface Files {
  /** The source file, read by downloads (remote side) and uploads (local side). */
  src: string;
  /**
   * A file an eighth of src's size, downloaded untimed right before each timed round of a client
   * or server that runs in node (see sftp.bench.ts: a process idle for seconds comes back cold).
   */
  warm: string;
  /** Where downloads land and uploads are written. */
  got: string;
  put: string;
  /** The tree of small files, its file count, and where its copy goes (created by each copy). */
  tree: string;
  treeFiles: number;
  treeDst: string;
}

