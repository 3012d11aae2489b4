import { CHANNEL_OPEN_FAILURE, ChannelData, ChannelExtendedData, ChannelOpen, ChannelOpenConfirmation, ChannelWindowAdjust, GlobalRequest, MSG } from '@ssh/wire';
import { ConnectionLost, ProtocolError } from '@ssh/transport';
import { describe, expect, it } from 'vitest';
import {
  type Channel,
  ChannelClosedError,
  ChannelOpenError,
  type ChannelHandler,
  DATA_PACKET_OVERHEAD,
  DEFAULT_TRANSPORT_PACKET_LIMIT,
  type IncomingChannelOpen,
} from '../src/index.ts';
import { muxPair } from './helpers/mux-pair.ts';

interface Recorder extends ChannelHandler {
  readonly data: Uint8Array[];
  readonly stderr: Uint8Array[];
  readonly log: string[];
  channel?: Channel;
  closeError?: Error | undefined;
}

function recorder(consume = true, onRequest?: ChannelHandler['onRequest']): Recorder {
  const r: Recorder = {
    data: [],
    stderr: [],
    log: [],
    onOpen(ch) {
      r.channel = ch;
      r.log.push('open');
    },
    onOpenFailed(e) {
      r.log.push(`open-failed:${(e as ChannelOpenError).reasonCode ?? e.message}`);
    },
    onData(d, t) {
      (t === 1 ? r.stderr : r.data).push(d.slice());
      if (consume) r.channel?.consume(d.length);
    },
    onEof() {
      r.log.push('eof');
    },
    onWritable() {
      r.log.push('writable');
    },
    onClose(e) {
      r.log.push('close');
      r.closeError = e;
    },
    ...(onRequest ? { onRequest } : {}),
  };
  return r;
}

const total = (chunks: Uint8Array[]): number => chunks.reduce((n, c) => n + c.length, 0);

function acceptAll(handlers: Recorder[], consume = true, onRequest?: ChannelHandler['onRequest']) {
  return (req: IncomingChannelOpen): void => {
    const h = recorder(consume, onRequest);
    h.channel = req.accept(h);
    handlers.push(h);
  };
}

