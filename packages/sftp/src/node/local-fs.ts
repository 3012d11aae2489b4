/**
 * The local file system for get/put/mget/mput, over node:fs/promises.
 * @module
 */

import { type Stats, constants as fsConstants } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { type SFTPAttrs, typeFromPermissions } from '../attrs.ts';
import { type LocalFile, type LocalFs } from '../local-fs.ts';
import { writeAllAt } from './write-all.ts';

/** SFTP attributes of a Node Stats (v3 ids, v4+ types, nanosecond times when Node has them). */
export function statsToAttrs(st: Stats): SFTPAttrs {
  const split = (ms: number): [number, number] => {
    const s = Math.floor(ms / 1000);
    return [s, Math.round((ms - s * 1000) * 1e6)];
  };
  const [atime, atimeNs] = split(st.atimeMs);
  const [mtime, mtimeNs] = split(st.mtimeMs);
  const [ctime, ctimeNs] = split(st.ctimeMs);
  const [crtime, crtimeNs] = split(st.birthtimeMs);
  return {
    type: typeFromPermissions(st.mode),
    size: st.size,
    allocSize: st.blocks * 512,
    uid: st.uid,
    gid: st.gid,
    permissions: st.mode,
    atime,
    atimeNs,
    mtime,
    mtimeNs,
    ctime,
    ctimeNs,
    crtime,
    crtimeNs,
    nlink: st.nlink,
  };
}

/** What is left of `buffers` to fill after the first `n` bytes went into them. */
function unfilled(buffers: readonly Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let skip = n;
  for (const b of buffers) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}

class NodeLocalFile implements LocalFile {
  private readonly fh: fs.FileHandle;
  constructor(fh: fs.FileHandle) {
    this.fh = fh;
  }
  async read(position: number, length: number): Promise<Uint8Array> {
    const buf = new Uint8Array(length);
    const { bytesRead } = await this.fh.read(buf, 0, length, position);
    return bytesRead === length ? buf : buf.subarray(0, bytesRead);
  }
  async readInto(buffer: Uint8Array, position: number): Promise<number> {
    let done = 0;
    while (done < buffer.length) {
      const { bytesRead } = await this.fh.read(buffer, done, buffer.length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  }
  async readvInto(buffers: readonly Uint8Array[], position: number): Promise<number> {
    let total = 0;
    let rest = buffers.filter((b) => b.length > 0);
    while (rest.length > 0) {
      const { bytesRead } = await this.fh.readv(rest, position + total);
      if (bytesRead === 0) break;
      total += bytesRead;
      rest = unfilled(rest, bytesRead);
    }
    return total;
  }
  write(data: Uint8Array, position: number): Promise<void> {
    return writeAllAt(this.fh, [data], position);
  }
  writev(parts: readonly Uint8Array[], position: number): Promise<void> {
    return writeAllAt(this.fh, parts, position);
  }
  close(): Promise<void> {
    return this.fh.close();
  }
}

/**
 * A directory's entry names a batch at a time, in the directory's order (sorting needs them all).
 * The directory is closed when the iteration ends, however it ends.
 */
export async function* scanNames(p: string): AsyncGenerator<string> {
  const dir = await fs.opendir(p, { bufferSize: 128 });
  for await (const entry of dir) yield entry.name;
}

/**
 * LocalFs.open for a server: O_NONBLOCK, so that a FIFO neither waits for its other end at the
 * open nor for data at a read (regular files are unaffected).
 */
export async function openNonBlocking(p: string, mode: 'r' | 'w', permissions = 0o666): Promise<LocalFile> {
  const flags = mode === 'r' ? fsConstants.O_RDONLY : fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC;
  return new NodeLocalFile(await fs.open(p, flags | fsConstants.O_NONBLOCK, permissions & 0o7777));
}

/** The local file system as LocalFs. */
export const nodeLocalFs: LocalFs = {
  async stat(p) {
    return statsToAttrs(await fs.stat(p));
  },
  async lstat(p) {
    return statsToAttrs(await fs.lstat(p));
  },
  async open(p, mode, permissions = 0o666) {
    const flags = mode === 'r' ? fsConstants.O_RDONLY : fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC;
    return new NodeLocalFile(await fs.open(p, flags, permissions & 0o7777));
  },
  async readdir(p) {
    return (await fs.readdir(p)).sort();
  },
  scandir: scanNames,
  async mkdir(p) {
    try {
      await fs.mkdir(p);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      return false;
    }
  },
  async setstat(p, attrs) {
    if (attrs.permissions !== undefined) await fs.chmod(p, attrs.permissions & 0o7777);
    if (attrs.atime !== undefined && attrs.mtime !== undefined) {
      await fs.utimes(p, attrs.atime + (attrs.atimeNs ?? 0) / 1e9, attrs.mtime + (attrs.mtimeNs ?? 0) / 1e9);
    }
  },
  readlink(p) {
    return fs.readlink(p);
  },
  symlink(target, p) {
    return fs.symlink(target, p);
  },
  join(...parts) {
    return path.join(...parts);
  },
  basename(p) {
    return path.basename(p);
  },
};
