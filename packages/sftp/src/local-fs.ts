/**
 * The local side of get/put/mget/mput: what the client needs from the machine it runs on.
 * The core never touches a file system itself; `@ssh/sftp/node` provides `nodeLocalFs`.
 * @module
 */

import { type SFTPAttrs } from './attrs.ts';

/** A local file open for positional reads or writes. */
export interface LocalFile {
  /** Up to `length` bytes at `position`; fewer (or none) at end of file. */
  read(position: number, length: number): Promise<Uint8Array>;
  /**
   * Optional: reads into `buffer` (filling it, short only at end of file) and returns the bytes
   * read. Lets uploads read each block straight into the packet that carries it.
   */
  readInto?(buffer: Uint8Array, position: number): Promise<number>;
  /**
   * Optional: reads into `buffers` one after the other from `position` (filling them, short only
   * at end of file) and returns the bytes read. Lets uploads read a run of blocks in one call.
   */
  readvInto?(buffers: readonly Uint8Array[], position: number): Promise<number>;
  /** Writes all of `data` at `position`. */
  write(data: Uint8Array, position: number): Promise<void>;
  /** Optional: writes all of `parts`, one after the other, from `position` (one system call when it can). */
  writev?(parts: readonly Uint8Array[], position: number): Promise<void>;
  close(): Promise<void>;
}

export interface LocalFs {
  stat(path: string): Promise<SFTPAttrs>;
  lstat(path: string): Promise<SFTPAttrs>;
  /**
   * 'r' opens for reading; 'w' creates or truncates for writing. A file 'w' creates gets
   * `permissions` (default 0o666) less the umask, as open(2) with O_CREAT; an existing file keeps its own.
   */
  open(path: string, mode: 'r' | 'w', permissions?: number): Promise<LocalFile>;
  /** Entry names of a directory, without '.' and '..'. */
  readdir(path: string): Promise<string[]>;
  /**
   * Optional: the entry names of a directory (without '.' and '..') read a batch at a time, in
   * the order the file system gives them, so that a directory of millions of entries is walked
   * without its whole listing in memory. An SCP source (scpSend) and a recursive upload
   * (put/mput) use it when it is there; without it they take readdir's listing.
   */
  scandir?(path: string): AsyncIterable<string>;
  /**
   * Creates a directory; succeeds when it already exists as a directory. Resolves true when it
   * made the directory and false when it was there (an implementation that cannot tell: void).
   */
  mkdir(path: string): Promise<boolean | void>;
  /** Applies permissions and times (others ignored). */
  setstat(path: string, attrs: SFTPAttrs): Promise<void>;
  readlink(path: string): Promise<string>;
  symlink(target: string, path: string): Promise<void>;
  /** Joins local path parts with the local separator. */
  join(...parts: string[]): string;
  basename(path: string): string;
}
