/**
 * copy-data (OpenSSH PROTOCOL §4.10) against a hostile client: huge sparse sources, connections
 * that go away mid-copy, clients that half-close behind one.
 */
import { describe, expect, it } from 'vitest';
import { FX, FXF, FXP, PacketFramer, type SFTPAttrs, SFTPServer, type ServerFile, type SftpByteStream, type SftpResponse, createMemoryPipe, decodeResponse, encodeInit, encodeRequest, runSftpServer } from '../src/index.ts';
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

/**
 * `end` with an output that can be closed under it, as when the connection goes: `outputClosed`
 * settles and writes fail. Its input goes on (or not) as the peer's side does.
 */
function breakableEnd(end: SftpByteStream): { stream: SftpByteStream; breakOutput(): void } {
  let gone = false;
  let closed!: () => void;
  const outputClosed = new Promise<void>((resolve) => (closed = resolve));
  return {
    stream: {
      readable: end.readable,
      ...(end.transient === true ? { transient: true } : {}),
      write: (chunk) => (gone ? Promise.reject(new Error('output closed')) : end.write(chunk)),
      close: () => end.close(),
      outputClosed,
    },
    breakOutput() {
      gone = true;
      closed();
    },
  };
}

/** A session with HugeFiles serving: `source` open for reading and `copy` for writing. */
async function copySession(source: string, serverEnd?: (end: SftpByteStream) => SftpByteStream, server = new HugeFiles()) {
  const [clientEnd, serverPipe] = createMemoryPipe();
  const breakable = breakableEnd(serverEnd ? serverEnd(serverPipe) : serverPipe);
  const served = runSftpServer(breakable.stream, server);
  const client = await startSftpClient(clientEnd, { version: 3 });
  const src = await client.open(source, 'rb');
  const dst = await client.open('copy', 'r+b');
  return { server, clientEnd, served, client, src, dst, breakOutput: breakable.breakOutput };
}

/**
 * Closes the server's output (the connection is gone; the client's side of the stream stays open)
 * and checks that the session ended and the copy wrote nothing after it.
 */
async function breakAndCheckStopped(session: { server: HugeFiles; served: Promise<void>; breakOutput(): void }): Promise<void> {
  session.breakOutput();
  await session.served;
  const after = session.server.written;
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(session.server.written).toBe(after);
  expect(after).toBeLessThan(2 ** 40);
}

