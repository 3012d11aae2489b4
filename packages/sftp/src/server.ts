/**
 * SFTPServer: the hooks a server implements (AsyncSSH's SFTPServer in TypeScript naming), with
 * defaults that refuse (OP_UNSUPPORTED). The session that drives them over a byte stream is in
 * server-session.ts; `@ssh/sftp/node` has LocalSFTPServer, the hooks over the local file system.
 *
 * Paths reach the hooks after `mapPath()`; names leaving the server (realpath, readlink) go back
 * through `reverseMapPath()`. A hook fails by throwing an SFTPError (any other error is sent as
 * FAILURE with its message).
 * @module
 */

import { type SFTPAttrs, type SFTPName, type SFTPVFSAttrs, attrsType } from './attrs.ts';
import { FILEXFER_TYPE } from './constants.ts';
import { SFTPOpUnsupported } from './errors.ts';
import { pflagsFromOpen56 } from './open-flags.ts';

/** A value or a promise of it: hooks may answer either way. */
export type MaybePromise<T> = T | Promise<T>;

/** An open file or directory as the server implementation knows it (opaque to the session). */
export type ServerFile = unknown;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `ls -l` style permission string: `drwxr-xr-x`. */
export function modeString(attrs: SFTPAttrs): string {
  const p = attrs.permissions ?? 0;
  const t = attrsType(attrs);
  const typeChar =
    t === FILEXFER_TYPE.DIRECTORY
      ? 'd'
      : t === FILEXFER_TYPE.SYMLINK
        ? 'l'
        : t === FILEXFER_TYPE.CHAR_DEVICE
          ? 'c'
          : t === FILEXFER_TYPE.BLOCK_DEVICE
            ? 'b'
            : t === FILEXFER_TYPE.FIFO
              ? 'p'
              : t === FILEXFER_TYPE.SOCKET
                ? 's'
                : '-';
  const rwx = (bits: number, special: number, ch: string): string =>
    `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${special ? (bits & 1 ? ch : ch.toUpperCase()) : bits & 1 ? 'x' : '-'}`;
  return typeChar + rwx((p >> 6) & 7, p & 0o4000, 's') + rwx((p >> 3) & 7, p & 0o2000, 's') + rwx(p & 7, p & 0o1000, 't');
}

export class SFTPServer {
  /** Name shown for a uid in long listings and users-groups-by-id. */
  formatUser(uid: number): MaybePromise<string> {
    return String(uid);
  }

  /** Name shown for a gid. */
  formatGroup(gid: number): MaybePromise<string> {
    return String(gid);
  }

  /** Fills `name.longname` with an `ls -l` line when it is empty (v3 NAME replies carry it). */
  async formatLongname(name: SFTPName): Promise<void> {
    if (name.longname !== '') return;
    const a = name.attrs;
    const user = a.owner ?? (a.uid !== undefined ? await this.formatUser(a.uid) : '');
    const group = a.group ?? (a.gid !== undefined ? await this.formatGroup(a.gid) : '');
    let date = '';
    if (a.mtime !== undefined) {
      const d = new Date(a.mtime * 1000);
      const recent = Math.abs(Date.now() - d.getTime()) < 180 * 86400 * 1000;
      const day = String(d.getUTCDate()).padStart(2, ' ');
      const tail = recent ? `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}` : ` ${d.getUTCFullYear()}`;
      date = `${MONTHS[d.getUTCMonth()] ?? ''} ${day} ${tail}`;
    }
    name.longname = `${modeString(a)} ${String(a.nlink ?? 1).padStart(3)} ${user.padEnd(8)} ${group.padEnd(8)} ${String(a.size ?? 0).padStart(8)} ${date} ${name.filename}`;
  }

  /** Maps a path from the client to the path the hooks use (identity by default). */
  mapPath(path: string): MaybePromise<string> {
    return path;
  }

  /** Maps a path from the hooks back to what the client sees. */
  reverseMapPath(path: string): MaybePromise<string> {
    return path;
  }

  /** Opens a file with v3/v4 pflags. */
  open(_path: string, _pflags: number, _attrs: SFTPAttrs): MaybePromise<ServerFile> {
    throw new SFTPOpUnsupported('open not supported');
  }

  /** Opens a file with v5/v6 desired-access and flags; by default mapped to pflags and open(). */
  open56(path: string, desiredAccess: number, flags: number, attrs: SFTPAttrs): MaybePromise<ServerFile> {
    return this.open(path, pflagsFromOpen56(desiredAccess, flags), attrs);
  }

