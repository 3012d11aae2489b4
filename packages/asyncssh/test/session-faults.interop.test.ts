/**
 * Faults on real connections, our server (listen + processFactory) and our client in one
 * process, and sshd: the peer dies mid-transfer, the peer closes a channel we are writing to,
 * and a slow reader while the peer floods (memory stays bounded by the channel window).
 * Every wait is bounded so a hang fails the test instead of stalling the run.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import path from 'node:path';
import { defaultClientKey, generateKey, knownHostsLines, makeTempDir, removeTempDir, startSshd, type KeyPair, type SshdServer } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChannelClosedError,
  ConnectionLost,
  connect,
  listen,
  type SSHAcceptor,
  type SSHClientConnection,
  type SSHClientProcess,
  type SSHServerProcess,
  type SSHServerSession,
} from '../src/index.ts';

/** What the slow-reader test has the server send: far more than any buffer should hold. */
const FLOOD_BYTES = 512 << 20;
/** Allowed growth of RSS and ArrayBuffer memory while nobody reads the flood: the window is 2 MiB, buffers a few more. */
const MEMORY_BOUND = 64 << 20;
const BLOCK = new Uint8Array(1 << 20).fill(0x61);

let acceptor: SSHAcceptor;
let clientKey: KeyPair;
let hostKey: KeyPair;
let sshd: SshdServer;
let dir: string;
let knownHosts: string;

/** Resolves with `promise`, or rejects once `ms` pass: nothing in this file may hang. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no outcome within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Writes `total` bytes of BLOCK-sized writes, each after the previous drained. */
async function writeBlocks(process: SSHServerProcess<Uint8Array>, total: number): Promise<void> {
  for (let sent = 0; sent < total; sent += BLOCK.length) {
    process.stdout.write(BLOCK.subarray(0, Math.min(BLOCK.length, total - sent)));
    await process.stdout.drain();
  }
}

async function handler(process: SSHServerProcess<Uint8Array>): Promise<void> {
  const [command = '', arg = '0'] = (process.command ?? '').split(' ');
  if (command === 'die-after') {
    // Send some data, then the whole connection goes away without a goodbye.
    await writeBlocks(process, Number(arg));
    // A turn later, once the reply to the exec request went out with this turn's writes.
    await new Promise((resolve) => setImmediate(resolve));
    (process.getExtraInfo('socket') as Socket).destroy();
  } else if (command === 'flood') {
    await writeBlocks(process, Number(arg));
    process.exit(0);
  } else if (command === 'close-after-read') {
    await process.stdin.read(1);
    process.close();
  }
}

beforeAll(async () => {
  clientKey = await defaultClientKey();
  hostKey = await generateKey('ed25519', { label: 'faults-host' });
  acceptor = await listen('127.0.0.1', 0, {
    serverHostKeys: [hostKey.privateKeyPath],
    authorizedClientKeys: readFileSync(clientKey.publicKeyPath, 'utf8'),
    processFactory: handler,
    encoding: null,
  });
  sshd = await startSshd();
  dir = await makeTempDir('session-faults');
  knownHosts = path.join(dir, 'known_hosts');
  writeFileSync(knownHosts, knownHostsLines(sshd).join('\n') + '\n');
}, 30_000);

afterAll(async () => {
  acceptor?.close();
  await acceptor?.waitClosed();
  await sshd?.stop();
  if (dir !== undefined) await removeTempDir(dir);
});

async function connectSshd(): Promise<SSHClientConnection> {
  return connect({ host: sshd.host, port: sshd.port, username: sshd.user, clientKeys: [clientKey.privateKeyPath], knownHosts, agentPath: null, config: null });
}

async function connectOurs(): Promise<SSHClientConnection> {
  return connect({
    host: '127.0.0.1',
    port: acceptor.getPort(),
    username: 'tester',
    clientKeys: [clientKey.privateKeyPath],
    knownHosts: null,
    agentPath: null,
    config: null,
    compressionAlgs: ['none'],
  });
}

/** Reads `proc`'s stdout to its end or its error: the bytes read and how it ended. */
async function drainStdout(proc: SSHClientProcess<Uint8Array>): Promise<{ bytes: number; error: unknown }> {
  let bytes = 0;
  try {
    for (;;) {
      const chunk = await proc.stdout.read(1 << 16);
      if (chunk.length === 0) return { bytes, error: undefined };
      bytes += chunk.length;
    }
  } catch (error) {
    return { bytes, error };
  }
}

