/**
 * Uploads keep at most `maxRequests` WRITEs in flight (fewer while round trips say more would
 * only wait in the server), wait for all of them at the end, and report the first WRITE that
 * fails.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type LocalFile, type LocalFs, type ServerFile, SFTPFailure } from '../src/index.ts';
import { LocalSFTPServer, nodeLocalFs } from '../src/node/index.ts';
import { type MemorySession, memorySessions } from './helpers/memory-session.ts';

/** Counts WRITEs being served at once (each held for a few turns), and fails one offset. */
class SlowWriteServer extends LocalSFTPServer {
  active = 0;
  maxActive = 0;
  writes = 0;
  failAt = -1;
  /** Event loop turns each WRITE is held. */
  hold = 3;
  /** Milliseconds each WRITE is held on top (a link with a long round trip). */
  delayMs = 0;
  /** What happened, in order: `write <offset>` when a WRITE is answered. */
  readonly log: string[] = [];

  override async write(f: ServerFile, offset: number, data: Uint8Array): Promise<void> {
    this.writes++;
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      for (let i = 0; i < this.hold; i++) await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.delayMs > 0) await new Promise<void>((resolve) => setTimeout(resolve, this.delayMs));
      if (offset === this.failAt) throw new SFTPFailure('disk on fire');
      await super.write(f, offset, data);
    } finally {
      this.active--;
      this.log.push(`write ${offset}`);
    }
  }
}

const open = memorySessions('sftp-up');
const setup = (localFs?: LocalFs): Promise<MemorySession<SlowWriteServer>> => open((root) => new SlowWriteServer({ chroot: root }), localFs ? { localFs } : {});

function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + (i >>> 9)) & 0xff;
  return out;
}