describe('copy-data of a huge source', () => {
  it('stops writing when the connection goes mid-copy', async () => {
    const session = await copySession('huge');
    const { server, client, src, dst } = session;
    const copying = client.remoteCopy(src, dst, 0, 0, 0).catch(() => undefined);
    await until(() => server.written > 1 << 20);
    await breakAndCheckStopped(session);
    expect(server.exited).toBe(true);
    client.exit();
    await copying;
  }, 20_000);

  it('stops writing when the connection goes behind requests that wait for the copy', async () => {
    const session = await copySession('huge');
    const { server, client, src, dst } = session;
    const copying = client.remoteCopy(src, dst, 0, 0, 0).catch(() => undefined);
    // A CLOSE of the destination and a WRITE to it wait for the copy to finish; the end of the
    // connection's going still stops it.
    const closing = dst.close().catch(() => undefined);
    const writing = dst.write(new Uint8Array(8), 0).catch(() => undefined);
    await until(() => server.written > 1 << 20);
    await breakAndCheckStopped(session);
    client.exit();
    await Promise.all([copying, closing, writing]);
  }, 20_000);

  it('still answers READs and WRITEs on other handles while it runs', async () => {
    const { server, served, client, src, dst, breakOutput } = await copySession('huge');
    const small = await client.open('small', 'r+b');
    const copying = client.remoteCopy(src, dst, 0, 0, 0).catch((e: unknown) => e);
    await until(() => server.written > 1 << 20);
    expect(await small.read(5, 0)).toEqual(new TextEncoder().encode('small'));
    await small.write(new Uint8Array(3), 0);
    // The copy is still going: the connection's end stops it.
    expect(server.written).toBeLessThan(2 ** 40);
    breakOutput();
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
    await breakAndCheckStopped(session);
    client.exit();
    await copying;
  }, 20_000);

  it('stops at the end of the input on a stream that cannot tell a half-close from the connection\'s end', async () => {
    // No outputClosed: the end of the input may be all there is to see of a connection that went.
    const [clientEnd, serverPipe] = createMemoryPipe();
    const server = new HugeFiles();
    const bare: SftpByteStream = { readable: serverPipe.readable, write: (c) => serverPipe.write(c), close: () => serverPipe.close() };
    const served = runSftpServer(bare, server);
    const client = await startSftpClient(clientEnd, { version: 3 });
    const src = await client.open('huge', 'rb');
    const dst = await client.open('copy', 'r+b');
    const small = await client.open('small', 'rb');
    const copying = client.remoteCopy(src, dst, 0, 0, 0).catch((e: unknown) => e);
    await until(() => server.written > 1 << 20);
    // Read before the end: still answered.
    const reading = small.read(5, 0);
    clientEnd.close();
    await served;
    const after = server.written;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.written).toBe(after);
    expect(after).toBeLessThan(2 ** 40);
    expect(await reading).toEqual(new TextEncoder().encode('small'));
    expect(String(await copying)).toMatch(/abandoned/);
    client.exit();
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

/** Raw requests on `end` (INIT first), and the replies read from it until the server closes it. */
function rawSession(end: SftpByteStream): { send(bytes: Uint8Array): void; replies: Promise<SftpResponse[]> } {
  const replies = (async () => {
    const framer = new PacketFramer(1 << 20);
    const out: SftpResponse[] = [];
    let first = true;
    for await (const chunk of end.readable) {
      for (const p of framer.push(chunk)) {
        if (first) first = false;
        else out.push(decodeResponse(p, 3));
      }
    }
    return out;
  })();
  void end.write(encodeInit(FXP.INIT, { version: 3, extensions: [] }));
  return { send: (bytes) => void end.write(bytes), replies };
}

const u64 = (n: number): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
};
const str = (b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(4 + b.length);
  new DataView(out.buffer).setUint32(0, b.length);
  out.set(b, 4);
  return out;
};
const handleOf = (r: SftpResponse | undefined): Uint8Array => {
  if (r?.kind !== 'handle') throw new Error(`expected a handle, got ${r?.kind}`);
  return r.handle;
};

describe('copy-data behind the end of the client\'s input (a half-close)', () => {
  it('finishes the copy and answers it and the requests read before the end, in order', async () => {
    // OpenSSH's sftp-server finishes the request it is on when its input ends; the copy is not
    // abandoned half-way. We also answer what was read before the end, while the output is open.
    const [clientEnd, serverEnd] = createMemoryPipe();
    const server = new HugeFiles();
    const served = runSftpServer(serverEnd, server);
    const raw = rawSession(clientEnd);
    raw.send(encodeRequest({ kind: 'open', id: 1, path: 'mid', flags: FXF.READ, attrs: {} }, 3));
    raw.send(encodeRequest({ kind: 'open', id: 2, path: 'copy', flags: FXF.WRITE, attrs: {} }, 3));
    // The handles are 1 and 2, in order (checked below).
    const h = (n: number): Uint8Array => new Uint8Array([0, 0, 0, n]);
    const copy = new Uint8Array([...str(h(1)), ...u64(0), ...u64(0), ...str(h(2)), ...u64(0)]);
    raw.send(encodeRequest({ kind: 'extended', id: 3, request: 'copy-data', data: copy }, 3));
    raw.send(encodeRequest({ kind: 'stat', id: 4, path: 'abcd' }, 3));
    raw.send(encodeRequest({ kind: 'close', id: 5, handle: h(2) }, 3));
    clientEnd.close();
    await served;
    const replies = await raw.replies;
    expect(handleOf(replies[0])).toEqual(h(1));
    expect(handleOf(replies[1])).toEqual(h(2));
    expect(server.written).toBe(16 << 20);
    expect(replies.slice(2).map((r) => [r.kind, r.id, r.kind === 'status' ? r.status : undefined])).toEqual([
      ['status', 3, FX.OK],
      ['attrs', 4, undefined],
      ['status', 5, FX.OK],
    ]);
    expect(server.exited).toBe(true);
  }, 20_000);

  it('drops the replies harmlessly when the output is closed too, after the copy is done', async () => {
    const [clientEnd, serverPipe] = createMemoryPipe();
    const { stream, breakOutput } = breakableEnd(serverPipe);
    const server = new HugeFiles();
    const served = runSftpServer(stream, server);
    const raw = rawSession(clientEnd);
    raw.send(encodeRequest({ kind: 'open', id: 1, path: 'small', flags: FXF.READ, attrs: {} }, 3));
    raw.send(encodeRequest({ kind: 'open', id: 2, path: 'copy', flags: FXF.WRITE, attrs: {} }, 3));
    const h = (n: number): Uint8Array => new Uint8Array([0, 0, 0, n]);
    const copy = new Uint8Array([...str(h(1)), ...u64(0), ...u64(0), ...str(h(2)), ...u64(0)]);
    raw.send(encodeRequest({ kind: 'extended', id: 3, request: 'copy-data', data: copy }, 3));
    await until(() => server.written === 5);
    breakOutput();
    clientEnd.close();
    await served;
    expect(server.exited).toBe(true);
  }, 20_000);
});
