/**
 * SFTPClient: the Promise API of an SFTP session over any byte stream, as AsyncSSH's SFTPClient
 * in TypeScript naming. filexfer-02 (v3) to filexfer-13 (v6); OpenSSH PROTOCOL §4 extensions.
 * File transfers (get/put/copy/m*) live in transfer.ts and are reached through the methods here.
 * @module
 */

import { Reader, Writer } from '@ssh/wire';
import { type SFTPAttrs, type SFTPLimits, type SFTPName, type SFTPVFSAttrs, attrsType, decodeLimits, decodeVFSAttrs, encodeAttrs, timeNanoseconds, timeSeconds } from './attrs.ts';
import { type FileIoOptions, SFTPClientFile, ownerAttrs, timeAttrs } from './client-file.ts';
import { ClientSession, decodeExtendedReply, expectAttrs, expectHandle, expectNames, expectOneName, expectStatus } from './client-session.ts';
import { ACE4, EXT, FILEXFER_TYPE, FXF56, FXR } from './constants.ts';
import { SFTPError, SFTPFailure, SFTPOpUnsupported } from './errors.ts';
import { type SupportedInfo, type VendorId, decodeUserGroupNames, encodeIdLists, parseSupported, parseSupported2, parseVendorId, parseVersions } from './extensions.ts';
import { type LocalFs } from './local-fs.ts';
import { modeToPflags, pflagsFromOpen56, pflagsToV5 } from './open-flags.ts';
import { type ExtensionPair } from './packets.ts';
import { joinPath, normalizePath } from './paths.ts';
import { type SftpByteStream } from './stream.ts';
import { globNames, statIfExists } from './client-glob.ts';
import { type TransferOptions, copyFiles, fitTransfer, getFiles, putFiles } from './transfer.ts';

/** Reads of one directory rmtree makes at most (see rmtree). */
const RMTREE_MAX_READS = 64;

export interface SFTPClientOptions {
  /** Protocol version to ask for, 3 to 6 (default 3). v4+ servers that answer lower but list it in `versions` get a version-select. */
  readonly version?: number;
  /** Largest packet accepted from the server (default 256 KiB + 1 KiB). */
  readonly maxPacketLength?: number;
  /** The local file system get/put use (`nodeLocalFs` from `@ssh/sftp/node`). */
  readonly localFs?: LocalFs;
  /**
   * Ends the start when it aborts before the session is up (a server that never answers INIT):
   * startSftpClient then fails with SFTPConnectionLost and closes the stream. Unused once started.
   */
  readonly signal?: AbortSignal;
}

/** open() modes in Python's spelling: r, w, a, x, with + and b. A mode with 'b' gives bytes. */
export type BinaryMode = `${string}b${string}`;

export interface OpenOptions {
  readonly attrs?: SFTPAttrs;
  /** Text encoding (default utf-8); null reads and writes bytes even without 'b'. */
  readonly encoding?: string | null;
  readonly blockSize?: number;
  readonly maxRequests?: number;
}

/** Opens an SFTP session on `stream` and returns its client once the version is agreed. */
export async function startSftpClient(stream: SftpByteStream, options: SFTPClientOptions = {}): Promise<SFTPClient> {
  const wanted = options.version ?? 3;
  const { session, extensions, started } = await ClientSession.open(
    stream,
    {
      version: wanted,
      ...(options.maxPacketLength !== undefined ? { maxPacketLength: options.maxPacketLength } : {}),
    },
    options.signal,
  );
  const client = new SFTPClient(session, extensions, options.localFs);
  try {
    await client.init(wanted);
  } catch (e) {
    session.exit();
    throw e;
  } finally {
    started();
  }
  return client;
}

export class SFTPClient {
  /** @internal */
  readonly session: ClientSession;
  private readonly ext: Map<string, Uint8Array>;
  private readonly localFs: LocalFs | undefined;
  private cwd: string | undefined;
  private serverLimits: SFTPLimits = { maxPacketLen: 0, maxReadLen: 0, maxWriteLen: 0, maxOpenHandles: 0 };

  /** @internal Use startSftpClient(). */
  constructor(session: ClientSession, extensions: readonly ExtensionPair[], localFs: LocalFs | undefined) {
    this.session = session;
    this.ext = new Map(extensions.map(([n, d]) => [n, d]));
    this.localFs = localFs;
  }