describe('channel open, data, EOF and close', () => {
  it('opens, carries data and stderr both ways, and closes once on each side', () => {
    const accepted: Recorder[] = [];
    const p = muxPair({}, { onChannelOpen: acceptAll(accepted) });
    const c = recorder();
    const ch = p.client.openChannel('session', { type: 'session' }, c);
    expect(ch.state).toBe('opening');
    p.pump();
    expect(c.log).toEqual(['open']);
    expect(ch.state).toBe('open');
    const s = accepted[0] as Recorder;
    ch.write(new TextEncoder().encode('hello'));
    s.channel?.write(new TextEncoder().encode('out'));
    s.channel?.write(new TextEncoder().encode('err'), 1);
    p.pump();
    expect(new TextDecoder().decode(s.data[0])).toBe('hello');
    expect(new TextDecoder().decode(c.data[0])).toBe('out');
    expect(new TextDecoder().decode(c.stderr[0])).toBe('err');
    ch.writeEof();
    p.pump();
    expect(s.log).toContain('eof');
    expect(() => ch.write(new Uint8Array(1))).toThrow(ChannelClosedError);
    s.channel?.close();
    p.pump();
    expect(c.log.filter((l) => l === 'close')).toHaveLength(1);
    expect(s.log.filter((l) => l === 'close')).toHaveLength(1);
    expect(c.closeError).toBeUndefined();
    expect(p.client.channelCount).toBe(0);
    expect(p.server.channelCount).toBe(0);
    expect(p.failures).toEqual([]);
  });

  it('writes data and stderr headers with the full 32-bit channel id, type code and length', () => {
    const p = muxPair();
    const c = recorder();
    const ch = p.client.openChannel('session', { type: 'session' }, c);
    p.toServer.length = 0;
    const remote = 0xfedcba98;
    p.client.handle(ChannelOpenConfirmation.encode({ recipientChannel: ch.localId, senderChannel: remote, initialWindowSize: 0xffff_ffff, maximumPacketSize: 0x8000, data: new Uint8Array(0) }));
    const body = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    ch.write(body);
    ch.write(body.subarray(0, 7), 0x8000_0001);
    expect(ChannelData.decode(p.toServer[0] as Uint8Array)).toEqual({ recipientChannel: remote, data: body });
    expect(ChannelExtendedData.decode(p.toServer[1] as Uint8Array)).toEqual({ recipientChannel: remote, dataTypeCode: 0x8000_0001, data: body.subarray(0, 7) });
  });

  it('reports a refused open with its reason code', () => {
    const p = muxPair({}, { onChannelOpen: (req) => req.reject(CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED, 'no') });
    const c = recorder();
    p.client.openChannel('session', { type: 'session' }, c);
    p.pump();
    expect(c.log).toEqual([`open-failed:${CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED}`, 'close']);
    expect(c.closeError).toBeInstanceOf(ChannelOpenError);
    expect(p.client.channelCount).toBe(0);
  });

  it('refuses channel types nobody handles with UNKNOWN_CHANNEL_TYPE', () => {
    const p = muxPair();
    const c = recorder();
    p.client.openChannel('x11', { type: 'x11', originatorAddress: '127.0.0.1', originatorPort: 6000 }, c);
    p.pump();
    expect(c.log[0]).toBe(`open-failed:${CHANNEL_OPEN_FAILURE.UNKNOWN_CHANNEL_TYPE}`);
  });

  it('sends queued data before EOF, requests and close, in order', () => {
    const accepted: Recorder[] = [];
    const seen: string[] = [];
    const p = muxPair({}, { onChannelOpen: acceptAll(accepted, true), windowSize: 1000 });
    const c = recorder();
    const ch = p.client.openChannel('session', { type: 'session' }, c, { windowSize: 1000 });
    p.pump();
    const s = accepted[0] as Recorder;
    s.onRequest = (type) => {
      seen.push(`${type}@${total(s.data)}`);
      return true;
    };
    ch.write(new Uint8Array(5000));
    ch.sendRequest('exit-status', { type: 'exit-status', exitStatus: 3 });
    ch.writeEof();
    ch.close();
    p.pump();
    expect(total(s.data)).toBe(5000);
    expect(seen).toEqual(['exit-status@5000']);
    expect(s.log.indexOf('eof')).toBeLessThan(s.log.indexOf('close'));
    expect(p.failures).toEqual([]);
  });

  it('abort() discards unsent data and closes at once', () => {
    const accepted: Recorder[] = [];
    const p = muxPair({}, { onChannelOpen: acceptAll(accepted, false), windowSize: 100 });
    const c = recorder();
    const ch = p.client.openChannel('session', { type: 'session' }, c);
    p.pump();
    ch.write(new Uint8Array(10_000));
    p.pump();
    expect(ch.writeBufferSize).toBe(9_900);
    ch.abort();
    p.pump();
    expect(ch.state).toBe('closed');
    expect(total((accepted[0] as Recorder).data)).toBe(100);
  });
});

