/**
 * LocalSFTPServer: the SFTPServer hooks over the local file system, with an optional chroot.
 *
 * Under `chroot`, client paths are normalised lexically against a virtual `/` (so `..` stops at
 * the root), then every operation resolves the real path of what it touches (`fs.realpath` of the
 * path, or of its parent for operations that do not follow a final symlink) and refuses anything
 * outside the root. Files are then opened by that resolved path with O_NOFOLLOW. Absolute symlink
 * targets written by clients are stored inside the root and shown back without it.
 * Known limit: whatever swaps a checked directory or file for a symlink between the check and the
 * use can still win (no openat2/RESOLVE_BENEATH in Node): a local process, or a client running a
 * second session on the same tree at the same moment. One session's requests cannot.
 * @module
 */

import { constants as C } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { type SFTPAttrs, type SFTPName, type SFTPVFSAttrs } from '../attrs.ts';
import { FXF } from '../constants.ts';
import { SFTPFailure, SFTPFileAlreadyExists, SFTPGroupInvalid, SFTPNoSuchFile, SFTPNotADirectory, SFTPOwnerInvalid, SFTPPermissionDenied } from '../errors.ts';
import { dataBuffer } from '../packets.ts';
import { SFTPServer, type ServerFile } from '../server.ts';
import { ByteRangeLocks } from '../locks.ts';
import { ChrootResolver } from './chroot.ts';
import { fsError } from './fs-errors.ts';
import { GatheredReads, GatheredWrites } from './gathered-io.ts';
import { statsToAttrs } from './local-fs.ts';

export interface LocalSFTPServerOptions {
  /** Confine every request to this directory, which clients see as `/`. */
  readonly chroot?: string;
  /** Directory relative paths start from when there is no chroot (default: process.cwd()). */
  readonly home?: string;
  /**
   * The byte-range lock table (v6 BLOCK/UNBLOCK), by real path. Default: one table for the whole
   * process, so that every session this process serves sees the others' locks. The locks live
   * in this table only: other programs on the machine do not see them.
   */
  readonly locks?: ByteRangeLocks;
}

/** The lock table servers share unless given their own. */
const processLocks = new ByteRangeLocks();

interface LocalFile {
  readonly fh: fs.FileHandle;
  readonly path: string;
  readonly reads: GatheredReads;
  readonly writes: GatheredWrites;
}

function asFile(f: ServerFile): LocalFile {
  return f as LocalFile;
}

async function wrap<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    throw fsError(e);
  }
}

/** name <-> id tables of /etc/passwd or /etc/group (read once; missing files give empty tables). */
interface IdTable {
  readonly byId: ReadonlyMap<number, string>;
  readonly byName: ReadonlyMap<string, number>;
}

async function readIdTable(file: string): Promise<IdTable> {
  const byId = new Map<number, string>();
  const byName = new Map<string, number>();
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    const n = Number(id);
    if (!name || id === undefined || !Number.isInteger(n)) continue;
    if (!byId.has(n)) byId.set(n, name);
    if (!byName.has(name)) byName.set(name, n);
  }
  return { byId, byName };
}

export class LocalSFTPServer extends SFTPServer {
  private readonly locks: ByteRangeLocks;
  private readonly root: string | undefined;
  private readonly chroot: ChrootResolver | undefined;
  private readonly home: string;
  private users: Promise<IdTable> | undefined;
  private groups: Promise<IdTable> | undefined;

  /** The user name of a uid from /etc/passwd (the number when unknown). */
  override async formatUser(uid: number): Promise<string> {
    this.users ??= readIdTable('/etc/passwd');
    return (await this.users).byId.get(uid) ?? String(uid);
  }

  /** The group name of a gid from /etc/group (the number when unknown). */
  override async formatGroup(gid: number): Promise<string> {
    this.groups ??= readIdTable('/etc/group');
    return (await this.groups).byId.get(gid) ?? String(gid);
  }

  /** uid/gid for owner/group names (v4+ clients send names). */
  private async resolveOwner(attrs: SFTPAttrs): Promise<SFTPAttrs> {
    const out = { ...attrs };
    if (out.uid === undefined && out.owner !== undefined) {
      this.users ??= readIdTable('/etc/passwd');
      const uid = /^\d+$/.test(out.owner) ? Number(out.owner) : (await this.users).byName.get(out.owner);
      if (uid === undefined) throw new SFTPOwnerInvalid(`unknown user ${out.owner}`);
      out.uid = uid;
    }
    if (out.gid === undefined && out.group !== undefined) {
      this.groups ??= readIdTable('/etc/group');
      const gid = /^\d+$/.test(out.group) ? Number(out.group) : (await this.groups).byName.get(out.group);
      if (gid === undefined) throw new SFTPGroupInvalid(`unknown group ${out.group}`);
      out.gid = gid;
    }
    return out;
  }

