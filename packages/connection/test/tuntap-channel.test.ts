/**
 * tun@openssh.com channels over the in-memory multiplexer pair (OpenSSH PROTOCOL §2.3): one packet
 * per message both ways, never split by the window and never merged by a reader; the layer 3
 * address family header (OpenBSD numbers) added on write and stripped on read, with its bytes
 * given back to the window; ethernet frames untouched; the open's fields checked.
 */
import { TUN_MODE, TUN_UNIT_ANY } from '@ssh/wire';
import { describe, expect, it } from 'vitest';
import {
  SSHTunTapChannel,
  TUN_AF,
  TunTapStreamSession,
  addTunHeader,
  checkTunOpen,
  stripTunHeader,
  tunUnitField,
  type IncomingChannelOpen,
  type TunMode,
} from '../src/index.ts';
import { muxPair } from './helpers/mux-pair.ts';

const info = { getExtraInfo: () => undefined };

function ipv4(length: number, fill: number): Uint8Array {
  const p = new Uint8Array(length).fill(fill);
  p[0] = 0x45;
  return p;
}

function ipv6(length: number, fill: number): Uint8Array {
  const p = new Uint8Array(length).fill(fill);
  p[0] = 0x60;
  return p;
}

/** A client packet-stream channel and a server one, open to each other; `wire` sees what the client sent. */
function openPair(mode: TunMode, serverWindow = 64 * 1024, serverMaxPacket = 32 * 1024) {
  const server = new SSHTunTapChannel(info, { mode, manualWindow: true });
  const serverSession = new TunTapStreamSession(server);
  server.setSession(serverSession);
  const opens: IncomingChannelOpen[] = [];
  const p = muxPair(
    {},
    {
      windowSize: serverWindow,
      maxPacketSize: serverMaxPacket,
      onChannelOpen: (req) => {
        opens.push(req);
        server.attach(req.accept(server.handler, { datagram: true }));
      },
    },
  );
  const client = new SSHTunTapChannel(info, { mode, unit: 3, manualWindow: true });
  const clientSession = new TunTapStreamSession(client);
  client.setSession(clientSession);
  p.client.openChannel('tun@openssh.com', { type: 'tun@openssh.com', tunnelMode: mode, remoteUnit: 3 }, client.handler, { datagram: true });
  p.pump();
  return { p, client, server, clientSession, serverSession, opens };
}

describe('tun packet framing', () => {
  it('prepends AF_INET (2) or AF_INET6 (24) in network byte order, by the IP version nibble', () => {
    expect([...addTunHeader(ipv4(20, 1)).subarray(0, 5)]).toEqual([0, 0, 0, TUN_AF.INET, 0x45]);
    expect([...addTunHeader(ipv6(40, 1)).subarray(0, 5)]).toEqual([0, 0, 0, TUN_AF.INET6, 0x60]);
    expect(stripTunHeader(Uint8Array.of(0, 0, 0, 2, 9, 9))).toEqual(Uint8Array.of(9, 9));
    expect(stripTunHeader(Uint8Array.of(0, 0))).toHaveLength(0);
  });

  it('checks the open: modes 1 and 2, a unit or TUN_UNIT_ANY', () => {
    expect(checkTunOpen(1, 5)).toEqual({ mode: 1, unit: 5 });
    expect(checkTunOpen(2, TUN_UNIT_ANY)).toEqual({ mode: 2, unit: undefined });
    expect(checkTunOpen(0, 0)).toBe('unknown tunnel mode 0');
    expect(checkTunOpen(3, 0)).toBe('unknown tunnel mode 3');
    expect(checkTunOpen(1, 0x8000_0000)).toMatch(/bad tunnel unit/);
    expect(tunUnitField(undefined)).toBe(TUN_UNIT_ANY);
    expect(tunUnitField(null)).toBe(TUN_UNIT_ANY);
    expect(tunUnitField(7)).toBe(7);
    expect(() => tunUnitField(-1)).toThrow(RangeError);
    expect(() => tunUnitField(TUN_UNIT_ANY)).toThrow(RangeError);
  });
});

