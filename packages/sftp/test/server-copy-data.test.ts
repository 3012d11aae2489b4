/** copy-data (OpenSSH PROTOCOL §4.10) against a hostile client: huge sparse sources, sessions that end mid-copy. */
import { describe, expect, it } from 'vitest';
import { type SFTPAttrs, SFTPServer, type ServerFile, type SftpByteStream, createMemoryPipe, runSftpServer } from '../src/index.ts';
import { startSftpClient } from '../src/node/index.ts';
import { transientEnd } from './helpers/pair.ts';

/** A turn of the event loop, as a file system's I/O takes. */
const io = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Files of a terabyte of zeros (a SETSTAT of a sparse file to that size), whose writes are counted
 * and dropped; `small` is a file of a few bytes.
 */
class HugeFiles extends SFTPServer {
  written = 0;
  exited = false;
  /** `atOnce`: reads and writes answer without waiting for the event loop, as an in-memory file system may. */
  private readonly atOnce: boolean;
  constructor(atOnce = false) {
    super();
    this.atOnce = atOnce;
  }
  override open(path: string): ServerFile {
    return { path };
  }
  override async fstat(f: ServerFile): Promise<SFTPAttrs> {
    await io();
    const path = (f as { path: string }).path;
    return { size: path === 'small' ? 5 : path === 'mid' ? 16 << 20 : 2 ** 40 };
  }
  override stat(path: string): SFTPAttrs {
    return { size: path.length };
  }
  override async read(f: ServerFile, offset: number, size: number): Promise<Uint8Array> {
    if (!this.atOnce) await io();
    if ((f as { path: string }).path === 'small') return new TextEncoder().encode('small').subarray(offset, offset + size);
    return new Uint8Array(size);
  }
  override async write(_f: ServerFile, _offset: number, data: Uint8Array): Promise<void> {
    if (!this.atOnce) await io();
    this.written += data.length;
  }
  override exit(): void {
    this.exited = true;
  }
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** A session with HugeFiles serving: `source` open for reading and `copy` for writing. */
async function copySession(source: string, serverEnd?: (end: SftpByteStream) => SftpByteStream, server = new HugeFiles()) {
  const [clientEnd, serverPipe] = createMemoryPipe();
  const served = runSftpServer(serverEnd ? serverEnd(serverPipe) : serverPipe, server);
  const client = await startSftpClient(clientEnd, { version: 3 });
  const src = await client.open(source, 'rb');
  const dst = await client.open('copy', 'r+b');
  return { server, clientEnd, served, client, src, dst };
}

/** Ends the session from the client's side and checks that the copy wrote nothing after it. */
async function endAndCheckStopped(session: { server: HugeFiles; clientEnd: SftpByteStream; served: Promise<void> }): Promise<void> {
  session.clientEnd.close();
  await session.served;
  const after = session.server.written;
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(session.server.written).toBe(after);
  expect(after).toBeLessThan(2 ** 40);
}

describe('copy-data of a huge source', () => {
  it('stops writing when the session ends mid-copy', async () => {
    const session = await copySession('huge');
    const { server, client, src, dst } = session;
    const copying = client.remoteCopy(src, dst, 0, 0, 0).catch(() => undefined);
    await until(() => server.written > 1 << 20);
    await endAndCheckStopped(session);
    expect(server.exited).toBe(true);
    client.exit();
    await copying;
  }, 20_000);

  it('stops writing when the session ends behind requests that wait for the copy', async () => {
    const session = await copySession('huge');
    const { server, client, src, dst } = session;
    const copying = client.remoteCopy(src, dst, 0, 0, 0).catch(() => undefined);
    // A CLOSE of the destination and a WRITE to it wait for the copy to finish; the end of the
    // session behind them still stops it.
    const closing = dst.close().catch(() => undefined);
    const writing = dst.write(new Uint8Array(8), 0).catch(() => undefined);
    await until(() => server.written > 1 << 20);
    await endAndCheckStopped(session);
    client.exit();
    await Promise.all([copying, closing, writing]);
  }, 20_000);

  it('still answers READs and WRITEs on other handles while it runs', async () => {
    const { server, clientEnd, served, client, src, dst } = await copySession('huge');
    const small = await client.open('small', 'r+b');
    const copying = client.remoteCopy(src, dst, 0, 0, 0).catch((e: unknown) => e);
    await until(() => server.written > 1 << 20);
    expect(await small.read(5, 0)).toEqual(new TextEncoder().encode('small'));
    await small.write(new Uint8Array(3), 0);
    // The copy is still going: the session ends it.
    expect(server.written).toBeLessThan(2 ** 40);
    clientEnd.close();
    await served;
    await copying;
    client.exit();
  }, 20_000);

  it('lets the event loop run between chunks when the hooks answer at once', async () => {
    // Without a turn of the event loop now and then, the copy of a terabyte runs on microtasks:
    // no timer, no other session and not the end of this one is seen until it is done.
    const session = await copySession('huge', undefined, new HugeFiles(true));
    const { server, client, src, dst } = session;
    const small = await client.open('small', 'r+b');
    const copying = client.remoteCopy(src, dst, 0, 0, 0).catch((e: unknown) => e);
    await until(() => server.written > 1 << 20);
    expect(await small.read(5, 0)).toEqual(new TextEncoder().encode('small'));
    await endAndCheckStopped(session);
    client.exit();
    await copying;
  }, 20_000);

  it('answers the requests read while it ran, in order, once it is done (over a transient stream)', async () => {
    const { server, served, client, src, dst } = await copySession('mid', (end) => transientEnd(end, 7));
    const copying = client.remoteCopy(src, dst, 0, 0, 0);
    const stats = ['a', 'bb', 'ccc', 'dddd'].map((p) => client.stat(p));
    const closing = dst.close();
    await copying;
    expect(server.written).toBe(16 << 20);
    expect((await Promise.all(stats)).map((a) => a.size)).toEqual([1, 2, 3, 4]);
    await closing;
    client.exit();
    await served;
  }, 20_000);
});