  constructor(options: LocalSFTPServerOptions = {}) {
    super();
    this.root = options.chroot === undefined ? undefined : path.resolve(options.chroot);
    this.chroot = this.root === undefined ? undefined : new ChrootResolver(this.root);
    this.home = path.resolve(options.home ?? process.cwd());
    this.locks = options.locks ?? processLocks;
  }

  /** A trailing `/` stays: the path names a directory, and the system calls refuse anything else. */
  override mapPath(p: string): string {
    if (this.chroot) return this.chroot.toLocal(p);
    const local = path.resolve(this.home, p);
    return /\/\.?$/.test(p) && local !== '/' ? `${local}/` : local;
  }

  override reverseMapPath(p: string): string | Promise<string> {
    return this.chroot ? this.chroot.realToClient(p) : p;
  }

  /** The real path `p` denotes under the chroot (checked), or `p` itself without one. */
  private resolve(p: string, followFinal: boolean): Promise<string> {
    return this.chroot ? this.chroot.resolve(p, followFinal) : Promise.resolve(p);
  }

  /** The real path of the entry `p` names, its final symlink not followed (see ChrootResolver.resolveName). */
  private resolveName(p: string): Promise<string> {
    return this.chroot ? this.chroot.resolveName(p) : Promise.resolve(p);
  }

  /**
   * resolveName(p) for an operation that removes, moves or replaces what `p` names: refused on
   * the chroot's root itself. Once the root was gone, a symlink made in its place would carry every
   * later request to wherever it points, as `/` is not looked up again.
   */
  private async resolveEntry(p: string): Promise<string> {
    const real = await this.resolveName(p);
    if (this.chroot && real === (await this.chroot.realRoot())) throw new SFTPPermissionDenied('Permission denied');
    return real;
  }

  override open(p: string, pflags: number, attrs: SFTPAttrs): Promise<ServerFile> {
    return wrap(async () => {
      const real = await this.resolve(p, true);
      let flags = pflags & FXF.WRITE ? (pflags & FXF.READ ? C.O_RDWR : C.O_WRONLY) : C.O_RDONLY;
      if (pflags & FXF.CREAT) flags |= C.O_CREAT;
      if (pflags & FXF.TRUNC) flags |= C.O_TRUNC;
      if (pflags & FXF.EXCL) flags |= C.O_EXCL;
      if (pflags & FXF.APPEND) flags |= C.O_APPEND;
      if (this.root !== undefined) flags |= C.O_NOFOLLOW;
      // A FIFO's open waits for its other end and its reads for data: each wait held one of the few
      // threads every session's file I/O shares. Non-blocking, its open for reading returns at
      // once (positional reads then fail on it, as they always did) and one for writing fails
      // without a reader; regular files are unaffected.
      flags |= C.O_NONBLOCK;
      const fh = await fs.open(real, flags, (attrs.permissions ?? 0o666) & 0o7777);
      return { fh, path: real, reads: new GatheredReads(fh), writes: new GatheredWrites(fh) } satisfies LocalFile;
    });
  }

  override close(f: ServerFile): Promise<void> {
    const file = asFile(f);
    this.locks.release(file.path, file);
    return wrap(() => file.fh.close());
  }

  override lock(f: ServerFile, offset: number, length: number, flags: number): void {
    const file = asFile(f);
    this.locks.lock(file.path, file, offset, length, flags);
  }

  override unlock(f: ServerFile, offset: number, length: number): void {
    const file = asFile(f);
    this.locks.unlock(file.path, file, offset, length);
  }

  override read(f: ServerFile, offset: number, size: number): Promise<Uint8Array> {
    const file = asFile(f);
    this.locks.checkIo(file.path, file, offset, size, 'read');
    return wrap(async () => {
      // A buffer the DATA reply can be built around, so the block is not copied to be sent.
      const buf = dataBuffer(size);
      const bytesRead = await file.reads.read(buf, offset);
      return bytesRead === size ? buf : buf.subarray(0, bytesRead);
    });
  }

  /**
   * This write() is done with the data once the file has it. A subclass that overrides write()
   * is not assumed to be (it may keep the data) unless it says so here too.
   */
  override get borrowsWriteData(): boolean {
    return this.write === LocalSFTPServer.prototype.write;
  }