  /** @internal Version select and limits: run once after VERSION. */
  async init(wanted: number): Promise<void> {
    const versions = this.ext.get(EXT.VERSIONS);
    if (versions && this.version < wanted) {
      if (parseVersions(versions).includes(wanted)) {
        expectStatus(await this.session.request({ kind: 'extended', request: EXT.VERSION_SELECT, data: new Writer(16).utf8(String(wanted)).finish() }));
        this.session.machine.useVersion(wanted);
      }
    }
    if (this.ext.has(EXT.LIMITS)) {
      const reply = await this.session.request({ kind: 'extended', request: EXT.LIMITS, data: new Uint8Array(0) });
      this.serverLimits = decodeExtendedReply(EXT.LIMITS, reply, (data) => decodeLimits(new Reader(data)));
    }
  }

  /** The negotiated protocol version. */
  get version(): number {
    return this.session.version;
  }

  /** The server's limits@openssh.com answer (zeros when it sent none: no stated limit). */
  get limits(): SFTPLimits {
    return this.serverLimits;
  }

  /** True when the server offers copy-data (remoteCopy works). */
  get supportsRemoteCopy(): boolean {
    return this.ext.has(EXT.COPY_DATA);
  }

  /** The server's vendor-id extension (v4+ servers may send it), parsed. */
  get vendorId(): VendorId | undefined {
    const data = this.ext.get(EXT.VENDOR_ID);
    if (!data) return undefined;
    try {
      return parseVendorId(data);
    } catch {
      return undefined;
    }
  }

  /** The server's `supported` (v5) or `supported2` (v6) extension, parsed. */
  get supported(): SupportedInfo | undefined {
    try {
      const v2 = this.ext.get(EXT.SUPPORTED2);
      if (v2) return parseSupported2(v2);
      const v1 = this.ext.get(EXT.SUPPORTED);
      return v1 ? parseSupported(v1) : undefined;
    } catch {
      return undefined;
    }
  }

  /** The server's line ending for text files (`newline` extension, v4+), '\n' when it sent none. */
  get newline(): string {
    const data = this.ext.get(EXT.NEWLINE);
    return data ? new TextDecoder().decode(data) : '\n';
  }

  /** The server's VERSION extensions, by name. */
  get extensions(): ReadonlyMap<string, Uint8Array> {
    return this.ext;
  }

  /** Block size and pipeline depth for transfers, fitted to the server's limits. */
  transferParams(blockSize?: number, maxRequests?: number, forWrite = false): { blockSize: number; maxRequests: number } {
    return fitTransfer(this.serverLimits, blockSize, maxRequests, forWrite, this.session.machine.maxPacketLength);
  }

  /** A path made absolute against the working directory set by chdir() (unchanged when none is set). */
  composePath(path: string): string {
    return this.cwd === undefined || path.startsWith('/') ? path : joinPath(this.cwd, path);
  }

  private has(name: string): boolean {
    return this.ext.has(name);
  }

  private require(name: string): void {
    if (!this.ext.has(name)) throw new SFTPOpUnsupported(`server does not support ${name}`);
  }

  private async extended(request: string, data: Uint8Array): Promise<ReturnType<ClientSession['request']> extends Promise<infer R> ? R : never> {
    return this.session.request({ kind: 'extended', request, data });
  }

  // ----- files

  open(path: string, mode: BinaryMode, options?: OpenOptions): Promise<SFTPClientFile<Uint8Array>>;
  open(path: string, mode?: string, options?: OpenOptions): Promise<SFTPClientFile<string>>;
  /** Opens a remote file. Modes as Python's open(): r, w, a, x, with + and b. */
  async open(path: string, mode = 'r', options: OpenOptions = {}): Promise<SFTPClientFile<string> | SFTPClientFile<Uint8Array>> {
    const { pflags, append } = modeToPflags(mode);
    const attrs = options.attrs ?? {};
    const p = this.composePath(path);
    const req = this.version >= 5 ? { kind: 'open' as const, path: p, ...pflagsToV5(pflags), attrs } : { kind: 'open' as const, path: p, flags: pflags, attrs };
    const handle = expectHandle(await this.session.request(req));
    return this.wrapFile(handle, mode.includes('b') ? null : (options.encoding ?? 'utf-8'), append, options);
  }

