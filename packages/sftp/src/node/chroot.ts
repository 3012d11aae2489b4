/**
 * Confinement to a directory for the local file system servers (SFTP and SCP).
 *
 * Client paths are normalised lexically against a virtual `/` (so `..` stops at the root); the
 * real path an operation touches is then resolved (the real path of its directory, then its last
 * component, followed when it is a symlink the operation follows) and refused when it lies
 * outside the root. Dangling symlinks are not followed, so nothing can be created through them.
 * @module
 */

import { type BigIntStats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { type SFTPAttrs } from '../attrs.ts';
import { SFTPNoSuchFile, SFTPPermissionDenied } from '../errors.ts';
import { type LocalFs } from '../local-fs.ts';
import { joinPath, normalizePath } from '../paths.ts';
import { fsError } from './fs-errors.ts';
import { nodeLocalFs, openNonBlocking, scanNames } from './local-fs.ts';

/** Directories a resolver remembers: enough for a walk down a tree and back. */
const KNOWN_DIRS = 64;

export class ChrootResolver {
  /** The root as given (absolute). */
  readonly root: string;
  private rootReal: Promise<string> | undefined;
  /** Directories resolved lately (local path under the root to real path), oldest first. */
  private readonly dirs = new Map<string, { readonly real: string; readonly dev: bigint; readonly ino: bigint }>();

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** The root's real path (symlinks in the root's own path resolved). */
  realRoot(): Promise<string> {
    this.rootReal ??= fs.realpath(this.root);
    return this.rootReal;
  }

  /**
   * A client path (absolute or relative to `/`) as a local path under the root, lexically. A path
   * that ends in `/` (or `/.`) keeps one trailing `/`: it names a directory, and resolve() and
   * the system calls after it refuse anything else there, as they would the client's own path.
   */
  toLocal(clientPath: string): string {
    const virtual = normalizePath(`/${clientPath}`);
    if (virtual === '/') return this.root;
    return this.root + virtual + (/\/\.?$/.test(clientPath) ? '/' : '');
  }

  /** A local path as the client sees it (unchanged when outside the root or relative). */
  toClient(localPath: string): string {
    if (!localPath.startsWith('/')) return localPath;
    if (localPath === this.root) return '/';
    if (localPath.startsWith(`${this.root}/`)) return localPath.slice(this.root.length);
    return localPath;
  }

  /**
   * A path resolve() gave (under the root's real path) or one under the root as given, as the
   * client sees it: the two differ when the root's own path goes through a symlink.
   */
  async realToClient(localPath: string): Promise<string> {
    const root = await this.realRoot().catch(() => this.root);
    if (localPath === root) return '/';
    if (root !== '/' && localPath.startsWith(`${root}/`)) return localPath.slice(root.length);
    return this.toClient(localPath);
  }

  private async inside(real: string): Promise<boolean> {
    const root = await this.realRoot();
    return real === root || real.startsWith(root === '/' ? '/' : `${root}/`);
  }

  /**
   * The real path of `dir` (a local path under the root) when it is a directory resolved lately,
   * reached through no symlink below the root, and still the same directory there (one lstat: a
   * directory swapped for another, or for a symlink, is looked up afresh).
   */
  private async knownDir(dir: string): Promise<string | undefined> {
    if (dir === this.root) return this.realRoot();
    const known = this.dirs.get(dir);
    if (!known) return undefined;
    const st = await fs.lstat(known.real, { bigint: true }).catch(() => undefined);
    if (st?.isDirectory() && st.dev === known.dev && st.ino === known.ino) return known.real;
    this.dirs.delete(dir);
    return undefined;
  }

  private remember(dir: string, real: string, st: BigIntStats): void {
    if (!st.isDirectory()) return;
    this.dirs.delete(dir);
    this.dirs.set(dir, { real, dev: st.dev, ino: st.ino });
    if (this.dirs.size > KNOWN_DIRS) this.dirs.delete(this.dirs.keys().next().value as string);
  }

  /**
   * The real path of the directory `p` is in, which must exist (as OpenSSH's realpath wants of
   * every component but the last). A directory resolved lately, or one below it that is a plain
   * directory, takes one or two lstats; anything else one realpath of the whole directory (a
   * lookup per component): an `scp -r` of a deep tree, each record one level below the last,
   * looked up every component of every record, cubic in the depth in the kernel. A missing
   * directory is not resolved from its parent, level by level, either: that cost a realpath and
   * an lstat per component of an attacker's path.
   */
  private async resolveParent(p: string): Promise<string> {
    const dir = path.dirname(p);
    const known = await this.knownDir(dir);
    if (known !== undefined) return known;
    const base = await this.knownDir(path.dirname(dir));
    if (base !== undefined) {
      const real = path.join(base, path.basename(dir));
      const st = await fs.lstat(real, { bigint: true }).catch(() => undefined);
      if (st?.isDirectory()) {
        this.remember(dir, real, st);
        return real;
      }
      // A symlink, something else or nothing: the full lookup decides.
    }
    try {
      const real = await fs.realpath(dir);
      // Remembered only when no symlink below the root led there: a link's target may change.
      if (real === (await this.realRoot()) + dir.slice(this.root.length)) {
        const st = await fs.lstat(real, { bigint: true }).catch(() => undefined);
        if (st) this.remember(dir, real, st);
      }
      return real;
    } catch (e) {
      // Missing, or a dangling symlink: either way nothing lies below it.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new SFTPNoSuchFile('No such file');
      throw fsError(e);
    }
  }

  /**
   * The real path a local path under the root denotes, refused (PERMISSION_DENIED) outside it.
   * The directory it is in is resolved first (resolveParent); its last component is followed
   * only when it is a symlink and `followFinal` asks for it, or when a trailing `/` makes it a
   * directory's name: the kernel follows a final symlink then, so it is followed (and checked)
   * here first. The trailing `/` is kept, so that the system call refuses a non-directory.
   */
  async resolve(p: string, followFinal: boolean): Promise<string> {
    const dirName = p.length > 1 && p.endsWith('/');
    const real = await this.resolveUnder(dirName ? p.slice(0, -1) : p, followFinal || dirName);
    return dirName && real !== '/' ? `${real}/` : real;
  }

  /**
   * The real path of the entry `p` names itself, never following a final symlink: for system
   * calls that act on names (unlink, rmdir, rename, mkdir, symlink, link). A trailing `/` is
   * kept: those calls answer ENOTDIR or EEXIST for a symlink or a file named so, and do not act
   * through the link.
   */
  async resolveName(p: string): Promise<string> {
    const dirName = p.length > 1 && p.endsWith('/');
    const real = await this.resolveUnder(dirName ? p.slice(0, -1) : p, false);
    return dirName && real !== '/' ? `${real}/` : real;
  }

  private async resolveUnder(p: string, followFinal: boolean): Promise<string> {
    const root = await this.realRoot();
    if (p === this.root) return root;
    let real = path.join(await this.resolveParent(p), path.basename(p));
    if (followFinal) {
      const isLink = await fs.lstat(real).then(
        (st) => st.isSymbolicLink(),
        (e: unknown) => {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
          throw fsError(e);
        },
      );
      if (isLink) {
        try {
          real = await fs.realpath(real);
        } catch (e) {
          // A dangling link could create a file where it points.
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new SFTPNoSuchFile('No such file');
          throw fsError(e);
        }
      }
    }
    if (!(await this.inside(real))) throw new SFTPPermissionDenied('Permission denied');
    return real;
  }
}