describe('upload pipeline', () => {
  it('keeps maxRequests WRITEs in flight, no more, and finishes every one', async () => {
    const { client, server, dir, local } = await setup();
    const data = pattern(40 * 1024 + 5);
    writeFileSync(join(local, 'up.bin'), data);
    const seen: number[] = [];
    // Held long enough that, unbounded, every block would be in flight at once.
    server.hold = 40;
    await client.put(join(local, 'up.bin'), '/up.bin', { blockSize: 1024, maxRequests: 6, progressHandler: (_s, _d, n) => seen.push(n) });
    expect(Buffer.from(readFileSync(join(dir, 'up.bin'))).equals(Buffer.from(data))).toBe(true);
    expect(server.writes).toBe(41);
    expect(server.maxActive).toBeLessThanOrEqual(6);
    expect(server.maxActive).toBeGreaterThan(1);
    expect(seen.at(-1)).toBe(data.length);
  });

  it('widens the window on a slow link, up to maxRequests', async () => {
    const { client, server, dir, local } = await setup();
    const data = pattern(6 * 1024 * 1024);
    writeFileSync(join(local, 'up.bin'), data);
    // Every WRITE takes 15 ms however many are in flight: the link, not the server, is slow.
    server.hold = 0;
    server.delayMs = 15;
    await client.put(join(local, 'up.bin'), '/up.bin', { blockSize: 64 * 1024, maxRequests: 32 });
    expect(Buffer.from(readFileSync(join(dir, 'up.bin'))).equals(Buffer.from(data))).toBe(true);
    // The window starts at 512 KiB (8 blocks) and doubles while round trips stay flat.
    expect(server.maxActive).toBeGreaterThan(8);
    expect(server.maxActive).toBeLessThanOrEqual(32);
  });

  it('widens the window of a large SFTPClientFile.write the same way', async () => {
    const { client, server, dir } = await setup();
    const data = pattern(6 * 1024 * 1024);
    server.hold = 0;
    server.delayMs = 15;
    const f = await client.open('/w.bin', 'wb', { blockSize: 64 * 1024, maxRequests: 32 });
    expect(await f.write(data)).toBe(data.length);
    await f.close();
    expect(Buffer.from(readFileSync(join(dir, 'w.bin'))).equals(Buffer.from(data))).toBe(true);
    expect(server.maxActive).toBeGreaterThan(8);
    expect(server.maxActive).toBeLessThanOrEqual(32);
  });

  it('reads the next block while the window is full', async () => {
    const fs: LocalFs = {
      ...nodeLocalFs,
      async open(path, mode) {
        const file = await nodeLocalFs.open(path, mode);
        const readInto = file.readInto?.bind(file);
        if (readInto) file.readInto = (buffer, pos) => (server.log.push(`read ${pos}`), readInto(buffer, pos));
        return file;
      },
    };
    const { client, server, local } = await setup(fs);
    writeFileSync(join(local, 'up.bin'), pattern(4 * 1024));
    server.hold = 10;
    await client.put(join(local, 'up.bin'), '/up.bin', { blockSize: 1024, maxRequests: 1 });
    // One WRITE at a time, and each block read before the WRITE ahead of it was answered.
    expect(server.maxActive).toBe(1);
    expect(server.log).toEqual(['read 0', 'read 1024', 'write 0', 'read 2048', 'write 1024', 'read 3072', 'write 2048', 'read 4096', 'write 3072']);
  });

  it('reads runs of blocks with one readv each when the local file can, in order', async () => {
    const calls: { pos: number; sizes: number[] }[] = [];
    let failFrom = Infinity;
    const fs: LocalFs = {
      ...nodeLocalFs,
      async open(path, mode) {
        const file = await nodeLocalFs.open(path, mode);
        const readvInto = file.readvInto?.bind(file);
        if (readvInto) {
          file.readvInto = (buffers, pos) => {
            calls.push({ pos, sizes: buffers.map((b) => b.length) });
            return pos >= failFrom ? Promise.reject(new Error('local disk gone')) : readvInto(buffers, pos);
          };
        }
        return file;
      },
    };
    const { client, server, dir, local } = await setup(fs);
    const data = pattern(20 * 1024 + 100);
    writeFileSync(join(local, 'up.bin'), data);
    await client.put(join(local, 'up.bin'), '/up.bin', { blockSize: 1024, maxRequests: 8 });
    expect(Buffer.from(readFileSync(join(dir, 'up.bin'))).equals(Buffer.from(data))).toBe(true);
    // Eight blocks a call (maxRequests bounds the run), the last run cut to what the size says.
    expect(calls).toEqual([
      { pos: 0, sizes: Array(8).fill(1024) },
      { pos: 8192, sizes: Array(8).fill(1024) },
      { pos: 16384, sizes: [1024, 1024, 1024, 1024, 100] },
    ]);
    expect(server.writes).toBe(21);
    // A failing readv fails the upload.
    calls.length = 0;
    failFrom = 8192;
    await expect(client.put(join(local, 'up.bin'), '/up2.bin', { blockSize: 1024, maxRequests: 8 })).rejects.toThrow('local disk gone');
    expect(calls.map((c) => c.pos)).toEqual([0, 8192]);
  });

  it('uploads a file that shrank after its size was read: what is there, nothing more', async () => {
    const fs: LocalFs = {
      ...nodeLocalFs,
      async stat(path) {
        const attrs = await nodeLocalFs.stat(path);
        return { ...attrs, size: (attrs.size ?? 0) + 5000 };
      },
      async lstat(path) {
        const attrs = await nodeLocalFs.lstat(path);
        return { ...attrs, size: (attrs.size ?? 0) + 5000 };
      },
    };
    const { client, dir, local } = await setup(fs);
    const data = pattern(10 * 1024 + 7);
    writeFileSync(join(local, 'up.bin'), data);
    await client.put(join(local, 'up.bin'), '/up.bin', { blockSize: 1024, maxRequests: 8 });
    expect(Buffer.from(readFileSync(join(dir, 'up.bin'))).equals(Buffer.from(data))).toBe(true);
  });

  it('fails with the first WRITE that failed, after the others settled', async () => {
    const { client, server, local } = await setup();
    writeFileSync(join(local, 'up.bin'), pattern(64 * 1024));
    server.failAt = 10 * 1024;
    await expect(client.put(join(local, 'up.bin'), '/up.bin', { blockSize: 1024, maxRequests: 8 })).rejects.toThrow('disk on fire');
    expect(server.active).toBe(0);
    // No WRITE was sent long after the failure was known.
    expect(server.writes).toBeLessThan(10 + 8 + 8);
  });

  it('reports a progress handler that throws as the failure', async () => {
    const { client, local } = await setup();
    writeFileSync(join(local, 'up.bin'), pattern(8 * 1024));
    const boom = (): void => {
      throw new Error('progress broke');
    };
    await expect(client.put(join(local, 'up.bin'), '/up.bin', { blockSize: 1024, maxRequests: 4, progressHandler: boom })).rejects.toThrow('progress broke');
  });

  it('reads the local file one block at a time, in order, and fails with a failing local read', async () => {
    const reads: number[] = [];
    let reading = 0;
    let overlapped = false;
    let failFrom = Infinity;
    const fs: LocalFs = {
      ...nodeLocalFs,
      async open(path, mode) {
        const file = await nodeLocalFs.open(path, mode);
        const readInto = file.readInto?.bind(file);
        const wrapped: LocalFile = {
          read: (pos, len) => file.read(pos, len),
          write: (data, pos) => file.write(data, pos),
          close: () => file.close(),
        };
        if (readInto) {
          wrapped.readInto = async (buffer, pos) => {
            if (reading > 0) overlapped = true;
            reading++;
            reads.push(pos);
            try {
              if (pos >= failFrom) throw new Error('local disk gone');
              return await readInto(buffer, pos);
            } finally {
              reading--;
            }
          };
        }
        return wrapped;
      },
    };
    const { client, server, dir, local } = await setup(fs);
    const data = pattern(20 * 1024);
    writeFileSync(join(local, 'up.bin'), data);
    server.hold = 10;
    await client.put(join(local, 'up.bin'), '/up.bin', { blockSize: 1024, maxRequests: 1 });
    expect(Buffer.from(readFileSync(join(dir, 'up.bin'))).equals(Buffer.from(data))).toBe(true);
    expect(overlapped).toBe(false);
    // Blocks read in order, the last read finding the end.
    expect(reads).toEqual([...Array.from({ length: 20 }, (_, i) => i * 1024), 20 * 1024]);
    expect(server.maxActive).toBe(1);
    // A local read that fails fails the upload, once the WRITEs before it are in.
    reads.length = 0;
    failFrom = 5 * 1024;
    await expect(client.put(join(local, 'up.bin'), '/up2.bin', { blockSize: 1024, maxRequests: 2 })).rejects.toThrow('local disk gone');
    expect(reads.at(-1)).toBe(5 * 1024);
  });
});
