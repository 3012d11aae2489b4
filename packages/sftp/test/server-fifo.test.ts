/**
 * FIFOs in the served tree. open(2) of a FIFO waits for its other end, and a read of one for
 * data: OpenSSH's sftp-server (a process per session) then holds only that session. Ours serve
 * every session from one process whose file system calls share a few threads, so each such wait
 * held one of them: four sessions opening a FIFO froze every session's file I/O. Opened
 * non-blocking, a FIFO never waits: the open for reading succeeds (its positional reads then fail,
 * ESPIPE, as they always did) and an open for writing without a reader fails.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SFTPClient, SFTPError, createMemoryPipe, runSftpServer, scpReceive } from '../src/index.ts';
import { LocalSFTPServer, chrootLocalFs, startSftpClient } from '../src/node/index.ts';

let root: string;
const clients: SFTPClient[] = [];
beforeEach(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'sftp-fifo-')));
  writeFileSync(join(root, 'f'), 'content');
  execFileSync('mkfifo', [join(root, 'p')]);
});
afterEach(() => {
  for (const c of clients.splice(0)) c.exit();
  rmSync(root, { recursive: true, force: true });
});

async function session(): Promise<SFTPClient> {
  const [a, b] = createMemoryPipe();
  void runSftpServer(b, new LocalSFTPServer({ chroot: root }));
  const client = await startSftpClient(a, { version: 3 });
  clients.push(client);
  return client;
}

/** `p`, or 'timed out' after `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T | 'timed out'> {
  return Promise.race([p, new Promise<'timed out'>((resolve) => setTimeout(() => resolve('timed out'), ms))]);
}

describe('a FIFO in the served tree', () => {
  it('does not hold the file system threads other sessions need', async () => {
    // More sessions than libuv has threads (4 unless UV_THREADPOOL_SIZE says otherwise).
    const hostile = await Promise.all(Array.from({ length: 6 }, () => session()));
    const reads = hostile.map(async (c) => {
      const file = await c.open('p', 'rb');
      try {
        return await file.read(10, 0).then(
          () => 'read',
          (e: unknown) => (e instanceof SFTPError ? 'refused' : 'other error'),
        );
      } finally {
        await file.close();
      }
    });
    const victim = await session();
    expect(await within(victim.stat('f').then((a) => a.size), 3000)).toBe(7);
    // A FIFO takes no positional read: each fails at once with a status, none waits for a writer.
    expect(await within(Promise.all(reads), 3000)).toEqual(Array.from({ length: 6 }, () => 'refused'));
  }, 20_000);

  it('refuses an open for writing while nobody reads it, instead of waiting', async () => {
    const client = await session();
    const opened = await within(client.open('p', 'wb').then(
      () => 'opened',
      (e: unknown) => e,
    ), 3000);
    expect(opened).toBeInstanceOf(SFTPError);
  }, 20_000);

  it('is not waited on by the SCP server writing into its root (scp -t onto a FIFO)', async () => {
    const [a, b] = createMemoryPipe();
    const sink = scpReceive(b, chrootLocalFs(root), '/p').then(
      () => 'done',
      (e: unknown) => (e instanceof Error ? e.message : String(e)),
    );
    const enc = new TextEncoder();
    void a.write(enc.encode('C0644 5 p\n'));
    void a.write(enc.encode('hello\0'));
    a.close();
    const r = await within(sink, 3000);
    expect(r).not.toBe('timed out');
    expect(r).not.toBe('done');
  }, 20_000);
});
