/** Local listeners: 'localhost' on both loopback families, every address for '', UNIX paths, close. */
import { existsSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalListener, plainAddress } from '../src/forward/listener.ts';
import { tryConnect } from './forward-helpers.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'forward-listener-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function hasIpv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(0, '::1', () => s.close(() => resolve(true)));
  });
}

describe('LocalListener', () => {
  it("listens on every loopback address for 'localhost', on one port", async () => {
    const accepted: string[] = [];
    const listener = await LocalListener.open({ host: 'localhost', port: 0 }, (socket) => {
      accepted.push(socket.localAddress ?? '');
      socket.destroy();
    });
    const addresses = listener.getAddresses();
    const v6 = await hasIpv6Loopback();
    expect(addresses.map((a) => a[0])).toEqual(v6 ? ['127.0.0.1', '::1'] : ['127.0.0.1']);
    expect(new Set(addresses.map((a) => a[1])).size).toBe(1);
    expect(await tryConnect({ host: '127.0.0.1', port: listener.getPort() })).toBe('connected');
    if (v6) expect(await tryConnect({ host: '::1', port: listener.getPort() })).toBe('connected');
    await listener.waitClosed();
    expect(await tryConnect({ host: '127.0.0.1', port: listener.getPort() })).toBe('ECONNREFUSED');
  });

  it("listens on every address for '' and '*'", async () => {
    for (const host of ['', '*']) {
      const listener = await LocalListener.open({ host, port: 0 }, (socket) => socket.destroy());
      expect(['::', '0.0.0.0']).toContain(listener.getAddresses()[0]?.[0]);
      expect(await tryConnect({ host: '127.0.0.1', port: listener.getPort() })).toBe('connected');
      await listener.waitClosed();
    }
  });

  it("listens on IPv6 only for '::' and on IPv4 only for '0.0.0.0' (RFC 4254 §7.1, as sshd and AsyncSSH bind them)", async () => {
    const v6 = await hasIpv6Loopback();
    if (v6) {
      const listener = await LocalListener.open({ host: '::', port: 0 }, (socket) => socket.destroy());
      expect(await tryConnect({ host: '::1', port: listener.getPort() })).toBe('connected');
      expect(await tryConnect({ host: '127.0.0.1', port: listener.getPort() })).toBe('ECONNREFUSED');
      await listener.waitClosed();
    }
    const listener = await LocalListener.open({ host: '0.0.0.0', port: 0 }, (socket) => socket.destroy());
    expect(await tryConnect({ host: '127.0.0.1', port: listener.getPort() })).toBe('connected');
    if (v6) expect(await tryConnect({ host: '::1', port: listener.getPort() })).toBe('ECONNREFUSED');
    await listener.waitClosed();
  });

  it('listens on a UNIX path and removes it on close; the owner hears the close once', async () => {
    const socketPath = path.join(dir, 'l.sock');
    let closes = 0;
    const listener = await LocalListener.open({ path: socketPath }, (socket) => socket.destroy(), () => closes++);
    expect(listener.getPath()).toBe(socketPath);
    expect(statSync(socketPath).mode & 0o777).toBe(0o600);
    expect(listener.getPort()).toBe(0);
    expect(await tryConnect({ path: socketPath })).toBe('connected');
    listener.close();
    listener.close();
    await listener.waitClosed();
    expect(closes).toBe(1);
    expect(existsSync(socketPath)).toBe(false);
  });

  it('reports IPv4-mapped peer addresses as IPv4', () => {
    expect(plainAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(plainAddress('::1')).toBe('::1');
    expect(plainAddress('10.1.2.3')).toBe('10.1.2.3');
    expect(plainAddress(undefined)).toBe('');
  });

  it('rejects when the address is taken', async () => {
    const first = await LocalListener.open({ host: '127.0.0.1', port: 0 }, (socket) => socket.destroy());
    await expect(LocalListener.open({ host: '127.0.0.1', port: first.getPort() }, (socket) => socket.destroy())).rejects.toThrow(/EADDRINUSE/);
    await first.waitClosed();
  });
});