  override write(f: ServerFile, offset: number, data: Uint8Array): Promise<void> {
    const file = asFile(f);
    this.locks.checkIo(file.path, file, offset, data.length, 'write');
    return wrap(() => file.writes.write(data, offset));
  }

  override rename(oldPath: string, newPath: string): Promise<void> {
    return wrap(async () => {
      const from = await this.resolveEntry(oldPath);
      const to = await this.resolveEntry(newPath);
      // v3 RENAME must not replace the target: link + unlink is atomic about that for files.
      const st = await fs.lstat(from);
      if (st.isFile()) {
        await fs.link(from, to);
        await fs.unlink(from);
        return;
      }
      if (await fs.lstat(to).then(() => true, () => false)) throw new SFTPFileAlreadyExists('File already exists');
      await fs.rename(from, to);
    });
  }

  override posixRename(oldPath: string, newPath: string): Promise<void> {
    return wrap(async () => fs.rename(await this.resolveEntry(oldPath), await this.resolveEntry(newPath)));
  }

  override remove(p: string): Promise<void> {
    return wrap(async () => fs.unlink(await this.resolveEntry(p)));
  }

  override readlink(p: string): Promise<string> {
    return wrap(async () => fs.readlink(await this.resolve(p, false)));
  }

  override symlink(target: string, linkPath: string): Promise<void> {
    return wrap(async () => {
      const link = await this.resolveEntry(linkPath);
      // Absolute targets are client paths: under a chroot they live inside the root.
      const stored = this.root !== undefined && target.startsWith('/') ? this.mapPath(target) : target;
      await fs.symlink(stored, link);
    });
  }

  override link(oldPath: string, newPath: string): Promise<void> {
    return wrap(async () => fs.link(await this.resolve(oldPath, true), await this.resolveEntry(newPath)));
  }

  /**
   * Symlinks resolved, as realpath(3); a missing last component is named all the same, as
   * OpenSSH's sftp-server does. A name ending in `/` is answered without it, and only when it
   * exists (of any type): OpenSSH's realpath takes the `/` as one more component to come.
   */
  override realpath(p: string): Promise<string> {
    return wrap(async () => {
      const dirName = p.length > 1 && p.endsWith('/');
      const name = dirName ? p.slice(0, -1) : p;
      const real = this.chroot ? await this.chroot.resolve(name, true) : await realpathOfName(name);
      if (dirName) await fs.stat(real);
      return real;
    });
  }

  override stat(p: string): Promise<SFTPAttrs> {
    return wrap(async () => statsToAttrs(await fs.stat(await this.resolve(p, true))));
  }

  override lstat(p: string): Promise<SFTPAttrs> {
    return wrap(async () => statsToAttrs(await fs.lstat(await this.resolve(p, false))));
  }

  override fstat(f: ServerFile): Promise<SFTPAttrs> {
    return wrap(async () => statsToAttrs(await asFile(f).fh.stat()));
  }

