/**
 * TUN forwarding on real devices (Linux, /dev/net/tun, CAP_NET_ADMIN: each test says so and skips
 * otherwise), with a UDP echo across the tunnel as the ping: one end's device is moved into a
 * throwaway network namespace, so packets really cross the SSH connection instead of being
 * delivered locally. Our forwardTun against our server (tunRequested answering true), against
 * OpenSSH's sshd with PermitTunnel yes (sshd opening tunN), and OpenSSH's `ssh -w` against our
 * server; the same for TAP (layer 2, tapN, ARP crossing too): forwardTap to sshd with
 * PermitTunnel ethernet, and `ssh -o Tunnel=ethernet -w` against our server. Devices, namespaces
 * and processes made here are removed (processes by PID).
 */
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tunDevicesUnavailable, defaultClientKey, generateKey, knownHostsLines, makeTempDir, startProcess, startSsh, startSshd, type KeyPair, type PeerProcess, type SshdServer } from '@ssh/interop';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SSHServer, TunTapDeviceUnavailable, connect, listen, type SSHAcceptor, type SSHClientConnection, type SSHTunTapForwarder, type TunTapAnswer } from '../src/index.ts';
import { bounded } from './forward-helpers.ts';

const why = tunDevicesUnavailable();
const title = (name: string): string => (why === undefined ? name : `${name} [skipped: ${why}]`);
if (why !== undefined) console.warn(`TUN device tests skipped: ${why}`);

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

function linkExists(name: string): boolean {
  try {
    ip('link', 'show', 'dev', name);
    return true;
  } catch {
    return false;
  }
}

/** A tun (or tap) unit nobody uses, at or above `from`. */
function freeUnit(from: number, kind: 'tun' | 'tap' = 'tun'): number {
  let unit = from;
  while (linkExists(`${kind}${unit}`)) unit++;
  return unit;
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const namespaces: string[] = [];
const processes: PeerProcess[] = [];
let subnet = 0;

afterEach(async () => {
  for (const p of processes.splice(0)) await p.stop();
  for (const ns of namespaces.splice(0)) {
    try {
      ip('netns', 'del', ns);
    } catch {
      // already gone
    }
  }
});

/**
 * Moves `remote` into a new namespace, addresses both ends (a point-to-point pair for TUN, one
 * /24 for TAP, whose ARP then crosses too), runs a UDP echo in the namespace, and resolves with
 * what came back for `message` sent from this side.
 */
async function echoAcross(local: string, remote: string, message: string): Promise<string> {
  const ns = `sshtun${process.pid}x${++subnet}`;
  const net = `10.${(process.pid % 200) + 20}.${subnet}`;
  const ethernet = local.startsWith('tap');
  ip('netns', 'add', ns);
  namespaces.push(ns);
  ip('link', 'set', remote, 'netns', ns);
  ip('-n', ns, 'addr', 'add', ...(ethernet ? [`${net}.2/24`] : [`${net}.2`, 'peer', `${net}.1`]), 'dev', remote);
  ip('-n', ns, 'link', 'set', remote, 'up');
  ip('addr', 'add', ...(ethernet ? [`${net}.1/24`] : [`${net}.1`, 'peer', `${net}.2`]), 'dev', local);
  ip('link', 'set', local, 'up');
  const script = `const s=require('node:dgram').createSocket('udp4');s.on('message',(m,r)=>s.send(Buffer.concat([Buffer.from('echo: '),m]),r.port,r.address));s.bind(7007,'${net}.2',()=>console.log('listening'));`;
  const echo = await startProcess('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { name: 'udp-echo', stdin: 'ignore' });
  processes.push(echo);
  await echo.waitForOutput(/listening/, { stream: 'stdout', timeoutMs: 10_000 });
  const socket = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve) => socket.bind(0, `${net}.1`, resolve));
    const reply = new Promise<string>((resolve) => socket.once('message', (m) => resolve(m.toString())));
    // A few tries: the first packets may race the interfaces coming up.
    const timer = setInterval(() => socket.send(message, 7007, `${net}.2`), 250);
    socket.send(message, 7007, `${net}.2`);
    try {
      return await bounded(reply, 10_000, 'UDP echo across the tunnel');
    } finally {
      clearInterval(timer);
    }
  } finally {
    socket.close();
  }
}

