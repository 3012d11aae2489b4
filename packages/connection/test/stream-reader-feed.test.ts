/** SSHReader.feedData / feedEof (asyncio StreamReader's feed_data / feed_eof), and writelinesStderr. */
import { describe, expect, it } from 'vitest';
import { ReadBuffer, SSHReader } from '../src/stream/index.ts';
import { SSHChannel, SSHLineEditorChannel, SSHServerChannel, type ChannelConnection } from '../src/index.ts';

const enc = new TextEncoder();

describe('SSHReader.feedData / feedEof', () => {
  it('reads fed text in order with received data, then EOF', async () => {
    const consumed: number[] = [];
    const buf = new ReadBuffer<string>({ encoding: 'utf-8', onConsumed: (n) => consumed.push(n) });
    const reader = new SSHReader(buf, { channel: null });
    buf.push(enc.encode('from peer\n'));
    reader.feedData('fed\n');
    reader.feedEof();
    expect(await reader.readline()).toBe('from peer\n');
    expect(await reader.readline()).toBe('fed\n');
    expect(reader.atEof()).toBe(true);
    expect(await reader.read()).toBe('');
    // Only the received bytes reopen the window: fed data was never counted against it.
    expect(consumed.reduce((a, b) => a + b, 0)).toBe('from peer\n'.length);
  });

  it('wakes a pending read', async () => {
    const reader = new SSHReader(new ReadBuffer<Uint8Array>({ encoding: null }), { channel: null });
    const pending = reader.readexactly(3);
    reader.feedData(Uint8Array.of(1, 2));
    reader.feedData(Uint8Array.of(3));
    expect([...(await pending)]).toEqual([1, 2, 3]);
  });

  it('refuses the wrong type for the stream, and ignores data after EOF', async () => {
    const text = new SSHReader(new ReadBuffer<string>({ encoding: 'utf-8' }), { channel: null });
    expect(() => text.feedData(Uint8Array.of(1) as unknown as string)).toThrow(TypeError);
    const bytes = new SSHReader(new ReadBuffer<Uint8Array>({ encoding: null }), { channel: null });
    expect(() => bytes.feedData('x' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => bytes.feedData(null as unknown as Uint8Array)).toThrow(TypeError);
    text.feedEof();
    text.feedEof();
    text.feedData('late');
    expect(await text.read()).toBe('');
  });

  it('splits a fed value across reads', async () => {
    const reader = new SSHReader(new ReadBuffer<string>({ encoding: 'utf-8' }), { channel: null });
    reader.feedData('héllo wörld');
    reader.feedEof();
    expect(await reader.read(3)).toBe('hél');
    expect(await reader.readuntil(' ')).toBe('lo ');
    expect(await reader.read()).toBe('wörld');
  });
});

describe('writelinesStderr', () => {
  it('writes each line as extended data 1', () => {
    const writes: [string, number | undefined][] = [];
    const connection = {} as ChannelConnection;
    const channel = new SSHServerChannel<string>(connection, {}, { encoding: 'utf-8' });
    // A stand-in for the mux channel: records what is written.
    (channel as unknown as { attach(c: unknown): void }).attach({
      write: (data: Uint8Array, datatype?: number) => {
        writes.push([new TextDecoder().decode(data), datatype]);
        return true;
      },
      setWriteLimits: () => undefined,
      isWriteClosed: false,
    });
    channel.writelinesStderr(['a\n', 'b\n']);
    expect(writes).toEqual([
      ['a\n', 1],
      ['b\n', 1],
    ]);
  });

  it('SSHLineEditorChannel is a server channel with the editing methods', () => {
    const channel = new SSHLineEditorChannel<string>({} as ChannelConnection);
    expect(channel).toBeInstanceOf(SSHServerChannel);
    expect(channel).toBeInstanceOf(SSHChannel);
    expect(channel.hasLineEditor).toBe(false);
    for (const m of ['setLineMode', 'setEcho', 'registerKey', 'unregisterKey', 'clearInput', 'setInput'] as const) expect(typeof channel[m]).toBe('function');
    // Without an editor running they do nothing.
    channel.setLineMode(false);
    channel.setEcho(false);
  });
});
