import { describe, expect, it } from 'vitest';
import { SSHWriter, type WriteSink } from '../src/stream/index.ts';

class RecordingSink implements WriteSink {
  writes: { data: Uint8Array; datatype: number | undefined; transient?: boolean }[] = [];
  eof = false;
  closing = false;
  drains = 0;
  write(data: Uint8Array, datatype: number | undefined, transient?: boolean): void {
    this.writes.push({ data, datatype, ...(transient === undefined ? {} : { transient }) });
  }
  writeEof(): void {
    this.eof = true;
  }
  canWriteEof(): boolean {
    return !this.eof && !this.closing;
  }
  close(): void {
    this.closing = true;
  }
  isClosing(): boolean {
    return this.closing;
  }
  waitClosed(): Promise<void> {
    return Promise.resolve();
  }
  drain(): Promise<void> {
    this.drains++;
    return Promise.resolve();
  }
}

const dec = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

describe('SSHWriter', () => {
  it('encodes strings as UTF-8 and passes bytes through', () => {
    const sink = new RecordingSink();
    const writer = new SSHWriter<string>(sink, { channel: 'chan', encoding: 'utf-8' });
    writer.write('h€llo');
    (writer as SSHWriter<string | Uint8Array>).write(Uint8Array.of(0xff));
    writer.write('');
    expect(sink.writes.map((w) => [...w.data])).toEqual([[...new TextEncoder().encode('h€llo')], [0xff]]);
    expect(sink.writes.every((w) => w.datatype === undefined)).toBe(true);
    expect(writer.channel).toBe('chan');
    expect(writer.encoding).toBe('utf-8');
  });

  it('sends stderr with its data type', () => {
    const sink = new RecordingSink();
    const writer = new SSHWriter<Uint8Array>(sink, { channel: null, encoding: null, datatype: 1 });
    writer.write(Uint8Array.of(1, 2));
    expect(sink.writes).toEqual([{ data: Uint8Array.of(1, 2), datatype: 1 }]);
    expect(writer.datatype).toBe(1);
  });

  it('writeTransient marks its bytes transient and answers whether more may be written now', () => {
    const sink = new RecordingSink();
    const writer = new SSHWriter<Uint8Array>(sink, { channel: null, encoding: null, datatype: 1 });
    // A sink that cannot tell: false, so the caller awaits drain(), which is always safe.
    expect(writer.writeTransient(Uint8Array.of(1))).toBe(false);
    let full = false;
    Object.assign(sink, { needsDrain: () => full });
    expect(writer.writeTransient(Uint8Array.of(2))).toBe(true);
    full = true;
    expect(writer.writeTransient(Uint8Array.of(3))).toBe(false);
    expect(writer.writeTransient(new Uint8Array(0))).toBe(false);
    expect(sink.writes).toEqual([1, 2, 3].map((b) => ({ data: Uint8Array.of(b), datatype: 1, transient: true })));
    expect(() => writer.writeTransient('text' as unknown as Uint8Array)).toThrow(TypeError);
  });

  it('rejects the wrong types with TypeError', () => {
    const sink = new RecordingSink();
    const bytesWriter = new SSHWriter<Uint8Array>(sink, { channel: null, encoding: null });
    expect(() => bytesWriter.write('text' as unknown as Uint8Array)).toThrow(TypeError);
    const textWriter = new SSHWriter<string>(sink, { channel: null, encoding: 'utf-8' });
    expect(() => textWriter.write(42 as unknown as string)).toThrow(TypeError);
    expect(() => textWriter.write(null as unknown as string)).toThrow(TypeError);
    expect(sink.writes).toEqual([]);
  });

  it('strict encoding rejects a lone surrogate; replace sends U+FFFD', () => {
    const sink = new RecordingSink();
    expect(() => new SSHWriter<string>(sink, { channel: null, encoding: 'utf-8' }).write('a\ud800b')).toThrow(TypeError);
    new SSHWriter<string>(sink, { channel: null, encoding: 'UTF8', errors: 'replace' }).write('a\ud800b');
    expect(dec(sink.writes[0]?.data)).toBe('a\ufffdb');
    new SSHWriter<string>(sink, { channel: null, encoding: 'utf-8' }).write('𝄞');
    expect(dec(sink.writes[1]?.data)).toBe('𝄞');
  });

  it('needs an encoder for encodings other than UTF-8', () => {
    const sink = new RecordingSink();
    expect(() => new SSHWriter(sink, { channel: null, encoding: 'latin-1' })).toThrow(RangeError);
    const writer = new SSHWriter<string>(sink, { channel: null, encoding: 'latin-1', encoder: (t) => Uint8Array.from(t, (c) => c.charCodeAt(0)) });
    writer.write('é');
    expect([...(sink.writes[0]?.data ?? [])]).toEqual([0xe9]);
  });

  it('writelines sends one joined write', () => {
    const sink = new RecordingSink();
    const writer = new SSHWriter<string>(sink, { channel: null, encoding: 'utf-8' });
    writer.writelines(['a\n', 'b\n', '']);
    writer.writelines([]);
    expect(sink.writes.map((w) => dec(w.data))).toEqual(['a\nb\n']);
    expect(() => writer.writelines(['ok', 1 as unknown as string])).toThrow(TypeError);
    expect(sink.writes).toHaveLength(1);
  });

  it('delegates EOF, drain and close to the sink', async () => {
    const sink = new RecordingSink();
    const writer = new SSHWriter<string>(sink, { channel: null, encoding: 'utf-8', getExtraInfo: (n) => (n === 'a' ? 1 : undefined) });
    expect(writer.canWriteEof()).toBe(true);
    writer.writeEof();
    expect(sink.eof).toBe(true);
    expect(writer.canWriteEof()).toBe(false);
    await writer.drain();
    expect(sink.drains).toBe(1);
    expect(writer.isClosing()).toBe(false);
    writer.close();
    expect(writer.isClosing()).toBe(true);
    await writer.waitClosed();
    expect(writer.getExtraInfo('a')).toBe(1);
    expect(writer.getExtraInfo('b', 2)).toBe(2);
  });
});
