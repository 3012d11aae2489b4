/**
 * Writing parts of a file to their end. A positional write or writev may write less than it was
 * given (a full disk, a signal, a file system's own limit): the rest is written from where it
 * stopped, the way the server's gathered writes and the client's downloads both need it.
 * @module
 */

import type { FileHandle } from 'node:fs/promises';

/**
 * Writes `parts` one after another from `position`, with one writev (or write, for the last
 * part) and again from where a short one stopped. `written(i)` runs as part i is done, in order.
 * Rejects with the call's error, or when a call writes nothing (no progress to be made).
 */
export async function writeAllAt(fh: FileHandle, parts: readonly Uint8Array[], position: number, written?: (index: number) => void): Promise<void> {
  let i = 0;
  /** Bytes of parts[i] already written. */
  let skip = 0;
  let at = position;
  const settle = (n: number): void => {
    for (let part = parts[i]; part !== undefined && n >= part.length - skip; part = parts[i]) {
      n -= part.length - skip;
      at += part.length;
      skip = 0;
      written?.(i);
      i++;
    }
    skip += n;
  };
  // Empty parts are done before any call; after settle() the next part always has bytes left.
  settle(0);
  while (i < parts.length) {
    const head = parts[i] as Uint8Array;
    let n: number;
    if (i === parts.length - 1) n = (await fh.write(head, skip, head.length - skip, at + skip)).bytesWritten;
    else {
      const rest = parts.slice(i);
      rest[0] = head.subarray(skip);
      n = (await fh.writev(rest, at + skip)).bytesWritten;
    }
    if (n <= 0) throw new Error('write to file made no progress');
    settle(n);
  }
}