let hostKey: KeyPair;
let clientKey: KeyPair;
let ours: SSHAcceptor;
let sshd: SshdServer | undefined;
let dir: string;

class TunServer extends SSHServer {
  override tunRequested(): TunTapAnswer {
    return true;
  }

  override tapRequested(): TunTapAnswer {
    return true;
  }
}

beforeAll(async () => {
  hostKey = await generateKey('ed25519');
  clientKey = await defaultClientKey();
  dir = await makeTempDir('tuntap-device');
  ours = await listen('127.0.0.1', 0, {
    serverHostKeys: [hostKey.privateKeyPath],
    authorizedClientKeys: readFileSync(clientKey.publicKeyPath, 'utf8'),
    serverFactory: () => new TunServer(),
  });
});

afterAll(async () => {
  await ours?.waitClosed();
  await sshd?.stop();
});

function connectOurs(): Promise<SSHClientConnection> {
  return connect({ host: '127.0.0.1', port: ours.getPort(), username: 'u', clientKeys: [clientKey.privateKeyPath], knownHosts: null, agentPath: null, config: null });
}

describe('TUN and TAP forwarding on devices', () => {
  it.skipIf(why !== undefined)(title('our forwardTun to our server: a UDP echo crosses the tunnel, and close removes the devices'), async () => {
    const conn = await connectOurs();
    let forwarder: SSHTunTapForwarder | undefined;
    try {
      const remoteUnit = freeUnit(140);
      forwarder = await bounded(conn.forwardTun(undefined, remoteUnit), 10_000, 'forwardTun');
      expect(forwarder.localName).toMatch(/^tun\d+$/);
      expect(forwarder.getExtraInfo('localUnit')).toBe(forwarder.localUnit);
      await until(() => linkExists(`tun${remoteUnit}`), 5_000, 'server device');
      expect(await echoAcross(forwarder.localName, `tun${remoteUnit}`, 'ping 1')).toBe('echo: ping 1');
      const local = forwarder.localName;
      forwarder.close();
      await bounded(forwarder.waitClosed(), 10_000, 'forwarder close');
      await until(() => !linkExists(local), 5_000, 'local device removed');
    } finally {
      forwarder?.close();
      conn.close();
    }
  });

  it.skipIf(why !== undefined)(title('a unit in use is a TunTapDeviceUnavailable (EBUSY), and nothing is opened on the server'), async () => {
    const conn = await connectOurs();
    try {
      const first = await bounded(conn.forwardTun(), 10_000, 'forwardTun');
      const err = await conn.forwardTun(first.localUnit).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(TunTapDeviceUnavailable);
      expect((err as TunTapDeviceUnavailable).reason).toBe('EBUSY');
      first.close();
    } finally {
      conn.close();
    }
  });

  it.skipIf(why !== undefined)(title("our forwardTun to OpenSSH's sshd (PermitTunnel yes): sshd opens tunN, a UDP echo crosses"), async () => {
    sshd = await startSshd({ config: ['PermitTunnel yes'] });
    const knownHosts = path.join(dir, 'known_hosts');
    writeFileSync(knownHosts, knownHostsLines(sshd).join('\n') + '\n');
    const conn = await connect({ host: sshd.host, port: sshd.port, username: sshd.user, clientKeys: [clientKey.privateKeyPath], knownHosts, agentPath: null, config: null });
    try {
      const remoteUnit = freeUnit(160);
      const forwarder = await bounded(conn.forwardTun(undefined, remoteUnit), 10_000, 'forwardTun to sshd');
      await until(() => linkExists(`tun${remoteUnit}`), 5_000, 'sshd device');
      expect(await echoAcross(forwarder.localName, `tun${remoteUnit}`, 'ping sshd')).toBe('echo: ping sshd');
      // openTun too: sshd opens another device and the channel carries bare IP packets.
      const unit2 = freeUnit(remoteUnit + 1);
      const [reader, writer] = await bounded(conn.openTun(unit2), 10_000, 'openTun to sshd');
      await until(() => linkExists(`tun${unit2}`), 5_000, 'second sshd device');
      writer.close();
      await bounded(reader.read(), 10_000, 'channel end');
      forwarder.close();
    } finally {
      conn.close();
      await sshd.stop();
    }
  });

  it.skipIf(why !== undefined)(title('OpenSSH ssh -w against our server: both devices come up and a UDP echo crosses'), async () => {
    const localUnit = freeUnit(180);
    const remoteUnit = freeUnit(localUnit + 1);
    const ssh = await startSsh({ name: 'ours', host: '127.0.0.1', port: ours.getPort(), hostPublicKeys: [hostKey.publicKey] }, '', {
      identity: clientKey,
      args: ['-N', '-o', 'ExitOnForwardFailure=yes', '-o', 'Tunnel=point-to-point', '-w', `${localUnit}:${remoteUnit}`],
      stdin: 'ignore',
    });
    processes.push(ssh);
    await until(() => linkExists(`tun${localUnit}`) && linkExists(`tun${remoteUnit}`), 15_000, 'ssh -w devices');
    expect(await echoAcross(`tun${localUnit}`, `tun${remoteUnit}`, 'ping from ssh -w')).toBe('echo: ping from ssh -w');
  });

  it.skipIf(why !== undefined)(title("our forwardTap to OpenSSH's sshd (PermitTunnel ethernet): sshd opens tapN, ARP and a UDP echo cross"), async () => {
    const server = await startSshd({ config: ['PermitTunnel ethernet'] });
    const knownHosts = path.join(dir, 'known_hosts_tap');
    writeFileSync(knownHosts, knownHostsLines(server).join('\n') + '\n');
    const conn = await connect({ host: server.host, port: server.port, username: server.user, clientKeys: [clientKey.privateKeyPath], knownHosts, agentPath: null, config: null });
    try {
      const remoteUnit = freeUnit(200, 'tap');
      const forwarder = await bounded(conn.forwardTap(undefined, remoteUnit), 10_000, 'forwardTap to sshd');
      expect(forwarder.localName).toMatch(/^tap\d+$/);
      await until(() => linkExists(`tap${remoteUnit}`), 5_000, 'sshd tap device');
      expect(await echoAcross(forwarder.localName, `tap${remoteUnit}`, 'ping tap')).toBe('echo: ping tap');
      // Layer 3 is refused by PermitTunnel ethernet.
      await expect(bounded(conn.forwardTun(), 10_000, 'forwardTun refused')).rejects.toThrow();
      forwarder.close();
    } finally {
      conn.close();
      await server.stop();
    }
  });

  it.skipIf(why !== undefined)(title('OpenSSH ssh -o Tunnel=ethernet -w against our server: both tap devices come up and a UDP echo crosses'), async () => {
    const localUnit = freeUnit(220, 'tap');
    const remoteUnit = freeUnit(localUnit + 1, 'tap');
    const ssh = await startSsh({ name: 'ours', host: '127.0.0.1', port: ours.getPort(), hostPublicKeys: [hostKey.publicKey] }, '', {
      identity: clientKey,
      args: ['-N', '-o', 'ExitOnForwardFailure=yes', '-o', 'Tunnel=ethernet', '-w', `${localUnit}:${remoteUnit}`],
      stdin: 'ignore',
    });
    processes.push(ssh);
    await until(() => linkExists(`tap${localUnit}`) && linkExists(`tap${remoteUnit}`), 15_000, 'ssh -w tap devices');
    expect(await echoAcross(`tap${localUnit}`, `tap${remoteUnit}`, 'ping from ssh -w tap')).toBe('echo: ping from ssh -w tap');
  });
});
