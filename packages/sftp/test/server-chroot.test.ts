/** A hostile, authenticated client against our SFTP server: the chroot (LocalSFTPServer), copy-data, path costs. */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FXP, PacketFramer, SFTPError, SFTPFailure, SFTPServer, type ServerFile, createMemoryPipe, decodeResponse, encodeInit, encodeRequest, runSftpServer } from '../src/index.ts';
import { LocalSFTPServer, startSftpClient } from '../src/node/index.ts';

/**
 * Bounds that only tell linear from quadratic work: the quadratic versions of the cases below
 * took minutes, the linear ones a fraction of a second, and a busy machine may take several.
 */
const LINEAR_BOUND_MS = 20_000;

const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

/** A session confined to `<parent>/jail` (empty), with a file beside the jail. */
async function jailed(version = 3, server?: (jail: string) => LocalSFTPServer) {
  const parent = realpathSync(mkdtempSync(join(tmpdir(), 'sftp-jail-')));
  temps.push(parent);
  const jail = join(parent, 'jail');
  mkdirSync(jail);
  writeFileSync(join(parent, 'secret'), 'outside');
  const [clientEnd, serverEnd] = createMemoryPipe();
  const served = runSftpServer(serverEnd, server ? server(jail) : new LocalSFTPServer({ chroot: jail }));
  const client = await startSftpClient(clientEnd, { version });
  return {
    parent,
    jail,
    client,
    async close() {
      client.exit();
      await served;
    },
  };
}

