/** Our client against AsyncSSH's SFTP server at each version 3 to 6 (forced on the server). */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILEXFER_TYPE, FXF56, SFTPError, SFTPNoSuchFile, SFTPNoSuchPath, SFTPOpUnsupported } from '../src/index.ts';
import { type AsyncSshServer, connectSftp, startAsyncSshServer } from './helpers/asyncssh.ts';

describe.each([3, 4, 5, 6])('client against AsyncSSH at v%i', (version) => {
  let server: AsyncSshServer;
  beforeAll(async () => {
    server = await startAsyncSshServer(version);
  }, 30000);
  afterAll(async () => {
    await server.stop();
  });

  it('does file, attribute and directory operations', async () => {
    const { client, close } = await connectSftp(server, version);
    try {
      expect(client.version).toBe(version);
      const root = server.root;
      const data = new Uint8Array(700_000).map((_, i) => (i * 7) & 0xff);
      const f = await client.open('/data.bin', 'wb');
      await f.write(data);
      await f.close();
      expect(Buffer.from(readFileSync(join(root, 'data.bin'))).equals(Buffer.from(data))).toBe(true);
      const r = await client.open('/data.bin', 'rb');
      expect(Buffer.from(await r.read()).equals(Buffer.from(data))).toBe(true);
      // Byte-range locks: AsyncSSH's server answers a v6 BLOCK with OP_UNSUPPORTED (its
      // SFTPServer.lock is a stub); before v6 our client refuses without asking.
      const lockError = await r.lock(0, 10, FXF56.BLOCK_READ).catch((e: unknown) => e);
      expect(lockError).toBeInstanceOf(SFTPOpUnsupported);
      expect((lockError as SFTPOpUnsupported).message).toMatch(version === 6 ? /not supported/i : /need SFTP v6/);
      await r.close();

      const st = await client.stat('/data.bin');
      expect(st.size).toBe(data.length);
      expect(st.type).toBe(FILEXFER_TYPE.REGULAR);
      await client.utime('/data.bin', [1_000_000_000, 1_200_000_000]);
      expect(Math.floor((await client.getmtime('/data.bin')) ?? 0)).toBe(1_200_000_000);
      await client.chmod('/data.bin', 0o604);
      expect(statSync(join(root, 'data.bin')).mode & 0o777).toBe(0o604);

      await client.makedirs('/a/b');
      writeFileSync(join(root, 'a/x'), 'x');
      mkdirSync(join(root, 'a/c'));
      expect(await client.listdir('/a')).toEqual(['b', 'c', 'x']);
      expect((await client.stat('/a')).type).toBe(FILEXFER_TYPE.DIRECTORY);
      await client.rename('/a/x', '/a/y');
      // Absolute target: AsyncSSH's chrooted readlink refuses to show relative targets.
      await client.symlink('/a/y', '/a/link');
      expect(await client.readlink('/a/link')).toBe('/a/y');
      expect(await client.islink('/a/link')).toBe(true);
      await client.remove('/a/link');
      await client.posixRename('/a/y', '/a/z');
      expect(readFileSync(join(root, 'a/z'), 'utf8')).toBe('x');
      await client.rmtree('/a');
      const err = await client.stat('/a').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SFTPError);
      expect(err instanceof SFTPNoSuchFile || err instanceof SFTPNoSuchPath).toBe(true);
      expect(await client.realpath('/x/../data.bin')).toBe('/data.bin');

      // Transfers both ways, a hard link, a remote copy, and error classes.
      const local = mkdtempSync(join(tmpdir(), 'sftp-asyncssh-local-'));
      try {
        mkdirSync(join(local, 'tree/sub'), { recursive: true });
        writeFileSync(join(local, 'tree/ünï.txt'), 'unicode');
        writeFileSync(join(local, 'tree/sub/big'), Buffer.alloc(1_500_000, 3));
        await client.put(join(local, 'tree'), '/up', { recurse: true, preserve: true });
        expect(readFileSync(join(root, 'up/ünï.txt'), 'utf8')).toBe('unicode');
        expect(statSync(join(root, 'up/sub/big')).size).toBe(1_500_000);
        await client.get('/up', join(local, 'down'), { recurse: true });
        expect(readFileSync(join(local, 'down/sub/big')).equals(readFileSync(join(local, 'tree/sub/big')))).toBe(true);
        await client.link('/up/ünï.txt', '/up/hard.txt');
        expect(statSync(join(root, 'up/hard.txt')).nlink).toBe(2);
        await client.copy('/up/sub/big', '/big-copy');
        expect(statSync(join(root, 'big-copy')).size).toBe(1_500_000);
        expect((await client.listdir('/up')).sort()).toEqual(['hard.txt', 'sub', 'ünï.txt']);
        await expect(client.open('/nope/x', 'r')).rejects.toBeInstanceOf(SFTPError);
        await expect(client.rmdir('/up')).rejects.toBeInstanceOf(SFTPError);
        await expect(client.mkdir('/up')).rejects.toBeInstanceOf(SFTPError);
      } finally {
        rmSync(local, { recursive: true, force: true });
      }
    } finally {
      await close();
    }
  }, 60000);
});
