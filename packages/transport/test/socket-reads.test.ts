/**
 * acceptTcp(): a socket a server accepted reads into one reused buffer (node's onread, set up
 * after the fact) and hands its bytes to whoever attaches, keeping those read before that; on a
 * socket it cannot set up, its 'data' events do the same. readIntoReusedBuffer(): the same for
 * any socket node made, a child process's pipe included, with pause and resume.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { acceptTcp, readIntoReusedBuffer, readSinkOf, sharedReadBuffer } from '../src/node/socket-reads.ts';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

/** A loopback server (options as given) and the first socket it accepts, plus the client end. */
async function acceptedPair(options: net.ServerOpts): Promise<{ accepted: net.Socket; client: net.Socket }> {
  const server = net.createServer(options);
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const client = net.connect(port, '127.0.0.1');
  const socket = await accepted;
  cleanup.push(() => {
    client.destroy();
    socket.destroy();
    server.close();
  });
  return { accepted: socket, client };
}

/** Collects what the sink delivers, copying each chunk (transient ones are only valid during the call). */
function collect(socket: net.Socket): { bytes: () => Buffer; transient: boolean[]; ended: Promise<void> } {
  const chunks: Buffer[] = [];
  const transient: boolean[] = [];
  readSinkOf(socket)?.attach((chunk, isTransient) => {
    chunks.push(Buffer.from(chunk));
    transient.push(isTransient);
  });
  const ended = new Promise<void>((resolve) => socket.once('end', () => resolve()));
  return { bytes: () => Buffer.concat(chunks), transient, ended };
}

function pattern(n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = (i * 13 + (i >> 9)) & 0xff;
  return out;
}

describe('acceptTcp', () => {
  it('reads a socket paused on connect into one reused buffer, keeping bytes read before a receiver attached', async () => {
    const { accepted, client } = await acceptedPair({ pauseOnConnect: true });
    expect(acceptTcp(accepted)).toBe(true);
    expect(accepted.listenerCount('data')).toBe(0);
    const early = pattern(1000);
    client.write(early);
    // Let the early bytes be read before anyone attaches.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const got = collect(accepted);
    const late = pattern(3 * 1024 * 1024);
    client.end(late);
    await got.ended;
    expect(got.bytes().equals(Buffer.concat([early, late]))).toBe(true);
    // The early chunk was copied out of the read buffer; the rest came straight from it.
    expect(got.transient[0]).toBe(false);
    expect(got.transient.slice(1).every((t) => t)).toBe(true);
  });

  it('takes over a socket node has started reading, as long as no bytes came in yet', async () => {
    const { accepted, client } = await acceptedPair({});
    expect(acceptTcp(accepted)).toBe(true);
    const got = collect(accepted);
    const data = pattern(2 * 1024 * 1024);
    client.end(data);
    await got.ended;
    expect(got.bytes().equals(data)).toBe(true);
    expect(got.transient.every((t) => t)).toBe(true);
  });

  it('hands over the bytes a socket already holds first, then reads into the reused buffer', async () => {
    const { accepted, client } = await acceptedPair({});
    client.write(pattern(100));
    await new Promise<void>((resolve) => accepted.once('readable', () => resolve()));
    expect(accepted.readableLength).toBe(100);
    expect(acceptTcp(accepted)).toBe(true);
    const got = collect(accepted);
    const data = pattern(512 * 1024);
    client.end(data);
    await got.ended;
    expect(got.bytes().equals(Buffer.concat([pattern(100), data]))).toBe(true);
    expect(got.transient.slice(1).every((t) => t)).toBe(true);
  });

  it("falls back to data events on a socket whose 'data' events someone already listens to", async () => {
    const { accepted, client } = await acceptedPair({});
    const seen: Buffer[] = [];
    accepted.on('data', (chunk: Buffer) => seen.push(chunk));
    expect(acceptTcp(accepted)).toBe(false);
    const got = collect(accepted);
    client.end(pattern(1000));
    await got.ended;
    expect(got.bytes().equals(pattern(1000))).toBe(true);
    expect(Buffer.concat(seen).equals(pattern(1000))).toBe(true);
    expect(got.transient.every((t) => !t)).toBe(true);
  });
});

