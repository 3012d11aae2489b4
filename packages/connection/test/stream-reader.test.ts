import { describe, expect, it } from 'vitest';
import { DEFAULT_READ_LIMIT, IncompleteReadError, LimitOverrunError, ReadBuffer, SSHReader } from '../src/stream/index.ts';

const enc = new TextEncoder();

function textReader(options: { limit?: number } = {}): { buf: ReadBuffer<string>; reader: SSHReader<string, { id: number }> } {
  const buf = new ReadBuffer<string>({ encoding: 'utf-8' });
  const info: Record<string, unknown> = { peername: ['127.0.0.1', 22] };
  const reader = new SSHReader(buf, { channel: { id: 7 }, getExtraInfo: (name) => info[name], ...options });
  return { buf, reader };
}

describe('SSHReader', () => {
  it('exposes its channel, encoding and extra info', () => {
    const { reader } = textReader();
    expect(reader.channel).toEqual({ id: 7 });
    expect(reader.encoding).toBe('utf-8');
    expect(reader.getExtraInfo('peername')).toEqual(['127.0.0.1', 22]);
    expect(reader.getExtraInfo('nothing')).toBeUndefined();
    expect(reader.getExtraInfo('nothing', 'dflt')).toBe('dflt');
    const bare = new SSHReader(new ReadBuffer({ encoding: null }), { channel: null });
    expect(bare.getExtraInfo('x', 1)).toBe(1);
  });

  it('readline returns lines, the partial last line, then the empty string', async () => {
    const { buf, reader } = textReader();
    buf.push(enc.encode('a\nb\n\nlast'));
    buf.pushEof();
    expect(await reader.readline()).toBe('a\n');
    expect(await reader.readline()).toBe('b\n');
    expect(await reader.readline()).toBe('\n');
    expect(await reader.readline()).toBe('last');
    expect(reader.atEof()).toBe(true);
    expect(await reader.readline()).toBe('');
  });

  it('readline on a byte stream splits on 0x0a', async () => {
    const buf = new ReadBuffer<Uint8Array>({ encoding: null });
    const reader = new SSHReader(buf, { channel: undefined });
    buf.push(Uint8Array.of(1, 10, 2, 3));
    buf.pushEof();
    expect([...(await reader.readline())]).toEqual([1, 10]);
    expect([...(await reader.readline())]).toEqual([2, 3]);
    expect((await reader.readline()).length).toBe(0);
  });

  it('readline throws LimitOverrunError past the limit and leaves the data', async () => {
    const { buf, reader } = textReader({ limit: 4 });
    buf.push(enc.encode('toolong\n'));
    await expect(reader.readline()).rejects.toBeInstanceOf(LimitOverrunError);
    expect(await reader.read(3)).toBe('too');
    expect(await reader.readline()).toBe('long\n');
  });

  it('readuntil takes one separator or several', async () => {
    const { buf, reader } = textReader();
    buf.push(enc.encode('key: value; next, x'));
    buf.pushEof();
    expect(await reader.readuntil(': ')).toBe('key: ');
    expect(await reader.readuntil([',', ';'])).toBe('value;');
    const error = await reader.readuntil('!').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IncompleteReadError);
    expect((error as IncompleteReadError).partial).toBe(' next, x');
  });

  it('readexactly and read delegate to the buffer', async () => {
    const { buf, reader } = textReader();
    buf.push(enc.encode('abcdef'));
    buf.pushEof();
    expect(await reader.readexactly(2)).toBe('ab');
    expect(await reader.read(3)).toBe('cde');
    expect(await reader.read()).toBe('f');
  });

  it('iterates lines until EOF', async () => {
    const { buf, reader } = textReader();
    const got: string[] = [];
    const done = (async () => {
      for await (const line of reader) got.push(line);
    })();
    buf.push(enc.encode('x\ny'));
    await Promise.resolve();
    buf.push(enc.encode('\nz'));
    buf.pushEof();
    await done;
    expect(got).toEqual(['x\n', 'y\n', 'z']);
  });

  it('iteration stops with an exception queued with the data', async () => {
    const { buf, reader } = textReader();
    const signal = new Error('signal');
    buf.push(enc.encode('x\n'));
    buf.pushError(signal);
    const got: string[] = [];
    await expect(
      (async () => {
        for await (const line of reader) got.push(line);
      })(),
    ).rejects.toBe(signal);
    expect(got).toEqual(['x\n']);
  });

  it('validates its limit', () => {
    expect(DEFAULT_READ_LIMIT).toBe(65536);
    expect(() => textReader({ limit: 0 })).toThrow(RangeError);
    expect(() => textReader({ limit: 1.5 })).toThrow(RangeError);
  });
});
