/**
 * Byte-range locks (v6 BLOCK/UNBLOCK): the lock table's rules, and our client against our file
 * system server with two sessions sharing one table. AsyncSSH's server answers BLOCK with
 * OP_UNSUPPORTED (its SFTPServer.lock is a stub), so the end-to-end tests use our own.
 */
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ByteRangeLocks,
  FXF56,
  SFTPByteRangeLockConflict,
  SFTPByteRangeLockRefused,
  SFTPNoMatchingByteRangeLock,
  SFTPOpUnsupported,
  type SFTPClient,
  createMemoryPipe,
  runSftpServer,
} from '../src/index.ts';
import { LocalSFTPServer, startSftpClient } from '../src/node/index.ts';

const { BLOCK_READ: R, BLOCK_WRITE: W, BLOCK_DELETE: D, BLOCK_ADVISORY: ADV } = FXF56;

describe('ByteRangeLocks', () => {
  const a = {};
  const b = {};

  it('refuses an exclusive lock over another owner’s range, allows disjoint ranges and the same owner', () => {
    const t = new ByteRangeLocks();
    t.lock('f', a, 0, 100, R | W);
    expect(() => t.lock('f', b, 99, 10, W)).toThrow(SFTPByteRangeLockConflict);
    expect(() => t.lock('f', b, 50, 1, R | W)).toThrow(SFTPByteRangeLockConflict);
    t.lock('f', b, 100, 10, R | W);
    t.lock('f', a, 10, 10, R | W);
    t.lock('g', b, 0, 0, R | W);
    expect(t.count('f')).toBe(3);
  });

  it('lets shared locks (no BLOCK_READ) overlap, but not under an exclusive one', () => {
    const t = new ByteRangeLocks();
    t.lock('f', a, 0, 100, W);
    t.lock('f', b, 50, 100, W | D);
    expect(() => t.lock('f', {}, 60, 1, R)).toThrow(SFTPByteRangeLockConflict);
  });

  it('treats length 0 as reaching the end of the file', () => {
    const t = new ByteRangeLocks();
    t.lock('f', a, 1000, 0, R | W);
    expect(() => t.lock('f', b, 2 ** 40, 1, W)).toThrow(SFTPByteRangeLockConflict);
    t.lock('f', b, 0, 1000, R | W);
  });

  it('unlocks exactly what was locked, by its owner only', () => {
    const t = new ByteRangeLocks();
    t.lock('f', a, 0, 100, R | W);
    expect(() => t.unlock('f', a, 0, 99)).toThrow(SFTPNoMatchingByteRangeLock);
    expect(() => t.unlock('f', b, 0, 100)).toThrow(SFTPNoMatchingByteRangeLock);
    t.unlock('f', a, 0, 100);
    expect(t.count('f')).toBe(0);
    expect(() => t.unlock('f', a, 0, 100)).toThrow(SFTPNoMatchingByteRangeLock);
  });

  it('denies other owners the reads and writes a mandatory lock blocks; advisory locks deny nothing', () => {
    const t = new ByteRangeLocks();
    t.lock('f', a, 100, 100, W);
    expect(() => t.checkIo('f', b, 150, 10, 'write')).toThrow(SFTPByteRangeLockConflict);
    t.checkIo('f', b, 150, 10, 'read');
    t.checkIo('f', a, 150, 10, 'write');
    t.checkIo('f', b, 0, 100, 'write');
    t.lock('g', a, 0, 0, R | W | ADV);
    t.checkIo('g', b, 0, 10, 'read');
    t.checkIo('g', b, 0, 10, 'write');
  });

  it('refuses an owner more than 1024 locks at once, however they were asked for', () => {
    const t = new ByteRangeLocks();
    for (let i = 0; i < 1024; i++) t.lock('f', a, i % 2 === 0 ? i : 0, 1, W);
    expect(() => t.lock('f', a, 5000, 1, W)).toThrow(SFTPByteRangeLockRefused);
    expect(() => t.lock('g', a, 0, 1, W)).not.toThrow();
    expect(() => t.lock('f', b, 5000, 1, W)).not.toThrow();
    t.unlock('f', a, 0, 1);
    t.lock('f', a, 5000, 1, W);
    expect(t.count('f')).toBe(1025);
  });

  it('refuses more than 4096 locks on one file whatever their owners, so that no scan of them grows long', () => {
    // 256 handles of one session could each hold 1024: the scan of each later lock and I/O went
    // over all of them, and taking them all blocked the process for minutes.
    const t = new ByteRangeLocks();
    const owners = Array.from({ length: 5 }, () => ({}));
    let refused = 0;
    for (const [n, o] of owners.entries()) {
      for (let i = 0; i < 1000; i++) {
        try {
          t.lock('f', o, (n * 1000 + i) * 2, 1, W);
        } catch (e) {
          expect(e).toBeInstanceOf(SFTPByteRangeLockRefused);
          refused++;
        }
      }
    }
    expect(refused).toBe(5000 - 4096);
    expect(t.count('f')).toBe(4096);
    expect(() => t.lock('g', a, 0, 1, W)).not.toThrow();
    t.release('f', owners[0] as object);
    expect(() => t.lock('f', a, 0, 1, W)).not.toThrow();
  });

  it('releases an owner’s locks all at once', () => {
    const t = new ByteRangeLocks();
    t.lock('f', a, 0, 10, R | W);
    t.lock('f', a, 20, 10, R | W);
    t.lock('f', b, 40, 10, R | W);
    t.release('f', a);
    expect(t.count('f')).toBe(1);
    t.lock('f', b, 0, 10, R | W);
  });
});