  private async applyAttrs(real: string, given: SFTPAttrs, follow: boolean): Promise<void> {
    const attrs = await this.resolveOwner(given);
    if (attrs.size !== undefined) {
      if (follow) await fs.truncate(real, attrs.size);
      else {
        // truncate(2) follows a final symlink, which lsetstat must not: under a chroot that link
        // may point out of the root (resolve() checked only its parent). O_NONBLOCK: a FIFO must
        // not hold the open.
        const fh = await fs.open(real, C.O_WRONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
        try {
          await fh.truncate(attrs.size);
        } finally {
          await fh.close();
        }
      }
    }
    if (attrs.permissions !== undefined) {
      if (follow) await fs.chmod(real, attrs.permissions & 0o7777);
      else if (!(await fs.lstat(real)).isSymbolicLink()) await fs.chmod(real, attrs.permissions & 0o7777);
    }
    if (attrs.uid !== undefined && attrs.gid !== undefined) await (follow ? fs.chown : fs.lchown)(real, attrs.uid, attrs.gid);
    if (attrs.atime !== undefined && attrs.mtime !== undefined) {
      const at = attrs.atime + (attrs.atimeNs ?? 0) / 1e9;
      const mt = attrs.mtime + (attrs.mtimeNs ?? 0) / 1e9;
      await (follow ? fs.utimes : fs.lutimes)(real, at, mt);
    }
  }

  override setstat(p: string, attrs: SFTPAttrs): Promise<void> {
    return wrap(async () => this.applyAttrs(await this.resolve(p, true), attrs, true));
  }

  override lsetstat(p: string, attrs: SFTPAttrs): Promise<void> {
    return wrap(async () => this.applyAttrs(await this.resolve(p, false), attrs, false));
  }

  override fsetstat(f: ServerFile, given: SFTPAttrs): Promise<void> {
    return wrap(async () => {
      const { fh } = asFile(f);
      const attrs = await this.resolveOwner(given);
      if (attrs.size !== undefined) await fh.truncate(attrs.size);
      if (attrs.permissions !== undefined) await fh.chmod(attrs.permissions & 0o7777);
      if (attrs.uid !== undefined && attrs.gid !== undefined) await fh.chown(attrs.uid, attrs.gid);
      if (attrs.atime !== undefined && attrs.mtime !== undefined) {
        await fh.utimes(attrs.atime + (attrs.atimeNs ?? 0) / 1e9, attrs.mtime + (attrs.mtimeNs ?? 0) / 1e9);
      }
    });
  }

  private static async vfs(real: string): Promise<SFTPVFSAttrs> {
    const s = await fs.statfs(real);
    return {
      bsize: s.bsize,
      frsize: s.bsize,
      blocks: s.blocks,
      bfree: s.bfree,
      bavail: s.bavail,
      files: s.files,
      ffree: s.ffree,
      favail: s.ffree,
      fsid: 0n,
      flag: 0,
      namemax: 255,
    };
  }

  override statvfs(p: string): Promise<SFTPVFSAttrs> {
    return wrap(async () => LocalSFTPServer.vfs(await this.resolve(p, true)));
  }

  override fstatvfs(f: ServerFile): Promise<SFTPVFSAttrs> {
    return wrap(async () => LocalSFTPServer.vfs(asFile(f).path));
  }

  override fsync(f: ServerFile): Promise<void> {
    return wrap(() => asFile(f).fh.sync());
  }

  override mkdir(p: string, attrs: SFTPAttrs): Promise<void> {
    return wrap(async () => fs.mkdir(await this.resolveName(p), (attrs.permissions ?? 0o777) & 0o7777));
  }

  override rmdir(p: string): Promise<void> {
    return wrap(async () => fs.rmdir(await this.resolveEntry(p)));
  }

  override scandir(p: string): Promise<AsyncIterable<SFTPName>> {
    return wrap(async () => {
      const real = await this.resolve(p, true);
      if (!(await fs.stat(real)).isDirectory()) throw new SFTPNotADirectory('Not a directory');
      const parent = this.chroot && real === (await this.chroot.realRoot()) ? real : path.dirname(real);
      const lstatName = async (name: string): Promise<SFTPName | undefined> => {
        try {
          return { filename: name, longname: '', attrs: statsToAttrs(await fs.lstat(path.join(real, name))) };
        } catch {
          return undefined; // vanished meanwhile
        }
      };
      return (async function* () {
        // Opened on the first READDIR, so that an abandoned handle holds no descriptor.
        const dir = await fs.opendir(real, { bufferSize: 128 });
        try {
          for (const n of ['.', '..']) {
            const entry = n === '.' ? await lstatName('.') : { filename: '..', longname: '', attrs: statsToAttrs(await fs.stat(parent)) };
            if (entry) yield entry;
          }
          let batch: string[] = [];
          const flush = async function* (): AsyncGenerator<SFTPName> {
            const got = await Promise.all(batch.map(lstatName));
            batch = [];
            for (const g of got) if (g) yield g;
          };
          for await (const d of dir) {
            batch.push(d.name);
            if (batch.length >= 64) yield* flush();
          }
          yield* flush();
        } finally {
          await dir.close().catch(() => undefined);
        }
      })();
    });
  }

  override homeDirectory(user: string): Promise<string> {
    return wrap(async () => {
      if (this.root !== undefined) {
        if (user !== '') throw new SFTPNoSuchFile('No such user');
        return '/';
      }
      const me = os.userInfo();
      if (user === '' || user === me.username) return me.homedir;
      throw new SFTPFailure(`unknown user ${user}`);
    });
  }
}

/** realpath(3) of `p`, or of its directory with its last name when that is missing; `p` itself when both are. */
async function realpathOfName(p: string): Promise<string> {
  try {
    return await fs.realpath(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  return fs.realpath(path.dirname(p)).then(
    (dir) => path.join(dir, path.basename(p)),
    () => path.resolve(p),
  );
}
