/**
 * Downloads pipeline their READs up to the size the server stated, then probe one request at a
 * time past it: a small file costs two READs (not one per request slot), and a file that is
 * longer or shorter than its stated size still arrives whole and exact.
 */
import { existsSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type SFTPAttrs, type ServerFile, SFTPPermissionDenied } from '../src/index.ts';
import { LocalSFTPServer } from '../src/node/index.ts';
import { pattern } from './helpers/pattern.ts';
import { type MemorySession, memorySessions } from './helpers/memory-session.ts';

/** A file system server that counts READs and can state wrong sizes (`sizeLie` bytes off). */
class CountingServer extends LocalSFTPServer {
  reads: Array<{ offset: number; size: number }> = [];
  sizeLie = 0;
  /** Opening a path ending in this fails with permission denied. */
  refuse = '\0';
  /** Bytes of junk added to every non-empty READ reply (more than was asked for). */
  overlong = 0;

  /** Most files with a READ being served at the same time. */
  maxFilesReading = 0;
  private readonly reading = new Map<ServerFile, number>();

  override async read(f: ServerFile, offset: number, size: number): Promise<Uint8Array> {
    this.reads.push({ offset, size });
    this.reading.set(f, (this.reading.get(f) ?? 0) + 1);
    this.maxFilesReading = Math.max(this.maxFilesReading, this.reading.size);
    let data: Uint8Array;
    try {
      data = await super.read(f, offset, size);
    } finally {
      const n = (this.reading.get(f) ?? 1) - 1;
      if (n === 0) this.reading.delete(f);
      else this.reading.set(f, n);
    }
    if (this.overlong === 0 || data.length === 0) return data;
    const out = new Uint8Array(data.length + this.overlong).fill(0xee);
    out.set(data);
    return out;
  }

  override open(p: string, pflags: number, attrs: SFTPAttrs): Promise<ServerFile> {
    if (p.endsWith(this.refuse)) return Promise.reject(new SFTPPermissionDenied('refused by the test'));
    return super.open(p, pflags, attrs);
  }

  private lie(a: SFTPAttrs): SFTPAttrs {
    return a.size !== undefined && this.sizeLie !== 0 ? { ...a, size: Math.max(0, a.size + this.sizeLie) } : a;
  }

  override async stat(p: string): Promise<SFTPAttrs> {
    return this.lie(await super.stat(p));
  }

  override async lstat(p: string): Promise<SFTPAttrs> {
    return this.lie(await super.lstat(p));
  }

  override async fstat(f: ServerFile): Promise<SFTPAttrs> {
    return this.lie(await super.fstat(f));
  }
}

const open = memorySessions('sftp-reads');
const setup = (): Promise<MemorySession<CountingServer>> => open((root) => new CountingServer({ chroot: root }));

const same = (file: string, data: Uint8Array): boolean => Buffer.from(readFileSync(file)).equals(Buffer.from(data));