  open56(path: string, desiredAccess: number, flags: number, options: OpenOptions & { readonly encoding: null }): Promise<SFTPClientFile<Uint8Array>>;
  open56(path: string, desiredAccess?: number, flags?: number, options?: OpenOptions): Promise<SFTPClientFile<string>>;
  /** Opens with v5/v6 desired-access and flags (mapped down to pflags on v3/v4); bytes with `encoding: null`. */
  async open56(
    path: string,
    desiredAccess: number = ACE4.READ_DATA | ACE4.READ_ATTRIBUTES,
    flags: number = FXF56.OPEN_EXISTING,
    options: OpenOptions = {},
  ): Promise<SFTPClientFile<string> | SFTPClientFile<Uint8Array>> {
    const attrs = options.attrs ?? {};
    const p = this.composePath(path);
    let req;
    if (this.version >= 5) req = { kind: 'open' as const, path: p, desiredAccess, flags, attrs };
    else req = { kind: 'open' as const, path: p, flags: pflagsFromOpen56(desiredAccess, flags), attrs };
    const handle = expectHandle(await this.session.request(req));
    const encoding = options.encoding === undefined ? 'utf-8' : options.encoding;
    return this.wrapFile(handle, encoding, (flags & FXF56.APPEND_DATA) !== 0, options);
  }

  private wrapFile(handle: Uint8Array, encoding: string | null, append: boolean, options: OpenOptions): SFTPClientFile<string> | SFTPClientFile<Uint8Array> {
    const params = this.transferParams(options.blockSize, options.maxRequests);
    const io: FileIoOptions = { ...params, encoding, append };
    return encoding === null ? new SFTPClientFile<Uint8Array>(this.fileContext(), handle, io) : new SFTPClientFile<string>(this.fileContext(), handle, io);
  }

  /** @internal */
  fileContext(): { session: ClientSession; extensions: ReadonlyMap<string, Uint8Array> } {
    return { session: this.session, extensions: this.ext };
  }

  /** Sets a file's size. */
  async truncate(path: string, size: number): Promise<void> {
    await this.setstat(path, { size });
  }

  /** Renames; on v5+ `flags` are SSH_FXF_RENAME_* (default: none, fail if the target exists). */
  async rename(oldPath: string, newPath: string, flags = 0): Promise<void> {
    const req = { kind: 'rename' as const, oldPath: this.composePath(oldPath), newPath: this.composePath(newPath) };
    expectStatus(await this.session.request(this.version >= 5 ? { ...req, flags } : req));
  }

  /** Renames, replacing the target (posix-rename@openssh.com, or RENAME with OVERWRITE on v5+). */
  async posixRename(oldPath: string, newPath: string): Promise<void> {
    if (this.has(EXT.POSIX_RENAME)) {
      const data = new Writer(64).utf8(this.composePath(oldPath)).utf8(this.composePath(newPath)).finish();
      expectStatus(await this.extended(EXT.POSIX_RENAME, data));
      return;
    }
    if (this.version >= 5) return this.rename(oldPath, newPath, FXR.OVERWRITE | FXR.ATOMIC | FXR.NATIVE);
    throw new SFTPOpUnsupported('server does not support posix-rename@openssh.com');
  }

  async remove(path: string): Promise<void> {
    expectStatus(await this.session.request({ kind: 'remove', path: this.composePath(path) }));
  }

  unlink(path: string): Promise<void> {
    return this.remove(path);
  }

  async readlink(path: string): Promise<string> {
    return expectOneName(await this.session.request({ kind: 'readlink', path: this.composePath(path) })).filename;
  }

  /** Creates a symbolic link at `linkPath` pointing to `target`. */
  async symlink(target: string, linkPath: string): Promise<void> {
    const lp = this.composePath(linkPath);
    if (this.version >= 6) {
      expectStatus(await this.session.request({ kind: 'link', newLinkPath: lp, existingPath: target, symlink: true }));
      return;
    }
    expectStatus(await this.session.request({ kind: 'symlink', linkPath: lp, targetPath: target }));
  }

  /** Creates a hard link at `newPath` to `oldPath` (hardlink@openssh.com, or LINK on v6). */
  async link(oldPath: string, newPath: string): Promise<void> {
    const op = this.composePath(oldPath);
    const np = this.composePath(newPath);
    if (this.version >= 6) {
      expectStatus(await this.session.request({ kind: 'link', newLinkPath: np, existingPath: op, symlink: false }));
      return;
    }
    this.require(EXT.HARDLINK);
    expectStatus(await this.extended(EXT.HARDLINK, new Writer(64).utf8(op).utf8(np).finish()));
  }