describe('SSHTunTapChannel over a multiplexer pair', () => {
  it('layer 3: one packet per read, header on the wire only, sent both ways', async () => {
    const { p, clientSession, serverSession, opens } = openPair(TUN_MODE.POINTOPOINT);
    expect(opens[0]?.body).toEqual({ type: 'tun@openssh.com', tunnelMode: 1, remoteUnit: 3 });
    const w = clientSession.writer();
    const packets = [ipv4(20, 1), ipv6(60, 2), ipv4(1500, 3), ipv4(21, 4)];
    for (const packet of packets) w.write(packet);
    p.pump();
    const r = serverSession.reader();
    for (const packet of packets) expect(await r.read()).toEqual(packet);
    serverSession.writer().write(ipv6(100, 9));
    p.pump();
    expect(await clientSession.reader().read(10)).toEqual(ipv6(100, 9));
  });

  it('puts the address family header on the wire', () => {
    const { p, clientSession } = openPair(TUN_MODE.POINTOPOINT);
    const seen: Uint8Array[] = [];
    const send = p.toServer;
    clientSession.writer().write(ipv6(48, 7));
    seen.push(...send.splice(0));
    // SSH_MSG_CHANNEL_DATA, recipient, length (4 + 48), then the header and the packet.
    const msg = seen[0] as Uint8Array;
    expect(msg[0]).toBe(94);
    expect(new DataView(msg.buffer, msg.byteOffset).getUint32(5)).toBe(52);
    expect([...msg.subarray(9, 14)]).toEqual([0, 0, 0, 24, 0x60]);
  });

  it('layer 2: frames pass untouched', async () => {
    const { p, clientSession, serverSession } = openPair(TUN_MODE.ETHERNET);
    const frame = new Uint8Array(60).map((_, i) => i);
    clientSession.writer().write(frame);
    p.pump();
    const msgFree = await serverSession.reader().read();
    expect(msgFree).toEqual(frame);
  });

  it('never splits a packet to fit the window: it waits for room, and reading reopens the window for header bytes too', async () => {
    // A 4 KiB window: three 1500-byte packets (1504 on the wire) fit two at a time.
    const { p, clientSession, serverSession, client } = openPair(TUN_MODE.POINTOPOINT, 4096);
    const w = clientSession.writer();
    for (let i = 0; i < 6; i++) w.write(ipv4(1500, i));
    p.pump();
    expect(client.getWriteBufferSize()).toBe(4 * 1504);
    const r = serverSession.reader();
    for (let i = 0; i < 6; i++) {
      const packet = await r.read();
      expect(packet).toEqual(ipv4(1500, i));
      p.pump();
    }
    expect(client.getWriteBufferSize()).toBe(0);
    expect(p.failures).toEqual([]);
  });

  it("drops a packet larger than the peer's maximum packet size, and goes on with the next", async () => {
    const { p, clientSession, serverSession } = openPair(TUN_MODE.ETHERNET, 64 * 1024, 1024);
    const w = clientSession.writer();
    w.write(new Uint8Array(2000).fill(1));
    w.write(new Uint8Array(1024).fill(2));
    p.pump();
    expect(await serverSession.reader().read()).toEqual(new Uint8Array(1024).fill(2));
    expect(p.failures).toEqual([]);
  });

  it('a session object hears one packet per dataReceived', () => {
    const got: Uint8Array[] = [];
    const server = new SSHTunTapChannel(info, { mode: TUN_MODE.POINTOPOINT });
    server.setSession({ dataReceived: (d) => got.push(d.slice()) });
    const p = muxPair({}, { onChannelOpen: (req) => server.attach(req.accept(server.handler, { datagram: true })) });
    const client = new SSHTunTapChannel(info, { mode: TUN_MODE.POINTOPOINT });
    p.client.openChannel('tun@openssh.com', { type: 'tun@openssh.com', tunnelMode: 1, remoteUnit: TUN_UNIT_ANY }, client.handler, { datagram: true });
    p.pump();
    client.write(ipv4(30, 1));
    client.write(ipv4(31, 2));
    p.pump();
    expect(got).toEqual([ipv4(30, 1), ipv4(31, 2)]);
  });
});