  close(_file: ServerFile): MaybePromise<void> {
    return undefined;
  }

  /** Up to `size` bytes at `offset`; an empty result means end of file. */
  read(_file: ServerFile, _offset: number, _size: number): MaybePromise<Uint8Array> {
    throw new SFTPOpUnsupported('read not supported');
  }

  write(_file: ServerFile, _offset: number, _data: Uint8Array): MaybePromise<void> {
    throw new SFTPOpUnsupported('write not supported');
  }

  /**
   * True when write() only borrows `data`: it keeps no reference to the bytes once its promise
   * settles, so the session may reuse their buffer for later requests. False by default (an
   * implementation may keep the data it is given).
   */
  get borrowsWriteData(): boolean {
    return false;
  }

  /** Renames without replacing an existing target (v3 semantics). */
  rename(_oldPath: string, _newPath: string): MaybePromise<void> {
    throw new SFTPOpUnsupported('rename not supported');
  }

  /** Renames, replacing an existing target. */
  posixRename(_oldPath: string, _newPath: string): MaybePromise<void> {
    throw new SFTPOpUnsupported('posix-rename not supported');
  }

  remove(_path: string): MaybePromise<void> {
    throw new SFTPOpUnsupported('remove not supported');
  }

  readlink(_path: string): MaybePromise<string> {
    throw new SFTPOpUnsupported('readlink not supported');
  }

  /** Creates `linkPath` pointing at `target`. */
  symlink(_target: string, _linkPath: string): MaybePromise<void> {
    throw new SFTPOpUnsupported('symlink not supported');
  }

  /** Creates a hard link `newPath` to `oldPath`. */
  link(_oldPath: string, _newPath: string): MaybePromise<void> {
    throw new SFTPOpUnsupported('link not supported');
  }

  /** The canonical form of a (mapped) path. */
  realpath(path: string): MaybePromise<string> {
    return path;
  }

  stat(_path: string): MaybePromise<SFTPAttrs> {
    throw new SFTPOpUnsupported('stat not supported');
  }

  lstat(_path: string): MaybePromise<SFTPAttrs> {
    throw new SFTPOpUnsupported('lstat not supported');
  }

  fstat(_file: ServerFile): MaybePromise<SFTPAttrs> {
    throw new SFTPOpUnsupported('fstat not supported');
  }

  setstat(_path: string, _attrs: SFTPAttrs): MaybePromise<void> {
    throw new SFTPOpUnsupported('setstat not supported');
  }

  /** setstat without following a final symlink (lsetstat@openssh.com). */
  lsetstat(_path: string, _attrs: SFTPAttrs): MaybePromise<void> {
    throw new SFTPOpUnsupported('lsetstat not supported');
  }

  fsetstat(_file: ServerFile, _attrs: SFTPAttrs): MaybePromise<void> {
    throw new SFTPOpUnsupported('fsetstat not supported');
  }

  statvfs(_path: string): MaybePromise<SFTPVFSAttrs> {
    throw new SFTPOpUnsupported('statvfs not supported');
  }

  fstatvfs(_file: ServerFile): MaybePromise<SFTPVFSAttrs> {
    throw new SFTPOpUnsupported('fstatvfs not supported');
  }

  /** Byte-range lock (v6 BLOCK). */
  lock(_file: ServerFile, _offset: number, _length: number, _flags: number): MaybePromise<void> {
    throw new SFTPOpUnsupported('lock not supported');
  }

  unlock(_file: ServerFile, _offset: number, _length: number): MaybePromise<void> {
    throw new SFTPOpUnsupported('unlock not supported');
  }

  fsync(_file: ServerFile): MaybePromise<void> {
    throw new SFTPOpUnsupported('fsync not supported');
  }

  mkdir(_path: string, _attrs: SFTPAttrs): MaybePromise<void> {
    throw new SFTPOpUnsupported('mkdir not supported');
  }

  rmdir(_path: string): MaybePromise<void> {
    throw new SFTPOpUnsupported('rmdir not supported');
  }

  /** Directory entries (with '.' and '..' if wanted); filenames are single components. */
  scandir(_path: string): MaybePromise<AsyncIterable<SFTPName> | Iterable<SFTPName>> {
    throw new SFTPOpUnsupported('opendir not supported');
  }

  /** The home directory of `user` ('' for the session's user), as a client path. */
  homeDirectory(_user: string): MaybePromise<string> {
    throw new SFTPOpUnsupported('home-directory not supported');
  }

  /** Called once when the session ends. */
  exit(): MaybePromise<void> {
    return undefined;
  }
}
