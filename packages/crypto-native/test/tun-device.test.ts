/**
 * openTunTapDevice() on real devices (Linux, /dev/net/tun, CAP_NET_ADMIN; skipped with the
 * reason otherwise): the device appears under its name and goes away on close, packets the
 * kernel routes into it are read whole, packets written to it reach a local socket, a unit in
 * use is refused with EBUSY, and TAP devices carry Ethernet frames.
 */
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { tunDevicesUnavailable } from '@ssh/interop';
import { afterEach, describe, expect, it } from 'vitest';
import { TunTapDeviceError, openTunTapDevice, tunTapStatus, type TunTapDevice } from '../src/index.ts';

const why = tunDevicesUnavailable();
const title = (name: string): string => (why === undefined ? name : `${name} [skipped: ${why}]`);
if (why !== undefined) console.warn(`tun-device tests skipped: ${why}`);

const open: TunTapDevice[] = [];
const sockets: dgram.Socket[] = [];

afterEach(() => {
  for (const d of open.splice(0)) d.close();
  for (const s of sockets.splice(0)) s.close();
});

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

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A subnet of 10.203.0.0/16 for this process, so parallel runs do not collide. */
const NET = `10.203.${process.pid % 250}`;

/** An IPv4 UDP packet (UDP checksum 0: none) with a right header checksum. */
function udpPacket(src: string, dst: string, srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  const p = new Uint8Array(28 + payload.length);
  const v = new DataView(p.buffer);
  p[0] = 0x45;
  v.setUint16(2, p.length);
  p[8] = 64;
  p[9] = 17;
  p.set(src.split('.').map(Number), 12);
  p.set(dst.split('.').map(Number), 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += v.getUint16(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  v.setUint16(10, ~sum & 0xffff);
  v.setUint16(20, srcPort);
  v.setUint16(22, dstPort);
  v.setUint16(24, 8 + payload.length);
  p.set(payload, 28);
  return p;
}

describe('openTunTapDevice', () => {
  it('reports whether the module is built', () => {
    expect(tunTapStatus()).toEqual({ available: true, reason: 'loaded' });
  });

  it('refuses bad arguments before touching the system', () => {
    expect(() => openTunTapDevice({ mode: 3 as 1, onPacket: () => undefined })).toThrow(RangeError);
    expect(() => openTunTapDevice({ mode: 1, unit: -1, onPacket: () => undefined })).toThrow(RangeError);
    expect(() => openTunTapDevice({ mode: 1, unit: 0x7fffffff, onPacket: () => undefined })).toThrow(RangeError);
  });

  it.skipIf(why !== undefined)(title('creates tunN, reads the packets routed into it whole, writes packets the kernel delivers, and removes it on close'), async () => {
    const packets: Uint8Array[] = [];
    const dev = openTunTapDevice({ mode: 1, onPacket: (p) => packets.push(p) });
    open.push(dev);
    expect(dev.name).toBe(`tun${dev.unit}`);
    expect(linkExists(dev.name)).toBe(true);
    ip('addr', 'add', `${NET}.1`, 'peer', `${NET}.2`, 'dev', dev.name);
    ip('link', 'set', dev.name, 'up');

    // Out through the device: a UDP datagram to the peer address arrives as one IPv4 packet.
    const sender = dgram.createSocket('udp4');
    sockets.push(sender);
    const payload = Buffer.from('through the tunnel');
    sender.send(payload, 9999, `${NET}.2`);
    await until(() => packets.some((p) => p[0] === 0x45 && p[9] === 17));
    const udp = packets.find((p) => p[0] === 0x45 && p[9] === 17) as Uint8Array;
    expect(udp.length).toBe(28 + payload.length);
    expect([...udp.subarray(16, 20)].join('.')).toBe(`${NET}.2`);
    expect(Buffer.from(udp.subarray(28)).toString()).toBe('through the tunnel');

    // In through the device: a packet we write reaches a socket bound to our address.
    const receiver = dgram.createSocket('udp4');
    sockets.push(receiver);
    await new Promise<void>((resolve) => receiver.bind(0, `${NET}.1`, resolve));
    const got = new Promise<string>((resolve) => receiver.once('message', (m) => resolve(m.toString())));
    expect(dev.write(udpPacket(`${NET}.2`, `${NET}.1`, 4242, receiver.address().port, Buffer.from('from the wire')))).toBe(true);
    expect(await got).toBe('from the wire');

    dev.close();
    expect(dev.closed).toBe(true);
    expect(dev.write(new Uint8Array(20))).toBe(false);
    await until(() => !linkExists(dev.name));
  });

  it.skipIf(why !== undefined)(title('refuses a unit already in use with EBUSY'), () => {
    const first = openTunTapDevice({ mode: 1, onPacket: () => undefined });
    open.push(first);
    let error: unknown;
    try {
      open.push(openTunTapDevice({ mode: 1, unit: first.unit, onPacket: () => undefined }));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TunTapDeviceError);
    expect((error as TunTapDeviceError).code).toBe('EBUSY');
  });

  it.skipIf(why !== undefined)(title('opens tapN for Ethernet frames, at the unit asked for'), async () => {
    const probe = openTunTapDevice({ mode: 2, onPacket: () => undefined });
    const unit = probe.unit + 1;
    probe.close();
    const dev = openTunTapDevice({ mode: 2, unit, onPacket: () => undefined });
    open.push(dev);
    expect(dev.name).toBe(`tap${unit}`);
    expect(ip('link', 'show', 'dev', dev.name)).toMatch(/link\/ether/);
    ip('link', 'set', dev.name, 'up');
    const frame = new Uint8Array(60);
    frame.fill(0xff, 0, 6);
    frame.set([0x02, 0, 0, 0, 0, 1], 6);
    frame.set([0x88, 0xb5], 12); // local experimental ethertype
    expect(dev.write(frame)).toBe(true);
    dev.close();
    await until(() => !linkExists(dev.name));
  });
});