  /** The canonical absolute form of `path` (composed with `more` on v6, or locally before). */
  async realpath(path: string, ...more: string[]): Promise<string> {
    const p = this.composePath(path);
    if (more.length > 0 && this.version >= 6) {
      return expectOneName(await this.session.request({ kind: 'realpath', path: p, control: 0x01, compose: more })).filename;
    }
    return expectOneName(await this.session.request({ kind: 'realpath', path: more.length > 0 ? joinPath(p, ...more) : p })).filename;
  }

  /** The home directory of `user` (default: ours) via home-directory, or expand-path "~". */
  async homeDirectory(user = ''): Promise<string> {
    if (this.has(EXT.HOME_DIRECTORY)) return expectOneName(await this.extended(EXT.HOME_DIRECTORY, new Writer(32).utf8(user).finish())).filename;
    return this.expandPath(user === '' ? '~' : `~${user}`);
  }

  /** Expands `~` and `~user` prefixes on the server (expand-path@openssh.com). */
  async expandPath(path: string): Promise<string> {
    this.require(EXT.EXPAND_PATH);
    return expectOneName(await this.extended(EXT.EXPAND_PATH, new Writer(64).utf8(path).finish())).filename;
  }

  /** User and group names for ids (users-groups-by-id@openssh.com); unknown ids give ''. */
  async usersGroupsById(uids: readonly number[], gids: readonly number[]): Promise<{ users: string[]; groups: string[] }> {
    this.require(EXT.USERS_GROUPS_BY_ID);
    const reply = await this.extended(EXT.USERS_GROUPS_BY_ID, encodeIdLists(uids, gids));
    return decodeExtendedReply(EXT.USERS_GROUPS_BY_ID, reply, (data) => decodeUserGroupNames(data, uids.length, gids.length));
  }

  // ----- attributes

  async stat(path: string, flags?: number): Promise<SFTPAttrs> {
    const p = this.composePath(path);
    return expectAttrs(await this.session.request(flags === undefined ? { kind: 'stat', path: p } : { kind: 'stat', path: p, flags }));
  }

  async lstat(path: string, flags?: number): Promise<SFTPAttrs> {
    const p = this.composePath(path);
    return expectAttrs(await this.session.request(flags === undefined ? { kind: 'lstat', path: p } : { kind: 'lstat', path: p, flags }));
  }

  /** Sets attributes; with followSymlinks false uses lsetstat@openssh.com. */
  async setstat(path: string, attrs: SFTPAttrs, options: { followSymlinks?: boolean } = {}): Promise<void> {
    const p = this.composePath(path);
    if (options.followSymlinks === false) {
      this.require(EXT.LSETSTAT);
      const w = new Writer(64).utf8(p);
      encodeAttrs(w, attrs, this.version);
      expectStatus(await this.extended(EXT.LSETSTAT, w.finish()));
      return;
    }
    expectStatus(await this.session.request({ kind: 'setstat', path: p, attrs }));
  }

  async statvfs(path: string): Promise<SFTPVFSAttrs> {
    this.require(EXT.STATVFS);
    const reply = await this.extended(EXT.STATVFS, new Writer(64).utf8(this.composePath(path)).finish());
    return decodeExtendedReply(EXT.STATVFS, reply, (data) => decodeVFSAttrs(new Reader(data)));
  }

  async chown(path: string, uid: number | string, gid: number | string, options: { followSymlinks?: boolean } = {}): Promise<void> {
    await this.setstat(path, ownerAttrs(uid, gid), options);
  }

  async chmod(path: string, mode: number, options: { followSymlinks?: boolean } = {}): Promise<void> {
    await this.setstat(path, { permissions: mode }, options);
  }

  /** Sets access and modification times, in seconds (now when omitted). */
  async utime(path: string, times?: readonly [atime: number, mtime: number], options: { followSymlinks?: boolean } = {}): Promise<void> {
    await this.setstat(path, timeAttrs(times), options);
  }

  private async statOrUndefined(path: string, follow = true): Promise<SFTPAttrs | undefined> {
    return statIfExists(follow ? this.stat(path) : this.lstat(path));
  }

  async exists(path: string): Promise<boolean> {
    return (await this.statOrUndefined(path)) !== undefined;
  }

  async lexists(path: string): Promise<boolean> {
    return (await this.statOrUndefined(path, false)) !== undefined;
  }

  async getatime(path: string): Promise<number | undefined> {
    return timeSeconds(await this.stat(path), 'atime');
  }

  async getatimeNs(path: string): Promise<bigint | undefined> {
    return timeNanoseconds(await this.stat(path), 'atime');
  }

  async getmtime(path: string): Promise<number | undefined> {
    return timeSeconds(await this.stat(path), 'mtime');
  }