describe('flow control', () => {
  it('stops the sender at the window until the receiver consumes, and chunks by max packet', () => {
    const accepted: Recorder[] = [];
    const p = muxPair({ highWaterMark: 4096 }, { onChannelOpen: acceptAll(accepted, false), windowSize: 10_000, maxPacketSize: 1000 });
    const c = recorder();
    const ch = p.client.openChannel('session', { type: 'session' }, c);
    p.pump();
    const s = accepted[0] as Recorder;
    expect(ch.write(new Uint8Array(50_000))).toBe(false);
    p.pump();
    expect(total(s.data)).toBe(10_000);
    expect(Math.max(...s.data.map((d) => d.length))).toBeLessThanOrEqual(1000);
    expect(ch.writeBufferSize).toBe(40_000);
    // With the window below half, what is consumed is handed back at once (OpenSSH's rule).
    s.channel?.consume(3000);
    p.pump();
    expect(total(s.data)).toBe(13_000);
    s.channel?.consume(7000);
    p.pump();
    expect(total(s.data)).toBe(20_000);
    s.channel?.consume(10_000);
    p.pump();
    expect(total(s.data)).toBe(30_000);
    expect(c.log).not.toContain('writable');
    for (let i = 0; i < 10 && total(s.data) < 50_000; i++) {
      s.channel?.consume(10_000);
      p.pump();
    }
    expect(total(s.data)).toBe(50_000);
    expect(c.log).toContain('writable');
    expect(p.failures).toEqual([]);
  });

  it('sends a transient write from the caller\'s bytes and keeps a copy of only what must wait', () => {
    const accepted: Recorder[] = [];
    const p = muxPair({}, { onChannelOpen: acceptAll(accepted, false), windowSize: 10_000, maxPacketSize: 4000 });
    const ch = p.client.openChannel('session', { type: 'session' }, recorder());
    p.pump();
    const s = accepted[0] as Recorder;
    // A reused read buffer: 6000 bytes of 1, then of 2 (the second write waits for the window).
    const buf = new Uint8Array(6000);
    buf.fill(1);
    ch.write(buf, undefined, true);
    buf.fill(2);
    ch.write(buf, undefined, true);
    expect(ch.writeBufferSize).toBe(2000);
    p.pump();
    // The caller reuses its buffer again before the window opens.
    buf.fill(3);
    s.channel?.consume(10_000);
    p.pump();
    const got = Buffer.concat(s.data);
    expect(got.length).toBe(12_000);
    expect(got.subarray(0, 6000).every((b) => b === 1)).toBe(true);
    expect(got.subarray(6000).every((b) => b === 2)).toBe(true);
    expect(p.failures).toEqual([]);
  });

  it('tells when none of the written data waits for the window any more', () => {
    const accepted: Recorder[] = [];
    const p = muxPair({}, { onChannelOpen: acceptAll(accepted, false), windowSize: 10_000, maxPacketSize: 4000 });
    const ch = p.client.openChannel('session', { type: 'session' }, recorder());
    p.pump();
    const s = accepted[0] as Recorder;
    const sent: string[] = [];
    ch.onSent(() => sent.push('idle'));
    expect(sent).toEqual(['idle']);
    ch.write(new Uint8Array(6000));
    ch.onSent(() => sent.push('first'));
    expect(sent).toEqual(['idle', 'first']);
    ch.write(new Uint8Array(6000));
    ch.onSent(() => sent.push('second'));
    ch.onSent(() => sent.push('second again'));
    p.pump();
    expect(ch.writeBufferSize).toBe(2000);
    s.channel?.consume(1000);
    p.pump();
    // Part of it went out: 1000 bytes still wait.
    expect(ch.writeBufferSize).toBe(1000);
    expect(sent).toEqual(['idle', 'first']);
    s.channel?.consume(5000);
    p.pump();
    expect(ch.writeBufferSize).toBe(0);
    expect(sent).toEqual(['idle', 'first', 'second', 'second again']);
    expect(p.failures).toEqual([]);
  });

  it('tells the waiters when the channel closes with data still waiting', () => {
    const accepted: Recorder[] = [];
    const p = muxPair({}, { onChannelOpen: acceptAll(accepted, false), windowSize: 1000, maxPacketSize: 1000 });
    const aborted = p.client.openChannel('session', { type: 'session' }, recorder());
    const closedByPeer = p.client.openChannel('session', { type: 'session' }, recorder());
    p.pump();
    const sent: string[] = [];
    for (const [name, ch] of [['aborted', aborted], ['closed by peer', closedByPeer]] as const) {
      ch.write(new Uint8Array(5000));
      p.pump();
      expect(ch.writeBufferSize).toBe(4000);
      ch.onSent(() => sent.push(name));
    }
    aborted.abort();
    expect(sent).toEqual(['aborted']);
    (accepted[1] as Recorder).channel?.abort();
    p.pump();
    expect(closedByPeer.state).toBe('closed');
    expect(sent).toEqual(['aborted', 'closed by peer']);
    closedByPeer.onSent(() => sent.push('after close'));
    expect(sent).toEqual(['aborted', 'closed by peer', 'after close']);
  });

  it('tells the waiters when the connection is lost with data still waiting', () => {
    const p = muxPair({}, { onChannelOpen: acceptAll([], false), windowSize: 1000, maxPacketSize: 1000 });
    const ch = p.client.openChannel('session', { type: 'session' }, recorder());
    p.pump();
    ch.write(new Uint8Array(5000));
    p.pump();
    const sent: string[] = [];
    ch.onSent(() => sent.push('lost'));
    expect(sent).toEqual([]);
    p.client.teardown(new Error('connection lost'));
    expect(ch.state).toBe('closed');
    expect(sent).toEqual(['lost']);
  });

  it('ends every channel when the connection is lost even if a handler throws, then throws the first error', () => {
    const p = muxPair({}, { onChannelOpen: acceptAll([], false) });
    const failing = recorder();
    const boom = new Error('application onClose failed');
    failing.onClose = () => {
      throw boom;
    };
    const first = p.client.openChannel('session', { type: 'session' }, failing);
    const second = recorder();
    const other = p.client.openChannel('session', { type: 'session' }, second);
    p.pump();
    expect(() => p.client.teardown(new ConnectionLost('gone'))).toThrow(boom);
    expect(first.state).toBe('closed');
    expect(other.state).toBe('closed');
    expect(second.closeError).toBeInstanceOf(ConnectionLost);
  });

  it('reports a handler that throws after an asynchronous request was answered to onHandlerError', async () => {
    const reported: unknown[] = [];
    const boom = new Error('onRequestAnswered failed');
    let open: IncomingChannelOpen | undefined;
    const p = muxPair(
      {},
      {
        onHandlerError: (error) => reported.push(error),
        onChannelOpen: (req) => {
          open = req;
          expect(req.answered).toBe(false);
          const h = recorder(true, async () => true);
          h.onRequestAnswered = () => {
            throw boom;
          };
          h.channel = req.accept(h);
        },
      },
    );
    const ch = p.client.openChannel('session', { type: 'session' }, recorder());
    p.pump();
    expect(open?.answered).toBe(true);
    let replied: boolean | undefined;
    ch.sendRequest('shell', { type: 'shell' }, (ok) => (replied = ok));
    p.pump();
    await new Promise((resolve) => setTimeout(resolve, 0));
    p.pump();
    expect(replied).toBe(true);
    expect(reported).toEqual([boom]);
  });

  it('holds small adjustments while the window is above half, until three maximum packets were taken', () => {
    const accepted: Recorder[] = [];
    const p = muxPair({}, { onChannelOpen: acceptAll(accepted, false), windowSize: 10_000, maxPacketSize: 1000 });
    const ch = p.client.openChannel('session', { type: 'session' }, recorder());
    p.pump();
    const s = accepted[0] as Recorder;
    ch.write(new Uint8Array(2000));
    p.pump();
    s.channel?.consume(2000);
    ch.write(new Uint8Array(20_000));
    p.pump();
    expect(total(s.data)).toBe(10_000);
    s.channel?.consume(1500);
    p.pump();
    expect(total(s.data)).toBe(13_500);
  });

  it('hands a large window back a quarter at a time, not every three packets', () => {
    const accepted: Recorder[] = [];
    const p = muxPair({}, { onChannelOpen: acceptAll(accepted, false), windowSize: 100_000, maxPacketSize: 1000 });
    const ch = p.client.openChannel('session', { type: 'session' }, recorder());
    p.pump();
    const s = accepted[0] as Recorder;
    ch.write(new Uint8Array(40_000));
    p.pump();
    expect(ch.sendLimits.window).toBe(60_000);
    // 20,000 taken is more than three packets but under a quarter of the window, which is above half.
    s.channel?.consume(20_000);
    p.pump();
    expect(ch.sendLimits.window).toBe(60_000);
    s.channel?.consume(6000);
    p.pump();
    expect(ch.sendLimits.window).toBe(86_000);
    expect(p.failures).toEqual([]);
  });

  it('sends an adjustment half due along with data going out, ahead of it', () => {
    const accepted: Recorder[] = [];
    // Threshold: a quarter of the window (25,000); half of it due rides with data.
    const p = muxPair({}, { onChannelOpen: acceptAll(accepted, false), windowSize: 100_000, maxPacketSize: 1000 });
    const ch = p.client.openChannel('session', { type: 'session' }, recorder());
    p.pump();
    const s = accepted[0] as Recorder;
    ch.write(new Uint8Array(40_000));
    p.pump();
    s.channel?.consume(12_000);
    s.channel?.write(new Uint8Array(10));
    // Under half due: the answer goes alone.
    expect(p.toClient.map((m) => m[0])).toEqual([MSG.CHANNEL_DATA]);
    p.pump();
    expect(ch.sendLimits.window).toBe(60_000);
    s.channel?.consume(1000);
    s.channel?.write(new Uint8Array(10));
    expect(p.toClient.map((m) => m[0])).toEqual([MSG.CHANNEL_WINDOW_ADJUST, MSG.CHANNEL_DATA]);
    expect(ChannelWindowAdjust.decode(p.toClient[0] as Uint8Array).bytesToAdd).toBe(13_000);
    p.pump();
    expect(ch.sendLimits.window).toBe(73_000);
    // Handed back already: the next answer goes alone again.
    s.channel?.write(new Uint8Array(10));
    expect(p.toClient.map((m) => m[0])).toEqual([MSG.CHANNEL_DATA]);
    p.pump();
    expect(p.failures).toEqual([]);
  });

  it('lets no adjustment ride with data that waits for the window', () => {
    const accepted: Recorder[] = [];
    const p = muxPair({ windowSize: 100, maxPacketSize: 100 }, { onChannelOpen: acceptAll(accepted, false), windowSize: 100_000, maxPacketSize: 1000 });
    const ch = p.client.openChannel('session', { type: 'session' }, recorder(false));
    p.pump();
    const s = accepted[0] as Recorder;
    ch.write(new Uint8Array(40_000));
    p.pump();
    // The server's answer fills the client's window; its next waits.
    s.channel?.write(new Uint8Array(100));
    p.pump();
    s.channel?.consume(20_000);
    s.channel?.write(new Uint8Array(10));
    expect(p.toClient).toEqual([]);
    expect(ch.sendLimits.window).toBe(60_000);
    expect(p.failures).toEqual([]);
  });

  it('treats data beyond the window as a protocol error', () => {
    const accepted: Recorder[] = [];
    const p = muxPair({}, { onChannelOpen: acceptAll(accepted, false), windowSize: 100 });
    const ch = p.client.openChannel('session', { type: 'session' }, recorder());
    p.pump();
    p.server.handle(ChannelData.encode({ recipientChannel: (accepted[0] as Recorder).channel?.localId ?? 0, data: new Uint8Array(101) }));
    expect(p.failures[0]?.side).toBe('server');
    expect(p.failures[0]?.error).toBeInstanceOf(ProtocolError);
    expect(p.failures[0]?.error.message).toMatch(/window/);
    expect(ch.state).toBe('open');
  });

  it('treats data above the maximum packet size as a protocol error', () => {
    const accepted: Recorder[] = [];
    const p = muxPair({}, { onChannelOpen: acceptAll(accepted, false), maxPacketSize: 512 });
    p.client.openChannel('session', { type: 'session' }, recorder());
    p.pump();
    p.server.handle(ChannelData.encode({ recipientChannel: 0, data: new Uint8Array(513) }));
    expect(p.failures[0]?.error.message).toMatch(/maximum of 512/);
  });

  it('advertises no maximum packet size whose data packets the transport below would refuse', () => {
    const accepted: Recorder[] = [];
    // Default transport limit (256 KiB packet_length): a 16 MiB request is capped to what fits.
    const p = muxPair({ maxPacketSize: 1 << 24 }, { onChannelOpen: acceptAll(accepted) });
    const ch = p.client.openChannel('session', { type: 'session' }, recorder());
    const small = p.client.openChannel('session', { type: 'session' }, recorder(), { maxPacketSize: 1000 });
    p.pump();
    expect(ch.receiveLimits.maxPacket).toBe(DEFAULT_TRANSPORT_PACKET_LIMIT - DATA_PACKET_OVERHEAD);
    expect(accepted[0]?.channel?.sendLimits.maxPacket).toBe(DEFAULT_TRANSPORT_PACKET_LIMIT - DATA_PACKET_OVERHEAD);
    expect(small.receiveLimits.maxPacket).toBe(1000);
    // A transport told to take larger packets lets channels ask for more, per channel too.
    const q = muxPair({ maxPacketSize: 1 << 20, transportPacketLimit: (1 << 20) + DATA_PACKET_OVERHEAD }, {});
    const big = q.client.openChannel('session', { type: 'session' }, recorder());
    const bigger = q.client.openChannel('session', { type: 'session' }, recorder(), { maxPacketSize: 1 << 22 });
    expect(big.receiveLimits.maxPacket).toBe(1 << 20);
    expect(bigger.receiveLimits.maxPacket).toBe(1 << 20);
  });

  it('refuses a window adjustment past 2^32-1', () => {
    const accepted: Recorder[] = [];
    const p = muxPair({}, { onChannelOpen: acceptAll(accepted) });
    const ch = p.client.openChannel('session', { type: 'session' }, recorder());
    p.pump();
    p.client.handle(ChannelWindowAdjust.encode({ recipientChannel: ch.localId, bytesToAdd: 0xffff_ffff }));
    expect(p.failures[0]?.side).toBe('client');
    expect(p.failures[0]?.error.message).toMatch(/2\^32-1/);
  });

  it('keeps the receiver buffer bounded by its window while the reader does not read', () => {
    const accepted: Recorder[] = [];
    const p = muxPair({}, { onChannelOpen: acceptAll(accepted, false), windowSize: 64 * 1024 });
    const ch = p.client.openChannel('session', { type: 'session' }, recorder());
    p.pump();
    for (let i = 0; i < 100; i++) ch.write(new Uint8Array(64 * 1024));
    p.pump();
    expect(total((accepted[0] as Recorder).data)).toBe(64 * 1024);
  });
});

