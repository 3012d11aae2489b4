/**
 * Byte-range locks for SFTP v6 BLOCK/UNBLOCK (filexfer-13 §8.2.3, §8.2.4), kept by the server:
 * which handle holds which range of which file, and what it denies the others.
 *
 * A lock whose mask has SSH_FXF_BLOCK_READ is exclusive (others may neither read nor write under
 * it: POSIX's write lock); one with only BLOCK_WRITE and/or BLOCK_DELETE is shared (others may
 * hold the same, as POSIX read locks). Locks without BLOCK_ADVISORY are mandatory: reads and
 * writes of other handles inside them fail with BYTE_RANGE_LOCK_CONFLICT. A length of 0 means
 * to the end of the file, however long it grows.
 * @module
 */

import { FXF56 } from './constants.ts';
import { SFTPByteRangeLockConflict, SFTPByteRangeLockRefused, SFTPNoMatchingByteRangeLock } from './errors.ts';

/**
 * Locks one owner holds on a file at once. Each BLOCK adds one (ranges are not merged, and the
 * same range may be taken twice), so without a bound a client grows the table, and the scan of
 * every later lock and I/O on the file, by one entry per 30-byte request.
 */
const MAX_LOCKS_PER_OWNER = 1024;
/**
 * Locks on one file at once, whoever holds them: a session has 256 handles, and with 1024 each on
 * one file the scans above took minutes, synchronously, for every session of the process.
 */
const MAX_LOCKS_PER_FILE = 4096;

interface HeldLock {
  readonly owner: object;
  readonly offset: number;
  /** As requested (0: to the end of the file). */
  readonly length: number;
  readonly end: number;
  readonly mask: number;
}

function endOf(offset: number, length: number): number {
  return length === 0 ? Number.POSITIVE_INFINITY : offset + length;
}

function exclusive(mask: number): boolean {
  return (mask & FXF56.BLOCK_READ) !== 0;
}

/** The locks of a set of files, each file named by a key (a path, an inode, ...). */
export class ByteRangeLocks {
  private readonly files = new Map<string, HeldLock[]>();

  /**
   * Takes a lock for `owner`; throws SFTPByteRangeLockConflict when another owner's lock is in the
   * way, SFTPByteRangeLockRefused when `owner` already holds 1024 on the file, or the file 4096.
   */
  lock(file: string, owner: object, offset: number, length: number, mask: number): void {
    const end = endOf(offset, length);
    const held = this.files.get(file) ?? [];
    if (held.length >= MAX_LOCKS_PER_FILE) throw new SFTPByteRangeLockRefused(`a file has at most ${MAX_LOCKS_PER_FILE} locks`);
    let own = 0;
    for (const l of held) {
      if (l.owner === owner && ++own >= MAX_LOCKS_PER_OWNER) throw new SFTPByteRangeLockRefused(`a handle holds at most ${MAX_LOCKS_PER_OWNER} locks`);
      if (l.owner === owner || l.end <= offset || end <= l.offset) continue;
      if (exclusive(mask) || exclusive(l.mask)) throw new SFTPByteRangeLockConflict(`bytes ${offset}..${end} are locked by another handle`);
    }
    held.push({ owner, offset, length, end, mask });
    this.files.set(file, held);
  }

  /** Releases the lock `owner` took with exactly this offset and length. */
  unlock(file: string, owner: object, offset: number, length: number): void {
    const held = this.files.get(file);
    const i = held?.findIndex((l) => l.owner === owner && l.offset === offset && l.length === length) ?? -1;
    if (!held || i < 0) throw new SFTPNoMatchingByteRangeLock(`no lock held on bytes ${offset}..${endOf(offset, length)}`);
    held.splice(i, 1);
    if (held.length === 0) this.files.delete(file);
  }

  /** Releases every lock of `owner` on `file` (its handle closed). */
  release(file: string, owner: object): void {
    const held = this.files.get(file);
    if (!held) return;
    const kept = held.filter((l) => l.owner !== owner);
    if (kept.length === 0) this.files.delete(file);
    else this.files.set(file, kept);
  }

  /** Throws SFTPByteRangeLockConflict when another owner's mandatory lock denies this read or write. */
  checkIo(file: string, owner: object, offset: number, length: number, op: 'read' | 'write'): void {
    const held = this.files.get(file);
    if (!held) return;
    const deny = op === 'read' ? FXF56.BLOCK_READ : FXF56.BLOCK_WRITE;
    const end = offset + Math.max(1, length);
    for (const l of held) {
      if (l.owner === owner || (l.mask & FXF56.BLOCK_ADVISORY) !== 0 || (l.mask & deny) === 0) continue;
      if (l.offset < end && offset < l.end) throw new SFTPByteRangeLockConflict(`bytes ${offset}..${end} are locked by another handle`);
    }
  }

  /** Number of locks held on `file`. */
  count(file: string): number {
    return this.files.get(file)?.length ?? 0;
  }
}