  async getmtimeNs(path: string): Promise<bigint | undefined> {
    return timeNanoseconds(await this.stat(path), 'mtime');
  }

  async getcrtime(path: string): Promise<number | undefined> {
    return timeSeconds(await this.stat(path), 'crtime');
  }

  async getcrtimeNs(path: string): Promise<bigint | undefined> {
    return timeNanoseconds(await this.stat(path), 'crtime');
  }

  async getsize(path: string): Promise<number | undefined> {
    return (await this.stat(path)).size;
  }

  async isdir(path: string): Promise<boolean> {
    const a = await this.statOrUndefined(path);
    return a !== undefined && attrsType(a) === FILEXFER_TYPE.DIRECTORY;
  }

  async isfile(path: string): Promise<boolean> {
    const a = await this.statOrUndefined(path);
    return a !== undefined && attrsType(a) === FILEXFER_TYPE.REGULAR;
  }

  async islink(path: string): Promise<boolean> {
    const a = await this.statOrUndefined(path, false);
    return a !== undefined && attrsType(a) === FILEXFER_TYPE.SYMLINK;
  }

  // ----- directories

  /** Changes the client-side working directory that relative paths are composed with. */
  async chdir(path: string): Promise<void> {
    this.cwd = await this.realpath(path);
  }

  /** The working directory (the server's idea of "." until chdir() is called). */
  async getcwd(): Promise<string> {
    this.cwd ??= await this.realpath('.');
    return this.cwd;
  }

  async mkdir(path: string, attrs: SFTPAttrs = {}): Promise<void> {
    expectStatus(await this.session.request({ kind: 'mkdir', path: this.composePath(path), attrs }));
  }

  /** Creates a directory and its missing parents; an existing directory is an error unless existOk. */
  async makedirs(path: string, options: { attrs?: SFTPAttrs; existOk?: boolean } = {}): Promise<void> {
    const full = normalizePath(this.composePath(path));
    const parts = full.split('/');
    let cur = full.startsWith('/') ? '' : '.';
    let created = false;
    for (const part of parts) {
      if (part === '') continue;
      cur = cur === '' ? `/${part}` : `${cur}/${part}`;
      const a = await this.statOrUndefined(cur);
      if (a === undefined) {
        await this.mkdir(cur, options.attrs ?? {});
        created = true;
      } else if (attrsType(a) !== FILEXFER_TYPE.DIRECTORY) {
        throw new SFTPFailure(`${cur} is not a directory`);
      }
    }
    if (!created && !options.existOk) throw SFTPError.fromCode(this.version >= 4 ? 11 : 4, `${path} already exists`);
  }

  async rmdir(path: string): Promise<void> {
    expectStatus(await this.session.request({ kind: 'rmdir', path: this.composePath(path) }));
  }

  /**
   * Removes a directory tree (symlinks are removed, not followed). Entries are removed as the
   * listing arrives, one READDIR batch at a time, whatever the size of a directory. A directory
   * that is not empty after its listing was read (a server whose listing skips entries once
   * others are removed: readdir(3) leaves that unspecified) is read again, while each read
   * removes something, up to RMTREE_MAX_READS times.
   */
  async rmtree(path: string, options: { ignoreErrors?: boolean } = {}): Promise<void> {
    const run = async (dir: string): Promise<void> => {
      for (let read = 1; ; read++) {
        let removed = 0;
        for await (const entry of this.scandir(dir)) {
          if (entry.filename === '.' || entry.filename === '..') continue;
          const child = joinPath(dir, entry.filename);
          try {
            if (attrsType(entry.attrs) === FILEXFER_TYPE.DIRECTORY) await run(child);
            else await this.remove(child);
            removed++;
          } catch (e) {
            if (!options.ignoreErrors) throw e;
          }
        }
        try {
          await this.rmdir(dir);
          return;
        } catch (e) {
          if (removed === 0 || read >= RMTREE_MAX_READS || !(e instanceof SFTPError)) throw e;
        }
      }
    };
    try {
      await run(this.composePath(path));
    } catch (e) {
      if (!options.ignoreErrors) throw e;
    }
  }