/**
 * A LocalFs confined to `root`: it takes client paths (`/` is the root), resolves each one with
 * ChrootResolver before touching the file system, and creates symlinks only with targets that
 * stay inside (absolute targets are stored under the root).
 */
export function chrootLocalFs(root: string): LocalFs {
  const r = new ChrootResolver(root);
  const at = (p: string, follow: boolean): Promise<string> => r.resolve(r.toLocal(p), follow);
  return {
    async stat(p): Promise<SFTPAttrs> {
      return nodeLocalFs.stat(await at(p, true));
    },
    async lstat(p): Promise<SFTPAttrs> {
      return nodeLocalFs.lstat(await at(p, false));
    },
    async open(p, mode, permissions) {
      // Non-blocking, as LocalSFTPServer opens: a FIFO under the root must not hold a thread of
      // the pool every session's file I/O shares, waiting for its other end.
      return openNonBlocking(await at(p, true), mode, permissions);
    },
    async readdir(p) {
      return nodeLocalFs.readdir(await at(p, true));
    },
    async *scandir(p) {
      yield* scanNames(await at(p, true));
    },
    async mkdir(p) {
      return nodeLocalFs.mkdir(await r.resolveName(r.toLocal(p)));
    },
    async setstat(p, attrs) {
      return nodeLocalFs.setstat(await at(p, true), attrs);
    },
    async readlink(p) {
      return r.toClient(await nodeLocalFs.readlink(await at(p, false)));
    },
    async symlink(target, p) {
      return nodeLocalFs.symlink(target.startsWith('/') ? r.toLocal(target) : target, await at(p, false));
    },
    join: (...parts) => joinPath(...parts),
    basename: (p) => path.posix.basename(p),
  };
}