describe('the chroot root itself', () => {
  it('cannot be removed and replaced by a symlink that lists the directory above it', async () => {
    const s = await jailed();
    try {
      await s.client.rmdir('/').catch(() => undefined);
      await s.client.symlink('.', '/').catch(() => undefined);
      expect(await s.client.listdir('/')).not.toContain('secret');
      expect(lstatSync(s.jail).isDirectory()).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('cannot be removed, renamed or replaced', async () => {
    const s = await jailed();
    try {
      await expect(s.client.rmdir('/')).rejects.toBeInstanceOf(SFTPError);
      await expect(s.client.rmdir('/..')).rejects.toBeInstanceOf(SFTPError);
      await expect(s.client.remove('/')).rejects.toBeInstanceOf(SFTPError);
      await expect(s.client.posixRename('/', '/x')).rejects.toBeInstanceOf(SFTPError);
      await expect(s.client.rename('/', '/x')).rejects.toBeInstanceOf(SFTPError);
      // Had the root gone, a link in its place would point the whole session out of it.
      await expect(s.client.symlink('..', '/')).rejects.toBeInstanceOf(SFTPError);
      await s.client.mkdir('d');
      await expect(s.client.posixRename('/d', '/')).rejects.toBeInstanceOf(SFTPError);
      expect(lstatSync(s.jail).isDirectory()).toBe(true);
      expect(await s.client.listdir('/')).toEqual(['d']);
      expect(existsSync(join(s.parent, 'x'))).toBe(false);
    } finally {
      await s.close();
    }
  });
});

describe('copy-data with an explicit length', () => {
  it('stops at the end the source had, onto the same file through another handle at a later offset', async () => {
    /** Refuses writes past 4 KiB: without a bound the copy would read back what it wrote, forever. */
    class Bounded extends LocalSFTPServer {
      override write(f: ServerFile, offset: number, data: Uint8Array): Promise<void> {
        if (offset + data.length > 4096) return Promise.reject(new SFTPFailure('runaway copy'));
        return super.write(f, offset, data);
      }
    }
    const s = await jailed(3, (jail) => new Bounded({ chroot: jail }));
    try {
      writeFileSync(join(s.jail, 'f'), 'content');
      const src = await s.client.open('f', 'rb');
      const dst = await s.client.open('f', 'r+b');
      await s.client.remoteCopy(src, dst, 0, 2 ** 40, 7);
      await src.close();
      await dst.close();
      expect(readFileSync(join(s.jail, 'f'), 'utf8')).toBe('contentcontent');
    } finally {
      await s.close();
    }
  }, 10_000);
});

describe('directories resolved by an earlier request', () => {
  it('are looked up again once swapped for a symlink that points out of the root', async () => {
    const s = await jailed();
    try {
      await s.client.mkdir('d');
      await s.client.mkdir('d/e');
      writeFileSync(join(s.jail, 'd', 'e', 'secret'), 'inside');
      // Resolves d and d/e (the server remembers both), then they are swapped as a second session
      // or a local process could: d for a link to the jail's parent, which has its own e.
      expect(await s.client.listdir('d/e')).toEqual(['secret']);
      renameSync(join(s.jail, 'd'), join(s.jail, 'old'));
      mkdirSync(join(s.parent, 'e'));
      writeFileSync(join(s.parent, 'e', 'secret'), 'outside');
      symlinkSync('..', join(s.jail, 'd'));
      await expect(s.client.listdir('d/e')).rejects.toBeInstanceOf(SFTPError);
      await expect(s.client.stat('d/e/secret')).rejects.toBeInstanceOf(SFTPError);
      await expect(s.client.open('d/e/new', 'wb')).rejects.toBeInstanceOf(SFTPError);
      await expect(s.client.mkdir('d/e/f')).rejects.toBeInstanceOf(SFTPError);
      expect(existsSync(join(s.parent, 'e', 'new'))).toBe(false);
      expect(existsSync(join(s.parent, 'e', 'f'))).toBe(false);
      // A directory put in place of one remembered is looked up again and used.
      rmSync(join(s.jail, 'd'));
      mkdirSync(join(s.jail, 'd', 'e'), { recursive: true });
      await s.client.mkdir('d/e/g');
      expect(lstatSync(join(s.jail, 'd', 'e', 'g')).isDirectory()).toBe(true);
    } finally {
      await s.close();
    }
  });
});

describe('a symlink out of the root named with a trailing /', () => {
  it('is not followed by any request, though the kernel would follow it', async () => {
    const s = await jailed();
    try {
      mkdirSync(join(s.parent, 'od'));
      writeFileSync(join(s.parent, 'od', 'x'), 'outside');
      symlinkSync(join(s.parent, 'od'), join(s.jail, 'out'));
      for (const n of ['out/', 'out/.', 'out//']) {
        await expect(s.client.stat(n)).rejects.toBeInstanceOf(SFTPError);
        await expect(s.client.lstat(n)).rejects.toBeInstanceOf(SFTPError);
        await expect(s.client.readlink(n)).rejects.toBeInstanceOf(SFTPError);
        await expect(s.client.listdir(n)).rejects.toBeInstanceOf(SFTPError);
        await expect(s.client.realpath(n)).rejects.toBeInstanceOf(SFTPError);
        await expect(s.client.chmod(n, 0o700, { followSymlinks: false })).rejects.toBeInstanceOf(SFTPError);
        await expect(s.client.chmod(n, 0o700)).rejects.toBeInstanceOf(SFTPError);
        await expect(s.client.rmdir(n)).rejects.toBeInstanceOf(SFTPError);
        await expect(s.client.remove(n)).rejects.toBeInstanceOf(SFTPError);
        await expect(s.client.mkdir(n)).rejects.toBeInstanceOf(SFTPError);
      }
      expect(lstatSync(join(s.parent, 'od')).mode & 0o777).not.toBe(0o700);
      expect(readFileSync(join(s.parent, 'od', 'x'), 'utf8')).toBe('outside');
      expect(lstatSync(join(s.jail, 'out')).isSymbolicLink()).toBe(true);
    } finally {
      await s.close();
    }
  });
});

describe('a chroot given through a symlink', () => {
  it('shows real paths under the root as client paths, never the local path', async () => {
    const s = await jailed(3, (jail) => {
      symlinkSync('jail', join(jail, '..', 'via'));
      return new LocalSFTPServer({ chroot: join(jail, '..', 'via') });
    });
    try {
      await s.client.mkdir('d');
      expect(await s.client.realpath('.')).toBe('/');
      expect(await s.client.realpath('d/../d')).toBe('/d');
      expect(await s.client.expandPath('~/d')).toBe('/d');
    } finally {
      await s.close();
    }
  });
});

describe('paths of many components that do not exist', () => {
  // Each missing component was resolved by resolving its parent first, one realpath and one lstat
  // per level: a 100 KB path of 50,000 components took minutes of the thread pool.
  const deep = `x${'/a'.repeat(50_000)}`;

  it('are refused in time proportional to their length', async () => {
    const s = await jailed(6);
    try {
      const started = Date.now();
      await expect(s.client.stat(deep)).rejects.toBeInstanceOf(SFTPError);
      await expect(s.client.mkdir(deep)).rejects.toBeInstanceOf(SFTPError);
      await expect(s.client.realpath('x', ...deep.split('/').slice(1))).rejects.toBeInstanceOf(SFTPError);
      expect(Date.now() - started).toBeLessThan(LINEAR_BOUND_MS);
    } finally {
      await s.close();
    }
  }, 30_000);

  it('realpath still names a missing last component, as OpenSSH does', async () => {
    const s = await jailed(3);
    try {
      await s.client.mkdir('d');
      expect(await s.client.realpath('d/new')).toBe('/d/new');
      expect(await s.client.realpath('new')).toBe('/new');
    } finally {
      await s.close();
    }
  });
});

describe('REALPATH compose-paths', () => {
  it('are joined in time linear in their number', async () => {
    // Each part trimmed the slashes off the whole path so far, flattening it: quadratic.
    const seen: string[] = [];
    const server = new (class extends SFTPServer {
      override realpath(p: string): string {
        seen.push(p);
        return '/';
      }
    })();
    const [client, serverEnd] = createMemoryPipe();
    const served = runSftpServer(serverEnd, server, { maxPacketLength: 4 << 20 });
    void client.write(encodeInit(FXP.INIT, { version: 6, extensions: [] }));
    const parts = Array.from({ length: 600_000 }, (_, i) => (i % 2 === 1 ? 'a//' : 'a'));
    const started = Date.now();
    void client.write(encodeRequest({ kind: 'realpath', id: 1, path: 'x//', control: 1, compose: [...parts, '', 'b'] }, 6));
    const framer = new PacketFramer(1 << 20);
    let answered = false;
    let version = true;
    for await (const chunk of client.readable) {
      for (const p of framer.push(chunk)) {
        if (version) version = false;
        else if (decodeResponse(p, 6).id === 1) answered = true;
      }
      if (answered) break;
    }
    expect(Date.now() - started).toBeLessThan(LINEAR_BOUND_MS);
    client.close();
    await served;
    expect(seen).toEqual([`x${'/a'.repeat(600_000)}/b`]);
  }, 60_000);
});