describe('BLOCK/UNBLOCK between our client and server', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function session(dir: string, locks: ByteRangeLocks, version: number): Promise<SFTPClient> {
    const [clientEnd, serverEnd] = createMemoryPipe();
    const served = runSftpServer(serverEnd, new LocalSFTPServer({ chroot: dir, locks }));
    const client = await startSftpClient(clientEnd, { version });
    cleanups.push(async () => {
      client.exit();
      await served;
      await client.waitClosed();
    });
    return client;
  }

  function tempDir(): string {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'sftp-locks-')));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'f.bin'), new Uint8Array(4096).fill(1));
    return dir;
  }

  it('holds a lock against a second session until unlocked or closed', async () => {
    const dir = tempDir();
    const locks = new ByteRangeLocks();
    const one = await session(dir, locks, 6);
    const two = await session(dir, locks, 6);
    const f1 = await one.open('f.bin', 'r+b');
    const f2 = await two.open('f.bin', 'r+b');

    await f1.lock(0, 1024, R | W);
    await expect(f2.lock(512, 10, W)).rejects.toBeInstanceOf(SFTPByteRangeLockConflict);
    // Mandatory: the other session can neither read nor write under it; the holder can.
    await expect(f2.read(10, 100)).rejects.toBeInstanceOf(SFTPByteRangeLockConflict);
    await expect(f2.write(new Uint8Array(10), 1000)).rejects.toBeInstanceOf(SFTPByteRangeLockConflict);
    expect(await f2.read(10, 2000)).toEqual(new Uint8Array(10).fill(1));
    await f1.write(new Uint8Array(4).fill(9), 0);
    await f2.lock(2048, 0, R | W);

    await expect(f1.unlock(0, 1000)).rejects.toBeInstanceOf(SFTPNoMatchingByteRangeLock);
    await f1.unlock(0, 1024);
    expect(await f2.read(4, 0)).toEqual(new Uint8Array(4).fill(9));
    await f2.lock(0, 1024, W);

    // Closing a handle drops its locks.
    await f2.close();
    await f1.lock(0, 0, R | W);
    expect(locks.count(join(dir, 'f.bin'))).toBe(1);
    await f1.close();
    expect(locks.count(join(dir, 'f.bin'))).toBe(0);
  });

  it('is refused before v6 without asking the server', async () => {
    const dir = tempDir();
    const client = await session(dir, new ByteRangeLocks(), 5);
    const f = await client.open('f.bin', 'rb');
    await expect(f.lock(0, 10, R)).rejects.toBeInstanceOf(SFTPOpUnsupported);
    await expect(f.unlock(0, 10)).rejects.toBeInstanceOf(SFTPOpUnsupported);
    await f.close();
  });
});
