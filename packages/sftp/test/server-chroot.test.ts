/** A hostile client against LocalSFTPServer's chroot: what it may do to the root itself. */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SFTPError, createMemoryPipe, runSftpServer } from '../src/index.ts';
import { LocalSFTPServer, startSftpClient } from '../src/node/index.ts';

const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

/** A session confined to `<parent>/jail` (empty), with a file beside the jail. */
async function jailed(version = 3) {
  const parent = realpathSync(mkdtempSync(join(tmpdir(), 'sftp-jail-')));
  temps.push(parent);
  const jail = join(parent, 'jail');
  mkdirSync(jail);
  writeFileSync(join(parent, 'secret'), 'outside');
  const [clientEnd, serverEnd] = createMemoryPipe();
  const served = runSftpServer(serverEnd, new LocalSFTPServer({ chroot: jail }));
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