  /** Directory entries as they arrive, one READDIR batch at a time (for very large directories). */
  async *scandir(path = '.'): AsyncGenerator<SFTPName> {
    const handle = expectHandle(await this.session.request({ kind: 'opendir', path: this.composePath(path) }));
    try {
      for (;;) {
        const got = expectNames(await this.session.request({ kind: 'readdir', handle }));
        // An empty batch ends the listing too, as in OpenSSH's sftp: asking again would loop
        // for good on a server that answers every READDIR so, with nothing yielded to the caller.
        if (!got || got.names.length === 0) break;
        for (const n of got.names) yield n;
        if (got.endOfList) break;
      }
    } finally {
      await this.session.request({ kind: 'close', handle }).catch(() => undefined);
    }
  }

  /** Every entry of a directory, '.' and '..' included when the server lists them. */
  async readdir(path = '.'): Promise<SFTPName[]> {
    const out: SFTPName[] = [];
    for await (const n of this.scandir(path)) out.push(n);
    return out;
  }

  /** Entry names of a directory, sorted, without '.' and '..'. */
  async listdir(path = '.'): Promise<string[]> {
    return (await this.readdir(path))
      .map((n) => n.filename)
      .filter((n) => n !== '.' && n !== '..')
      .sort();
  }

  /** Paths matching glob patterns (`*`, `?`, `[...]`, `**`); an error when nothing matches. */
  async glob(patterns: string | readonly string[], options: { errorHandler?: (e: Error) => void } = {}): Promise<string[]> {
    return (await this.globSftpname(patterns, options)).map((n) => n.filename);
  }

  /** Like glob(), returning SFTPName entries whose `filename` is the matched path. */
  async globSftpname(patterns: string | readonly string[], options: { errorHandler?: (e: Error) => void } = {}): Promise<SFTPName[]> {
    return globNames(this, patterns, options);
  }

  // ----- transfers

  private needLocal(): LocalFs {
    if (!this.localFs) throw new SFTPOpUnsupported('no local file system: pass localFs (nodeLocalFs from @ssh/sftp/node)');
    return this.localFs;
  }

  /** Downloads remote paths to a local path. */
  async get(remotePaths: string | readonly string[], localPath?: string, options: TransferOptions = {}): Promise<void> {
    await getFiles(this, this.needLocal(), remotePaths, localPath, options, false);
  }

  /** Uploads local paths to a remote path. */
  async put(localPaths: string | readonly string[], remotePath?: string, options: TransferOptions = {}): Promise<void> {
    await putFiles(this, this.needLocal(), localPaths, remotePath, options, false);
  }

  /** Copies remote paths to another remote path (through this client; copy-data when remoteOnly). */
  async copy(srcPaths: string | readonly string[], dstPath?: string, options: TransferOptions & { remoteOnly?: boolean } = {}): Promise<void> {
    await copyFiles(this, srcPaths, dstPath, options, false);
  }

  /** get() with glob patterns. */
  async mget(remotePaths: string | readonly string[], localPath?: string, options: TransferOptions = {}): Promise<void> {
    await getFiles(this, this.needLocal(), remotePaths, localPath, options, true);
  }

  /** put() with glob patterns. */
  async mput(localPaths: string | readonly string[], remotePath?: string, options: TransferOptions = {}): Promise<void> {
    await putFiles(this, this.needLocal(), localPaths, remotePath, options, true);
  }

  /** copy() with glob patterns. */
  async mcopy(srcPaths: string | readonly string[], dstPath?: string, options: TransferOptions & { remoteOnly?: boolean } = {}): Promise<void> {
    await copyFiles(this, srcPaths, dstPath, options, true);
  }

  /**
   * Copies bytes between two open remote files on the server (copy-data): `length` 0 copies to the
   * end of the source.
   */
  async remoteCopy(src: SFTPClientFile<string> | SFTPClientFile<Uint8Array>, dst: SFTPClientFile<string> | SFTPClientFile<Uint8Array>, srcOffset = 0, length = 0, dstOffset = 0): Promise<void> {
    this.require(EXT.COPY_DATA);
    const w = new Writer(64).bytes(src.handle).u64(BigInt(srcOffset)).u64(BigInt(length)).bytes(dst.handle).u64(BigInt(dstOffset));
    expectStatus(await this.extended(EXT.COPY_DATA, w.finish()));
  }

  // ----- cleanup

  /** Ends the session (closes our side of the stream). */
  exit(): void {
    this.session.exit();
  }

  /**
   * Resolves when the session has closed: the stream ended, or exit() was called and the stream
   * closed both ways (over SSH: the channel closed, as AsyncSSH's wait_closed; a stream that
   * cannot tell resolves at exit(), since the server may never close its side).
   */
  waitClosed(): Promise<void> {
    return this.session.waitClosed();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.exit();
    await this.waitClosed();
  }
}