describe('requests', () => {
  it('replies to channel requests in arrival order even when answered out of order', async () => {
    const resolvers: ((ok: boolean) => void)[] = [];
    const accepted: Recorder[] = [];
    const p = muxPair({}, { onChannelOpen: acceptAll(accepted, true, () => new Promise<boolean>((r) => resolvers.push(r))) });
    const ch = p.client.openChannel('session', { type: 'session' }, recorder());
    p.pump();
    const replies: string[] = [];
    ch.sendRequest('env', { type: 'env', name: 'A', value: new Uint8Array(0) }, (ok) => replies.push(`env:${ok}`));
    ch.sendRequest('exec', { type: 'exec', command: new TextEncoder().encode('ls') }, (ok) => replies.push(`exec:${ok}`));
    p.pump();
    expect(resolvers).toHaveLength(2);
    resolvers[1]?.(true);
    await Promise.resolve();
    p.pump();
    expect(replies).toEqual([]);
    resolvers[0]?.(false);
    await Promise.resolve();
    p.pump();
    expect(replies).toEqual(['env:false', 'exec:true']);
  });

  it('answers false to requests without a handler, and to waiters when the channel closes', () => {
    const accepted: Recorder[] = [];
    const p = muxPair({}, { onChannelOpen: acceptAll(accepted) });
    const ch = p.client.openChannel('session', { type: 'session' }, recorder());
    p.pump();
    const replies: boolean[] = [];
    ch.sendRequest('shell', { type: 'shell' }, (ok) => replies.push(ok));
    p.pump();
    expect(replies).toEqual([false]);
    ch.sendRequest('shell', { type: 'shell' }, (ok) => replies.push(ok));
    p.client.teardown(new ConnectionLost('gone'));
    expect(replies).toEqual([false, false]);
  });

  it('replies to global requests in order, with the success data', () => {
    const pending: { reply: (ok: boolean, data?: Uint8Array) => void; name: string }[] = [];
    const p = muxPair({}, { onGlobalRequest: (r) => pending.push(r) });
    const got: string[] = [];
    p.client.globalRequest('tcpip-forward', { type: 'tcpip-forward', bindAddress: '', bindPort: 0 }, (ok, data) => got.push(`fwd:${ok}:${data.length}`));
    p.client.globalRequest('keepalive@openssh.com', { type: 'keepalive@openssh.com' }, (ok) => got.push(`ka:${ok}`));
    p.client.globalRequest('keepalive@openssh.com', { type: 'keepalive@openssh.com' });
    p.pump();
    expect(pending.map((r) => r.name)).toEqual(['tcpip-forward', 'keepalive@openssh.com', 'keepalive@openssh.com']);
    pending[1]?.reply(false);
    pending[2]?.reply(true);
    p.pump();
    expect(got).toEqual([]);
    pending[0]?.reply(true, new Uint8Array([0, 0, 0x1f, 0x90]));
    p.pump();
    expect(got).toEqual(['fwd:true:4', 'ka:false']);
    expect(p.failures).toEqual([]);
  });

  it('honours no-more-sessions@openssh.com', () => {
    const accepted: Recorder[] = [];
    const p = muxPair({}, { onChannelOpen: acceptAll(accepted) });
    p.client.globalRequest('no-more-sessions@openssh.com', { type: 'no-more-sessions@openssh.com' });
    const c = recorder();
    p.client.openChannel('session', { type: 'session' }, c);
    p.pump();
    expect(c.log[0]).toBe(`open-failed:${CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED}`);
  });
});

