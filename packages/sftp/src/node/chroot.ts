/**
 * Confinement to a directory for the local file system servers (SFTP and SCP).
 *
 * Client paths are normalised lexically against a virtual `/` (so `..` stops at the root); the
 * real path an operation touches is then resolved (`realpath` of the path, or of its parent when
 * the final symlink is not followed) and refused when it lies outside the root. Dangling symlinks
 * are not followed, so nothing can be created through them.
 * @module
 */

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { type SFTPAttrs } from '../attrs.ts';
import { SFTPNoSuchFile, SFTPPermissionDenied } from '../errors.ts';
import { type LocalFs } from '../local-fs.ts';
import { joinPath, normalizePath } from '../paths.ts';
import { fsError } from './fs-errors.ts';
import { nodeLocalFs } from './local-fs.ts';

export class ChrootResolver {
  /** The root as given (absolute). */
  readonly root: string;
  private rootReal: Promise<string> | undefined;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** The root's real path (symlinks in the root's own path resolved). */
  realRoot(): Promise<string> {
    this.rootReal ??= fs.realpath(this.root);
    return this.rootReal;
  }

  /** A client path (absolute or relative to `/`) as a local path under the root, lexically. */
  toLocal(clientPath: string): string {
    const virtual = normalizePath(`/${clientPath}`);
    return virtual === '/' ? this.root : this.root + virtual;
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
   * The real path of the directory `p` is in, which must exist (as OpenSSH's realpath wants of
   * every component but the last). One lookup: resolving a missing parent from its own parent,
   * level by level, cost a realpath and an lstat per component of an attacker's path.
   */
  private async resolveParent(p: string): Promise<string> {
    const dir = path.dirname(p);
    if (dir === this.root) return this.realRoot();
    try {
      return await fs.realpath(dir);
    } catch (e) {
      // Missing, or a dangling symlink: either way nothing lies below it.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new SFTPNoSuchFile('No such file');
      throw fsError(e);
    }
  }

  /** The real path a local path under the root denotes, refused (PERMISSION_DENIED) outside it. */
  async resolve(p: string, followFinal: boolean): Promise<string> {
    const root = await this.realRoot();
    if (p === this.root) return root;
    let real: string;
    if (followFinal) {
      try {
        real = await fs.realpath(p);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError(e);
        // Missing, or a dangling symlink: a dangling link could create a file where it points.
        const isLink = await fs.lstat(p).then(
          (st) => st.isSymbolicLink(),
          () => false,
        );
        if (isLink) throw new SFTPNoSuchFile('No such file');
        real = path.join(await this.resolveParent(p), path.basename(p));
      }
    } else {
      real = path.join(await this.resolveParent(p), path.basename(p));
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
    async open(p, mode) {
      return nodeLocalFs.open(await at(p, true), mode);
    },
    async readdir(p) {
      return nodeLocalFs.readdir(await at(p, true));
    },
    async mkdir(p) {
      return nodeLocalFs.mkdir(await at(p, false));
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
