/**
 * The server session copies large WRITEs into pooled buffers and reuses one once the request is
 * done, but only for a server whose write() borrows the data (SFTPServer.borrowsWriteData):
 * LocalSFTPServer's own write() does; a subclass that overrides write() may keep the data, and
 * what it kept must stay intact while later requests arrive.
 */
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferPool } from '@ssh/wire';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ServerFile, createMemoryPipe, runSftpServer } from '../src/index.ts';
import { LocalSFTPServer, startSftpClient } from '../src/node/index.ts';
import { transientEnd } from './helpers/pair.ts';
import { pattern } from './helpers/pattern.ts';

class KeepingServer extends LocalSFTPServer {
  readonly kept: Array<{ offset: number; data: Uint8Array; copy: Uint8Array }> = [];
  override async write(f: ServerFile, offset: number, data: Uint8Array): Promise<void> {
    this.kept.push({ offset, data, copy: data.slice() });
    await super.write(f, offset, data);
  }
}

const temps: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

/** Uploads `data` through the server over transient 7 KiB pieces, chrooted to a new directory. */
async function upload<S extends LocalSFTPServer>(make: (dir: string) => S, data: Uint8Array): Promise<{ dir: string; server: S }> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'sftp-wbuf-')));
  temps.push(dir);
  const server = make(dir);
  const [clientPipe, serverPipe] = createMemoryPipe();
  const served = runSftpServer(transientEnd(serverPipe, 7 * 1024), server);
  const client = await startSftpClient(transientEnd(clientPipe, 7 * 1024));
  const f = await client.open('up', 'wb', { blockSize: 32 * 1024, maxRequests: 4 });
  await f.write(data);
  await f.close();
  client.exit();
  await served;
  await client.waitClosed();
  return { dir, server };
}

describe('WRITE buffers of the server session', () => {
  it('are reused for a server whose write() borrows the data', async () => {
    const given = vi.spyOn(BufferPool.prototype, 'give');
    const data = pattern(1024 * 1024);
    const { dir, server } = await upload((root) => new LocalSFTPServer({ chroot: root }), data);
    expect(server.borrowsWriteData).toBe(true);
    expect(Buffer.from(readFileSync(join(dir, 'up'))).equals(Buffer.from(data))).toBe(true);
    // Each 32 KiB WRITE came back to the pool once the file had it.
    expect(given.mock.calls.filter(([view]) => view.length === 32 * 1024).length).toBe(32);
  });

  it('are left alone for a server that overrides write() and keeps the data', async () => {
    const data = pattern(1024 * 1024);
    const { dir, server } = await upload((root) => new KeepingServer({ chroot: root }), data);
    expect(server.borrowsWriteData).toBe(false);
    expect(Buffer.from(readFileSync(join(dir, 'up'))).equals(Buffer.from(data))).toBe(true);
    expect(server.kept.length).toBe(32);
    for (const k of server.kept) expect(Buffer.from(k.data).equals(Buffer.from(k.copy))).toBe(true);
  });
});