describe('download READs', () => {
  it('reads a small file with one READ and one probe, an empty one with a probe alone', async () => {
    const { client, server, dir, local } = await setup();
    const data = pattern(3000, 1);
    writeFileSync(join(dir, 'small.bin'), data);
    writeFileSync(join(dir, 'empty.bin'), new Uint8Array(0));
    await client.get('/small.bin', join(local, 'small.bin'));
    expect(same(join(local, 'small.bin'), data)).toBe(true);
    expect(server.reads.map((r) => r.offset)).toEqual([0, 3000]);
    expect(server.reads[0]?.size).toBe(3000);
    server.reads = [];
    await client.get('/empty.bin', join(local, 'empty.bin'));
    expect(readFileSync(join(local, 'empty.bin')).length).toBe(0);
    expect(server.reads.map((r) => r.offset)).toEqual([0]);
  });

  it('pipelines a large file up to its size and asks once past it', async () => {
    const { client, server, dir, local } = await setup();
    const block = 8192;
    const data = pattern(10 * block + 100, 2);
    writeFileSync(join(dir, 'big.bin'), data);
    await client.get('/big.bin', join(local, 'big.bin'), { blockSize: block, maxRequests: 4 });
    expect(same(join(local, 'big.bin'), data)).toBe(true);
    const past = server.reads.filter((r) => r.offset >= data.length);
    expect(past).toEqual([{ offset: data.length, size: block }]);
    // Every byte below the size was asked for once.
    const below = server.reads.filter((r) => r.offset < data.length).sort((a, b) => a.offset - b.offset);
    expect(below.reduce((n, r) => n + r.size, 0)).toBe(data.length);
  });

  it('still gets every byte of a file longer than the server said', async () => {
    const { client, server, dir, local } = await setup();
    const block = 4096;
    const data = pattern(20 * block + 7, 3);
    writeFileSync(join(dir, 'grown.bin'), data);
    server.sizeLie = -(15 * block); // says 5 blocks + 7 bytes
    await client.get('/grown.bin', join(local, 'grown.bin'), { blockSize: block, maxRequests: 8 });
    expect(same(join(local, 'grown.bin'), data)).toBe(true);
    // Past the stated size a probe found data, then the rest went pipelined to the real end.
    expect(server.reads.some((r) => r.offset >= data.length)).toBe(true);
    expect(server.reads.length).toBeLessThan(40);
  });

  it('stops at the real end of a file shorter than the server said', async () => {
    const { client, server, dir, local } = await setup();
    const data = pattern(5000, 4);
    writeFileSync(join(dir, 'short.bin'), data);
    server.sizeLie = 1_000_000;
    await client.get('/short.bin', join(local, 'short.bin'), { blockSize: 32768, maxRequests: 16 });
    expect(same(join(local, 'short.bin'), data)).toBe(true);
    expect(server.reads.length).toBeLessThanOrEqual(32);
  });

  it('copies a tree of small files with two READs per file', async () => {
    const { client, server, dir, local } = await setup();
    mkdirSync(join(dir, 'tree'));
    const files = new Map<string, Uint8Array>();
    for (let i = 0; i < 20; i++) {
      const data = pattern(100 + i * 37, i + 10);
      files.set(`f${i}`, data);
      writeFileSync(join(dir, 'tree', `f${i}`), data);
    }
    await client.get('/tree', join(local, 'tree'), { recurse: true });
    for (const [name, data] of files) expect(same(join(local, 'tree', name), data)).toBe(true);
    expect(server.reads.length).toBe(2 * files.size);
  });

  it('takes no more than it asked for from a server that answers with more', async () => {
    const { client, server, dir, local } = await setup();
    const block = 4096;
    const data = pattern(6 * block + 300, 5);
    writeFileSync(join(dir, 'f.bin'), data);
    server.overlong = 1000;
    await client.get('/f.bin', join(local, 'f.bin'), { blockSize: block, maxRequests: 3 });
    expect(same(join(local, 'f.bin'), data)).toBe(true);
    const f = await client.open('/f.bin', 'rb', { blockSize: block });
    expect(Buffer.from(await f.read()).equals(Buffer.from(data))).toBe(true);
    await f.close();
  });

  it('downloads the files of a tree side by side, nested directories, links and times included', async () => {
    const { client, server, dir, local } = await setup();
    const files = new Map<string, Uint8Array>();
    for (let d = 0; d < 3; d++) {
      mkdirSync(join(dir, 't', `d${d}`, 'sub'), { recursive: true });
      for (let i = 0; i < 30; i++) {
        const rel = join(`d${d}`, i % 3 === 0 ? 'sub' : '', `f${i}`);
        const data = pattern(50 + ((i * 997) % 20_000), d * 100 + i);
        files.set(rel, data);
        writeFileSync(join(dir, 't', rel), data);
      }
    }
    const big = pattern(300_000, 99);
    files.set('big.bin', big);
    writeFileSync(join(dir, 't', 'big.bin'), big);
    symlinkSync('d0/f1', join(dir, 't', 'link'));
    utimesSync(join(dir, 't', 'd1', 'f1'), 1_000_000, 1_000_000);
    await client.get('/t', join(local, 't'), { recurse: true, preserve: true, blockSize: 65536 });
    for (const [rel, data] of files) expect(same(join(local, 't', rel), data)).toBe(true);
    expect(readlinkSync(join(local, 't', 'link'))).toBe('d0/f1');
    expect(statSync(join(local, 't', 'd1', 'f1')).mtimeMs).toBe(1_000_000_000);
    expect(server.maxFilesReading).toBeGreaterThan(1);
  });

  it('sends a failing file of a tree to the error handler, or stops the tree with it', async () => {
    const { client, server, dir, local } = await setup();
    mkdirSync(join(dir, 't'));
    for (let i = 0; i < 40; i++) writeFileSync(join(dir, 't', `f${i}`), pattern(100, i));
    writeFileSync(join(dir, 't', 'secret'), 'x');
    server.refuse = '/secret';
    const errors: unknown[] = [];
    await client.get('/t', join(local, 'a'), { recurse: true, errorHandler: (e) => errors.push(e) });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(SFTPPermissionDenied);
    for (let i = 0; i < 40; i++) expect(existsSync(join(local, 'a', `f${i}`))).toBe(true);
    await expect(client.get('/t', join(local, 'b'), { recurse: true })).rejects.toBeInstanceOf(SFTPPermissionDenied);
  });
});