describe('the peer dies mid-transfer', () => {
  it('our server drops the socket: the reader fails with ConnectionLost after the data sent before', async () => {
    const conn = await connectOurs();
    const proc = await conn.createProcess<Uint8Array>('die-after 4194304', { encoding: null });
    const outcome = await within(drainStdout(proc), 15_000, 'reading until the connection drops');
    expect(outcome.error).toBeInstanceOf(ConnectionLost);
    expect(outcome.bytes).toBeLessThanOrEqual(4 << 20);
    // Everything else settles too: the process, its channel, the connection.
    await within(proc.waitClosed(), 5_000, 'the channel closing');
    await within(conn.waitClosed(), 5_000, 'the connection closing');
    expect(conn.isClosed).toBe(true);
    await expect(within(proc.stdout.read(), 5_000, 'a read after the loss')).rejects.toBeInstanceOf(ConnectionLost);
    expect(() => proc.stdin.write(new Uint8Array(1))).toThrow(ChannelClosedError);
  });

  it('a writer waiting in drain() is released when the connection drops', async () => {
    const conn = await connectOurs();
    // The server never reads: our writes fill the window, then the buffer, then drain() waits.
    const proc = await conn.createProcess<Uint8Array>('die-after 0', { encoding: null });
    const writing = (async () => {
      try {
        for (let i = 0; i < 64; i++) {
          proc.stdin.write(BLOCK);
          await proc.stdin.drain();
        }
        return undefined;
      } catch (error) {
        return error;
      }
    })();
    const error = await within(writing, 15_000, 'writing until the connection drops');
    expect(error).toBeInstanceOf(ChannelClosedError);
    await within(conn.waitClosed(), 5_000, 'the connection closing');
    expect(conn.closeError).toBeInstanceOf(ConnectionLost);
  });

  it('sshd killed mid-transfer: the reader fails with ConnectionLost', async () => {
    const conn = await connectSshd();
    // The shell prints the pid of the sshd process serving it, then streams until killed.
    const proc = await conn.createProcess<Uint8Array>('echo $PPID; exec cat /dev/zero', { encoding: null });
    const first = new TextDecoder().decode(await within(proc.stdout.readline(), 10_000, 'the pid line'));
    const sessionPid = Number(first.trim());
    expect(sessionPid).toBeGreaterThan(1);
    await within(proc.stdout.readexactly(4 << 20), 10_000, 'the first 4 MiB');
    // Kill every sshd process of this connection (our sshd's children, by pid), not the listener.
    for (const pid of sshdChain(sessionPid, sshd.pid)) process.kill(pid, 'SIGKILL');
    const outcome = await within(drainStdout(proc), 15_000, 'reading after sshd died');
    expect(outcome.error).toBeInstanceOf(ConnectionLost);
    await within(conn.waitClosed(), 5_000, 'the connection closing');
    expect(conn.closeError).toBeInstanceOf(ConnectionLost);
  });
});

/** `pid` and its ancestors up to (not including) `stopAt`: the sshd processes of one connection. */
function sshdChain(pid: number, stopAt: number): number[] {
  const chain: number[] = [];
  for (let p = pid; p > 1 && p !== stopAt; ) {
    chain.push(p);
    const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  }
  if (chain.length === 0 || chain.length > 4) throw new Error(`unexpected sshd process chain from ${pid}: ${chain.join(' ')}`);
  return chain;
}

/** Writes BLOCKs, each after the previous drained, until a write throws: the error and the bytes written. */
async function writeUntilError(proc: SSHClientProcess<Uint8Array>): Promise<{ error: unknown; written: number }> {
  let written = 0;
  try {
    for (;;) {
      proc.stdin.write(BLOCK);
      written += BLOCK.length;
      await proc.stdin.drain();
    }
  } catch (error) {
    return { error, written };
  }
}

