/**
 * TUN/TAP channels (tun@openssh.com, OpenSSH PROTOCOL §2.3) between our client and our server,
 * without devices: openTun / openTap packet streams against a server whose tunRequested /
 * tapRequested answers with a stream handler, a session object or a [channel, session] pair;
 * packet boundaries kept both ways; the unit passed through; refusals and unknown modes giving
 * ChannelOpenError with the right code while the connection carries on.
 */
import { CHANNEL_OPEN_FAILURE } from '@ssh/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChannelOpenError,
  SSHServer,
  SSHTunTapChannel,
  connect,
  listen,
  type SSHAcceptor,
  type SSHClientConnection,
  type SSHServerConnection,
  type SSHTunTapSession,
  type TunTapAnswer,
} from '../src/index.ts';
import { bounded } from './forward-helpers.ts';
import { loopbackKeys } from './loopback-keys.ts';

const keys = loopbackKeys();

const asked: { mode: 'tun' | 'tap'; unit: number | undefined }[] = [];
let answer: (conn: SSHServerConnection) => TunTapAnswer = () => false;

class TunServer extends SSHServer {
  #conn: SSHServerConnection | undefined;
  override connectionMade(conn: SSHServerConnection): void {
    this.#conn = conn;
  }
  override tunRequested(unit: number | undefined): TunTapAnswer {
    asked.push({ mode: 'tun', unit });
    return answer(this.#conn as SSHServerConnection);
  }
  override tapRequested(unit: number | undefined): TunTapAnswer {
    asked.push({ mode: 'tap', unit });
    return answer(this.#conn as SSHServerConnection);
  }
}

let acceptor: SSHAcceptor;
let plain: SSHAcceptor;
let conn: SSHClientConnection;

const options = (port: number) => keys.clientOptions(port);

beforeAll(async () => {
  const common = keys.serverOptions;
  acceptor = await listen('127.0.0.1', 0, { ...common, serverFactory: () => new TunServer() });
  plain = await listen('127.0.0.1', 0, common);
  conn = await connect(options(acceptor.getPort()));
});

afterAll(async () => {
  conn?.close();
  await acceptor?.waitClosed();
  await plain?.waitClosed();
});

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

async function openError(p: Promise<unknown>): Promise<ChannelOpenError> {
  const err = await bounded(p.then(() => undefined, (e: unknown) => e), 10_000, 'open');
  expect(err).toBeInstanceOf(ChannelOpenError);
  return err as ChannelOpenError;
}

describe('openTun / openTap against our server', () => {
  it('layer 3: every read is one packet, as written, both ways; the server sees bare packets', async () => {
    const serverSaw: Uint8Array[] = [];
    answer = () => async (reader, writer) => {
      for await (const packet of reader) {
        serverSaw.push(Uint8Array.from(packet));
        const reply = packet.slice();
        reply[1] = 0xee;
        writer.write(reply);
      }
      writer.close();
    };
    asked.length = 0;
    const [reader, writer] = await bounded(conn.openTun(7), 10_000, 'openTun');
    expect(asked).toEqual([{ mode: 'tun', unit: 7 }]);
    expect(reader.channel).toBeInstanceOf(SSHTunTapChannel);
    const packets = [ipv4(20, 1), ipv6(1280, 2), ipv4(1500, 3), ipv4(21, 4), ipv6(40, 5)];
    for (const p of packets) writer.write(p);
    for (const p of packets) {
      const got = await bounded(reader.read(), 10_000, 'read');
      const want = p.slice();
      want[1] = 0xee;
      expect(Buffer.from(got)).toEqual(Buffer.from(want));
    }
    expect(serverSaw).toEqual(packets);
    writer.writeEof();
    expect(await bounded(reader.read(), 10_000, 'eof')).toHaveLength(0);
    await bounded((reader.channel as SSHTunTapChannel).waitClosed(), 10_000, 'close');
  });

  it('layer 2 with unit any: the server hears undefined, frames pass untouched', async () => {
    answer = () => async (reader, writer) => {
      const frame = await reader.read();
      writer.write(frame);
      writer.write(frame.subarray(0, 14));
      writer.close();
    };
    asked.length = 0;
    const [reader, writer] = await bounded(conn.openTap(), 10_000, 'openTap');
    expect(asked).toEqual([{ mode: 'tap', unit: undefined }]);
    const frame = new Uint8Array(64).map((_, i) => i);
    writer.write(frame);
    expect(Buffer.from(await bounded(reader.read(), 10_000, 'read'))).toEqual(Buffer.from(frame));
    expect(Buffer.from(await bounded(reader.read(), 10_000, 'read'))).toEqual(Buffer.from(frame.subarray(0, 14)));
    expect(await bounded(reader.read(), 10_000, 'eof')).toHaveLength(0);
  });

  it('runs a server session object and a client session object (createTun): one dataReceived per packet', async () => {
    const serverGot: Uint8Array[] = [];
    answer = () => {
      let channel: SSHTunTapChannel | undefined;
      const session: SSHTunTapSession = {
        connectionMade: (c) => (channel = c as SSHTunTapChannel),
        dataReceived: (d) => {
          serverGot.push(Uint8Array.from(d));
          channel?.write(ipv6(d.length + 10, 9));
        },
      };
      return session;
    };
    const clientGot: Uint8Array[] = [];
    const [channel] = await bounded(
      conn.createTun(() => ({ dataReceived: (d: Uint8Array) => clientGot.push(Uint8Array.from(d)) }), 0),
      10_000,
      'createTun',
    );
    expect(channel.mode).toBe(1);
    expect(channel.unit).toBe(0);
    channel.write(ipv4(100, 1));
    channel.write(ipv4(200, 2));
    for (let i = 0; i < 200 && clientGot.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(serverGot).toEqual([ipv4(100, 1), ipv4(200, 2)]);
    expect(clientGot).toEqual([ipv6(110, 9), ipv6(210, 9)]);
    channel.close();
    await bounded(channel.waitClosed(), 10_000, 'close');
  });

  it('takes [channel, session] with a channel of createTuntapChannel (its window)', async () => {
    let made: SSHTunTapChannel | undefined;
    answer = (server) => {
      made = server.createTuntapChannel({ window: 8192, maxPktsize: 4096 });
      return [made, { dataReceived: (d: Uint8Array) => made?.write(d) }];
    };
    const [reader, writer] = await bounded(conn.openTap(3), 10_000, 'openTap');
    expect(made?.mode).toBe(2);
    expect(made?.unit).toBe(3);
    expect(writer.channel.muxChannel?.sendLimits.maxPacket).toBe(4096);
    // More than the 8 KiB window in flight: packets wait whole for window adjusts, none is split.
    const frames = Array.from({ length: 20 }, (_, i) => new Uint8Array(1500).fill(i));
    for (const f of frames) writer.write(f);
    for (const f of frames) expect(Buffer.from(await bounded(reader.read(), 10_000, 'read'))).toEqual(Buffer.from(f));
    writer.close();
  });

  it('refusal is a ChannelOpenError (administratively prohibited), and so is the default SSHServer', async () => {
    answer = () => false;
    const err = await openError(conn.openTun());
    expect(err.reasonCode).toBe(CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED);
    const other = await connect(options(plain.getPort()));
    try {
      expect((await openError(other.openTap(1))).reasonCode).toBe(CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED);
      expect((await openError(other.forwardTun(undefined, 1))).reasonCode).toBe(CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED);
    } finally {
      other.close();
    }
  });

  it('a handler that throws refuses the open (connect failed)', async () => {
    answer = () => {
      throw new Error('no tunnels today');
    };
    expect((await openError(conn.openTun())).reasonCode).toBe(CHANNEL_OPEN_FAILURE.CONNECT_FAILED);
  });

  it('refuses an unknown tunnel mode without asking the application, and the connection carries on', async () => {
    asked.length = 0;
    answer = () => async (reader, writer) => writer.write(await reader.read());
    const mux = (conn as unknown as { mux: { openChannel(type: string, body: unknown, handler: unknown): void } }).mux;
    const failed = new Promise<Error>((resolve) => {
      mux.openChannel('tun@openssh.com', { type: 'tun@openssh.com', tunnelMode: 3, remoteUnit: 0 }, { onData: () => undefined, onClose: () => undefined, onOpenFailed: resolve });
      (conn as unknown as { scheduleFlush(): void }).scheduleFlush();
    });
    const err = await bounded(failed, 10_000, 'bad mode');
    expect(err).toBeInstanceOf(ChannelOpenError);
    expect((err as ChannelOpenError).reasonCode).toBe(CHANNEL_OPEN_FAILURE.CONNECT_FAILED);
    expect(err.message).toMatch(/unknown tunnel mode 3/);
    expect(asked).toEqual([]);
    const [reader, writer] = await bounded(conn.openTun(), 10_000, 'openTun after');
    writer.write(ipv4(20, 1));
    expect(Buffer.from(await bounded(reader.read(), 10_000, 'read'))).toEqual(Buffer.from(ipv4(20, 1)));
  });

  it('checks units before sending anything', async () => {
    await expect(conn.openTun(-1)).rejects.toThrow(RangeError);
    await expect(conn.createTap(() => ({}), 0x7fffffff)).rejects.toThrow(RangeError);
    await expect(conn.forwardTun(1.5)).rejects.toThrow(RangeError);
  });
});