/** A node child writing `bytes` of pattern() to its stdout. */
function writer(bytes: number) {
  const script = `const n=${bytes};const b=Buffer.alloc(n);for(let i=0;i<n;i++)b[i]=(i*13+(i>>9))&0xff;process.stdout.write(b)`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanup.push(() => child.kill());
  // Node types a child's pipes as Readable; they are net.Sockets over a Pipe handle.
  return { child, stdout: child.stdout as net.Socket };
}

describe('readIntoReusedBuffer', () => {
  it("reads a child process's stdout into one reused buffer, to EOF", async () => {
    const { child, stdout } = writer(3 * 1024 * 1024);
    const chunks: Buffer[] = [];
    const buffers = new Set<ArrayBufferLike>();
    const ok = readIntoReusedBuffer(stdout, (chunk) => {
      buffers.add(chunk.buffer);
      chunks.push(Buffer.from(chunk));
      return true;
    });
    expect(ok).toBe(true);
    await new Promise<void>((resolve) => child.once('close', () => resolve()));
    expect(Buffer.concat(chunks).equals(pattern(3 * 1024 * 1024))).toBe(true);
    expect(chunks.length).toBeGreaterThan(1);
    expect(buffers.size).toBe(1);
  });

  it('hands over what the pipe already held first, and can pause right there', async () => {
    const { child, stdout } = writer(512 * 1024);
    await new Promise<void>((resolve) => stdout.once('readable', () => resolve()));
    const held = stdout.readableLength;
    expect(held).toBeGreaterThan(0);
    const chunks: Buffer[] = [];
    readIntoReusedBuffer(stdout, (chunk) => {
      chunks.push(Buffer.from(chunk));
      return chunks.length > 1;
    });
    expect(chunks.length).toBe(1);
    expect(chunks[0]?.length).toBe(held);
    // Paused by the first answer: nothing more arrives until resume().
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(chunks.length).toBe(1);
    stdout.resume();
    await new Promise<void>((resolve) => child.once('close', () => resolve()));
    expect(Buffer.concat(chunks).equals(pattern(512 * 1024))).toBe(true);
  });

  it('pauses when the receiver answers false and goes on after resume()', async () => {
    const { child, stdout } = writer(1024 * 1024);
    const chunks: Buffer[] = [];
    let paused = 0;
    readIntoReusedBuffer(
      stdout,
      (chunk) => {
        chunks.push(Buffer.from(chunk));
        paused++;
        setTimeout(() => stdout.resume(), 5);
        return false;
      },
      new Uint8Array(16 * 1024),
    );
    await new Promise<void>((resolve) => child.once('close', () => resolve()));
    expect(Buffer.concat(chunks).equals(pattern(1024 * 1024))).toBe(true);
    // A 16 KiB buffer takes 1 MiB in 64 reads at least, each one followed by a pause.
    expect(paused).toBeGreaterThanOrEqual(64);
  });

  it('lets sockets whose receivers copy what they keep share one buffer', async () => {
    const shared = sharedReadBuffer();
    expect(sharedReadBuffer()).toBe(shared);
    const runs = [writer(1024 * 1024), writer(1024 * 1024 + 7), writer(300_000)];
    const got = runs.map(({ child, stdout }) => {
      const chunks: Buffer[] = [];
      expect(readIntoReusedBuffer(stdout, (chunk) => (chunks.push(Buffer.from(chunk)), true), shared)).toBe(true);
      return new Promise<Buffer>((resolve) => child.once('close', () => resolve(Buffer.concat(chunks))));
    });
    const [a, b, c] = await Promise.all(got);
    expect(a?.equals(pattern(1024 * 1024))).toBe(true);
    expect(b?.equals(pattern(1024 * 1024 + 7))).toBe(true);
    expect(c?.equals(pattern(300_000))).toBe(true);
  });

  it('refuses a socket someone already reads through data events', async () => {
    const { child, stdout } = writer(1000);
    const chunks: Buffer[] = [];
    stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    expect(readIntoReusedBuffer(stdout, () => true)).toBe(false);
    await new Promise<void>((resolve) => child.once('close', () => resolve()));
    expect(Buffer.concat(chunks).equals(pattern(1000))).toBe(true);
  });
});
