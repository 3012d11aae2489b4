/**
 * SSH through an SSH connection (AsyncSSH's create_ssh_connection, connect_ssh,
 * connect_reverse_ssh, listen_ssh, listen_reverse_ssh) with OpenSSH's sshd as the upstream
 * server: its direct-tcpip channels and remote listeners carry our client and server, in both
 * directions, and SSHAcceptor.update() changes what later connections get.
 */
import { readFileSync } from 'node:fs';
import { defaultClientKey, freePort, startSshd, type KeyPair, type SshdServer } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SSHClient,
  SSHListener,
  connect,
  connectReverse,
  generatePrivateKey,
  listen,
  listenReverse,
  type SSHAcceptor,
  type SSHClientConnection,
  type SSHServerConnection,
  type SSHServerProcess,
} from '../src/index.ts';
import { bounded, tryConnect } from './forward-helpers.ts';

let sshd: SshdServer;
let key: KeyPair;
let upstream: SSHClientConnection;
const hostKey = generatePrivateKey('ssh-ed25519');

const base = () => ({ username: sshd.user, clientKeys: [key.privateKeyPath], knownHosts: null, agentPath: null, config: null });
const serverOptions = (tag: string) => ({
  serverHostKeys: [hostKey],
  authorizedClientKeys: readFileSync(key.publicKeyPath, 'utf8'),
  processFactory: (p: SSHServerProcess) => {
    p.stdout.write(`${tag}: ${p.command ?? ''}\n`);
    p.exit(0);
  },
});

beforeAll(async () => {
  key = await defaultClientKey();
  sshd = await startSshd();
  upstream = await connect({ host: '127.0.0.1', port: sshd.port, ...base() });
});

afterAll(async () => {
  upstream?.close();
  await upstream?.waitClosed();
  await sshd?.stop();
});

describe('connectSsh / createSshConnection', () => {
  it('reach our server through sshd', async () => {
    await using acceptor = await listen('127.0.0.1', 0, serverOptions('inner'));
    await using conn = await upstream.connectSsh('127.0.0.1', acceptor.getPort(), base());
    expect((await conn.run('a')).stdout).toBe('inner: a\n');
    class Mine extends SSHClient {
      made = false;
      override connectionMade(): void {
        this.made = true;
      }
    }
    const [conn2, client] = await upstream.createSshConnection(() => new Mine(), '127.0.0.1', acceptor.getPort(), base());
    expect(client).toBeInstanceOf(Mine);
    expect(client.made).toBe(true);
    expect((await conn2.run('b')).stdout).toBe('inner: b\n');
    conn2.close();
    await conn2.waitClosed();
  });

  it('reject as connect() does when sshd cannot reach the target', async () => {
    const port = await freePort();
    await expect(upstream.connectSsh('127.0.0.1', port, base())).rejects.toThrow();
    await expect(upstream.connectSsh('127.0.0.1', 70000, base())).rejects.toThrow(RangeError);
  });
});

describe('connectReverseSsh', () => {
  it('acts as the server on a channel to a listenReverse client', async () => {
    const serverSide: SSHServerConnection[] = [];
    await using reverse = await listenReverse('127.0.0.1', 0, { ...base(), username: 'rev', knownHosts: null });
    void reverse;
    const conn = await bounded(upstream.connectReverseSsh('127.0.0.1', reverse.getPort(), serverOptions('reverse')), 20_000, 'connectReverseSsh');
    serverSide.push(conn);
    expect(conn.getExtraInfo('username')).toBe('rev');
    conn.close();
    await conn.waitClosed();
  });
});

describe('listenSsh', () => {
  it('serves SSH on a port sshd listens on, until closed', async () => {
    const port = await freePort();
    const acceptor = await upstream.listenSsh('127.0.0.1', port, serverOptions('tunnelled'));
    expect(acceptor.getPort()).toBe(port);
    await using conn = await connect({ host: '127.0.0.1', port, ...base() });
    expect((await conn.run('x')).stdout).toBe('tunnelled: x\n');
    // update(): connections accepted from now on run with the new options; this one keeps its own.
    await acceptor.update(serverOptions('updated'));
    await using conn2 = await connect({ host: '127.0.0.1', port, ...base() });
    expect((await conn2.run('y')).stdout).toBe('updated: y\n');
    expect((await conn.run('z')).stdout).toBe('tunnelled: z\n');
    await expect(acceptor.update({ noSuchOption: 1 })).rejects.toThrow(/noSuchOption/);
    await acceptor.waitClosed();
    await conn.waitClosed();
    // The remote listener is cancelled: sshd no longer listens there.
    expect(await tryConnect({ host: '127.0.0.1', port })).toBe('ECONNREFUSED');
  });
});

describe('listenReverseSsh', () => {
  it('acts as the client on connections to a port sshd listens on', async () => {
    const port = await freePort();
    const acceptor: SSHAcceptor = await upstream.listenReverseSsh('127.0.0.1', port, { ...base(), username: 'from-tunnel' });
    try {
      const conn = await bounded(connectReverse('127.0.0.1', port, serverOptions('rev')), 20_000, 'connectReverse');
      expect(conn.getExtraInfo('username')).toBe('from-tunnel');
      conn.close();
      await conn.waitClosed();
      await expect(acceptor.update({ bogus: true })).rejects.toThrow(/bogus/);
    } finally {
      await acceptor.waitClosed();
    }
  });
});

describe('SSHListener', () => {
  it('has close and waitClosed on its prototype', () => {
    expect(typeof SSHListener.prototype.close).toBe('function');
    expect(typeof SSHListener.prototype.waitClosed).toBe('function');
  });

  it('a remote listener closes once however often it is closed', async () => {
    const listener = await upstream.forwardRemotePort('127.0.0.1', 0, '127.0.0.1', 1);
    expect(listener.getPort()).toBeGreaterThan(0);
    listener.close();
    listener.close();
    await listener.waitClosed();
    expect(listener.isClosed).toBe(true);
  });
});
