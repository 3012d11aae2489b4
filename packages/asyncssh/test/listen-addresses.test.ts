/** Listening on every address of a host, as sshd and asyncio do, for listen() and forwards. */
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { generatePrivateKey } from '@ssh/keys';
import { ListenHostError, listen } from '../src/index.ts';
import { LocalListener } from '../src/forward/listener.ts';
import { bindAddresses, listenAll, type LookupAll } from '../src/listen-addresses.ts';
import { tryConnect } from './forward-helpers.ts';

function hasIpv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(0, '::1', () => s.close(() => resolve(true)));
  });
}

/** A resolver that knows one name; it records the names it was asked for. */
function fakeResolver(name: string, addresses: readonly string[], asked: string[] = []): LookupAll {
  return (host, family) => {
    asked.push(host);
    if (host !== name) return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }));
    return Promise.resolve(addresses.filter((a) => family === 0 || net.isIP(a) === family));
  };
}

describe('bindAddresses', () => {
  it("reads '' and '*' as every address, of one family when asked", async () => {
    for (const host of ['', '*']) {
      expect(await bindAddresses(host)).toEqual([{ host: undefined, ipv6Only: false }]);
      expect(await bindAddresses(host, 4)).toEqual([{ host: '0.0.0.0', ipv6Only: false }]);
      expect(await bindAddresses(host, 6)).toEqual([{ host: '::', ipv6Only: true }]);
    }
  });

  it('takes an address as it is, an IPv6 one for IPv6 only', async () => {
    const resolve = fakeResolver('x', []);
    expect(await bindAddresses('10.1.2.3', 0, resolve)).toEqual([{ host: '10.1.2.3', ipv6Only: false }]);
    expect(await bindAddresses('::', 0, resolve)).toEqual([{ host: '::', ipv6Only: true }]);
    const wrongFamily = bindAddresses('::1', 4, resolve);
    await expect(wrongFamily).rejects.toThrow('cannot listen on ::1: no IPv4 address');
    await expect(wrongFamily).rejects.toMatchObject({ name: 'ListenHostError', code: 'SSH_ERR_LISTEN_HOST', host: '::1', reason: 'no-address' });
  });

  it('takes every address of a name once, in the order resolved, of one family when asked', async () => {
    const asked: string[] = [];
    const resolve = fakeResolver('dual.example', ['::1', '127.0.0.1', '::1', '127.0.0.2'], asked);
    expect(await bindAddresses('Dual.Example', 0, resolve)).toEqual([
      { host: '::1', ipv6Only: true },
      { host: '127.0.0.1', ipv6Only: false },
      { host: '127.0.0.2', ipv6Only: false },
    ]);
    expect(await bindAddresses('dual.example', 4, resolve)).toEqual([
      { host: '127.0.0.1', ipv6Only: false },
      { host: '127.0.0.2', ipv6Only: false },
    ]);
    expect(asked).toEqual(['dual.example', 'dual.example']);
    const unknown = bindAddresses('nowhere.example', 0, resolve);
    await expect(unknown).rejects.toBeInstanceOf(ListenHostError);
    await expect(unknown).rejects.toMatchObject({ host: 'nowhere.example', reason: 'not-found', message: 'ssh: cannot listen on nowhere.example: getaddrinfo ENOTFOUND nowhere.example', cause: { code: 'ENOTFOUND' } });
    await expect(bindAddresses('dual.example', 6, fakeResolver('dual.example', ['127.0.0.1']))).rejects.toMatchObject({ reason: 'no-address', message: 'ssh: cannot listen on dual.example: no IPv6 address' });
  });
});

describe('listenAll', () => {
  const make = (): net.Server => net.createServer((socket) => socket.destroy());
  const closeAll = (servers: readonly net.Server[]): void => servers.forEach((s) => s.close());

  it('binds every address on the port the first one got', async () => {
    const servers = await listenAll(
      [
        { host: '127.0.0.1', ipv6Only: false },
        { host: '127.0.0.2', ipv6Only: false },
      ],
      0,
      make,
    );
    try {
      const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
      expect(servers.map((s) => (s.address() as net.AddressInfo).address)).toEqual(['127.0.0.1', '127.0.0.2']);
      expect(ports[0]).toBe(ports[1]);
      expect(await tryConnect({ host: '127.0.0.2', port: ports[0] as number })).toBe('connected');
    } finally {
      closeAll(servers);
    }
  });

  it('skips an address this machine does not have, unless none is left', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): no interface of a test machine has it.
    const servers = await listenAll(
      [
        { host: '192.0.2.1', ipv6Only: false },
        { host: '127.0.0.1', ipv6Only: false },
      ],
      0,
      make,
    );
    expect(servers.map((s) => (s.address() as net.AddressInfo).address)).toEqual(['127.0.0.1']);
    closeAll(servers);
    await expect(listenAll([{ host: '192.0.2.1', ipv6Only: false }], 0, make)).rejects.toMatchObject({ code: 'EADDRNOTAVAIL' });
  });

  it('fails whole, closing what it bound, when the port is taken on one address', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.2', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      await expect(
        listenAll(
          [
            { host: '127.0.0.1', ipv6Only: false },
            { host: '127.0.0.2', ipv6Only: false },
          ],
          port,
          make,
        ),
      ).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect(await tryConnect({ host: '127.0.0.1', port })).toBe('ECONNREFUSED');
    } finally {
      taken.close();
    }
  });
});

describe('listeners on a host name', () => {
  it('listen() on a name answers on each of its addresses, on one port', async () => {
    const all = [...new Set((await lookup('localhost', { all: true })).map((a) => a.address))];
    await using acceptor = await listen('LOCALHOST', 0, { serverHostKeys: [generatePrivateKey('ssh-ed25519')] });
    const addresses = acceptor.getAddresses();
    expect(addresses.map((a) => a[0]).sort()).toEqual(all.sort());
    expect(new Set(addresses.map((a) => a[1])).size).toBe(1);
    for (const host of all) expect(await tryConnect({ host, port: acceptor.getPort() })).toBe('connected');
  });

  it('listen() on a name that does not resolve fails with a ListenHostError, binding nothing', async () => {
    // .invalid never resolves (RFC 6761).
    const err: unknown = await listen('nosuchhost.invalid', 0, { serverHostKeys: [generatePrivateKey('ssh-ed25519')] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ListenHostError);
    expect(err).toMatchObject({ host: 'nosuchhost.invalid', reason: 'not-found' });
  });

  it("a forward's listener on 'localhost' in any case takes both loopback addresses, as ssh's", async () => {
    const v6 = await hasIpv6Loopback();
    const listener = await LocalListener.open({ host: 'LOCALHOST', port: 0 }, (socket) => socket.destroy());
    try {
      expect(listener.getAddresses().map((a) => a[0])).toEqual(v6 ? ['127.0.0.1', '::1'] : ['127.0.0.1']);
      expect(await tryConnect({ host: '127.0.0.1', port: listener.getPort() })).toBe('connected');
    } finally {
      await listener.waitClosed();
    }
  });
});