describe('the peer closes a channel we are writing to', () => {
  it('our server: writes throw ChannelClosedError and drain() resolves', async () => {
    await using conn = await connectOurs();
    const proc = await conn.createProcess<Uint8Array>('close-after-read', { encoding: null });
    const { error, written } = await within(writeUntilError(proc), 15_000, 'writing until the peer closes');
    expect(error).toBeInstanceOf(ChannelClosedError);
    expect(written).toBeGreaterThan(0);
    await within(proc.waitClosed(), 5_000, 'the channel closing');
    await within(proc.stdin.drain(), 1_000, 'drain() after the close');
    const result = await within(proc.wait(), 5_000, 'wait() after the close');
    // Closed without an exit status: -1, as AsyncSSH's get_exit_status() reports it.
    expect(result.exitStatus).toBe(-1);
    expect(result.exitSignal).toBeUndefined();
    // The connection is unharmed.
    expect((await conn.run('flood 5', { encoding: null })).stdout).toEqual(new Uint8Array(5).fill(0x61));
  });

  it('sshd: the command exits without reading, writes throw ChannelClosedError, its status arrives', async () => {
    await using conn = await connectSshd();
    const proc = await conn.createProcess<Uint8Array>('head -c 1000 >/dev/null; exit 4', { encoding: null });
    const { error } = await within(writeUntilError(proc), 15_000, 'writing until sshd closes');
    expect(error).toBeInstanceOf(ChannelClosedError);
    await within(proc.stdin.drain(), 1_000, 'drain() after the close');
    const result = await within(proc.wait(), 5_000, 'wait() after the close');
    expect(result.exitStatus).toBe(4);
    expect((await conn.run('echo still here')).stdout).toBe('still here\n');
  });
});

/** Starts a flood with `start`, reads nothing for 1.5 s sampling memory, then reads it all. */
async function slowReader(start: () => Promise<SSHClientProcess<Uint8Array>>): Promise<void> {
  globalThis.gc?.();
  const before = process.memoryUsage();
  const proc = await start();
  // Nobody reads for a while: the peer can send only the window, then its writes wait.
  let peakRss = 0;
  let peakArrayBuffers = 0;
  for (let i = 0; i < 15; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = process.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakArrayBuffers = Math.max(peakArrayBuffers, now.arrayBuffers);
  }
  expect(peakRss - before.rss).toBeLessThan(MEMORY_BOUND);
  expect(peakArrayBuffers - before.arrayBuffers).toBeLessThan(MEMORY_BOUND);
  const outcome = await within(drainStdout(proc), 50_000, 'reading the flood');
  expect(outcome.error).toBeUndefined();
  expect(outcome.bytes).toBe(FLOOD_BYTES);
  expect((await within(proc.wait(), 5_000, 'the flood process exiting')).exitStatus).toBe(0);
}

describe('the peer closes a session as it confirms it', () => {
  // The confirmation and the close arrive in one read: the session setup runs on the
  // confirmation, before the close is handled, and must still fail cleanly.
  it('createProcess, run and createSession fail with REQUEST_SESSION_FAILED, and the connection goes on', async () => {
    const closing = await listen('127.0.0.1', 0, {
      serverHostKeys: [hostKey.privateKeyPath],
      authorizedClientKeys: readFileSync(clientKey.publicKeyPath, 'utf8'),
      sessionFactory: () => ({ connectionMade: (chan: { close(): void }) => chan.close() }) as unknown as SSHServerSession<string>,
    });
    try {
      await using conn = await connect({ host: '127.0.0.1', port: closing.getPort(), username: 'tester', clientKeys: [clientKey.privateKeyPath], knownHosts: null, agentPath: null, config: null });
      const refused = { name: 'ChannelOpenError', code: 'SSH_ERR_CHANNEL_OPEN_REQUEST_SESSION_FAILED' };
      await expect(within(conn.createProcess('true', { env: { A: '1' } }), 5_000, 'createProcess')).rejects.toMatchObject(refused);
      await expect(within(conn.run('true'), 5_000, 'run')).rejects.toMatchObject(refused);
      await expect(within(conn.createSession(() => ({}), 'true'), 5_000, 'createSession')).rejects.toMatchObject(refused);
    } finally {
      closing.close();
      await closing.waitClosed();
    }
  });
});

describe('a slow reader while the peer floods', () => {
  it(`our server: memory stays bounded while ${FLOOD_BYTES >> 20} MiB wait unread, then all arrive`, async () => {
    await using conn = await connectOurs();
    await slowReader(async () => conn.createProcess<Uint8Array>(`flood ${FLOOD_BYTES}`, { encoding: null }));
  }, 60_000);

  it(`sshd: memory stays bounded while ${FLOOD_BYTES >> 20} MiB wait unread, then all arrive`, async () => {
    await using conn = await connectSshd();
    await slowReader(async () => conn.createProcess<Uint8Array>(`head -c ${FLOOD_BYTES} /dev/zero`, { encoding: null }));
  }, 60_000);
});