describe('bounds and hostile input', () => {
  it('refuses channel opens beyond maxChannels with RESOURCE_SHORTAGE, and accepts again after closes', () => {
    const pending: IncomingChannelOpen[] = [];
    const p = muxPair({}, { onChannelOpen: (r) => pending.push(r), maxChannels: 10 });
    const clients = Array.from({ length: 15 }, () => recorder());
    for (const c of clients) p.client.openChannel('session', { type: 'session' }, c);
    p.pump();
    expect(pending).toHaveLength(10);
    expect(clients.filter((c) => c.log[0] === `open-failed:${CHANNEL_OPEN_FAILURE.RESOURCE_SHORTAGE}`)).toHaveLength(5);
    for (const r of pending.splice(0, 3)) r.reject(CHANNEL_OPEN_FAILURE.CONNECT_FAILED, 'no');
    const more = recorder();
    p.client.openChannel('session', { type: 'session' }, more);
    p.pump();
    expect(pending).toHaveLength(8);
  });

  it('treats a flood of unanswered global requests as a protocol error', () => {
    const p = muxPair({}, { onGlobalRequest: () => undefined, maxPendingGlobalRequests: 16 });
    for (let i = 0; i < 17; i++) p.server.handle(GlobalRequest.encode({ requestName: 'x@example.com', wantReply: true, request: new Uint8Array(0) }));
    expect(p.failures).toHaveLength(1);
    expect(p.failures[0]?.error.message).toMatch(/global requests/);
  });

  it('treats messages for unknown channels, unsolicited replies and malformed payloads as protocol errors', () => {
    for (const payload of [
      ChannelData.encode({ recipientChannel: 7, data: new Uint8Array(1) }),
      new Uint8Array([MSG.REQUEST_SUCCESS]),
      new Uint8Array([MSG.CHANNEL_DATA, 0, 0]),
      ChannelOpen.encode({ channelType: 'session', senderChannel: 1, initialWindowSize: 1, maximumPacketSize: 1, channel: { type: 'session' } }).subarray(0, 9),
      new Uint8Array([MSG.CHANNEL_FAILURE + 10]),
    ]) {
      const p = muxPair();
      expect(p.server.handle(payload)).toBe(true);
      expect(p.failures).toHaveLength(1);
      expect(p.failures[0]?.error).toBeInstanceOf(ProtocolError);
    }
  });

  it('leaves non-connection messages to the caller', () => {
    const p = muxPair();
    expect(p.server.handle(new Uint8Array([MSG.IGNORE]))).toBe(false);
    expect(p.server.handle(new Uint8Array([MSG.USERAUTH_REQUEST]))).toBe(false);
  });

  it('tears every channel down with the connection error', () => {
    const accepted: Recorder[] = [];
    const p = muxPair({}, { onChannelOpen: acceptAll(accepted) });
    const open = recorder();
    p.client.openChannel('session', { type: 'session' }, open);
    p.pump();
    const opening = recorder();
    p.client.openChannel('session', { type: 'session' }, opening);
    const lost = new ConnectionLost('gone');
    p.client.teardown(lost);
    expect(open.closeError).toBe(lost);
    expect(opening.log).toEqual(['open-failed:' + String(lost.reasonCode), 'close']);
    const late = recorder();
    p.client.openChannel('session', { type: 'session' }, late);
    expect(late.log[1]).toBe('close');
    expect(p.client.channelCount).toBe(0);
  });

  it('carries hundreds of concurrent channels independently', () => {
    const accepted: Recorder[] = [];
    const p = muxPair({}, { onChannelOpen: acceptAll(accepted) });
    const clients = Array.from({ length: 300 }, () => recorder());
    const chans = clients.map((c) => p.client.openChannel('session', { type: 'session' }, c));
    p.pump();
    chans.forEach((ch, i) => ch.write(new Uint8Array(i + 1).fill(i & 0xff)));
    p.pump();
    expect(accepted).toHaveLength(300);
    accepted.forEach((s, i) => {
      expect(total(s.data)).toBe(i + 1);
      expect(s.data[0]?.[0]).toBe(i & 0xff);
    });
    for (const ch of chans) ch.close();
    p.pump();
    expect(p.client.channelCount).toBe(0);
    expect(p.server.channelCount).toBe(0);
  });
});
