import { describe, expect, it } from 'vitest';
import { collectedAfterGc } from '@ssh/interop';
import { ConcurrentReadError, IncompleteReadError, LimitOverrunError, ReadBuffer, StreamDecodeError } from '../src/stream/index.ts';

const enc = new TextEncoder();
const bytes = (s: string): Uint8Array => enc.encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A buffer that records what reads report consumed. */
function tracked<T extends string | Uint8Array>(encoding: string | null, errors?: 'strict' | 'replace'): { buf: ReadBuffer<T>; consumed: () => number } {
  let consumed = 0;
  const buf = new ReadBuffer<T>({ encoding, ...(errors === undefined ? {} : { errors }), onConsumed: (n) => (consumed += n) });
  return { buf, consumed: () => consumed };
}

/** Every way of cutting `data` into up to three pieces. */
function* splits(data: Uint8Array): Generator<Uint8Array[]> {
  for (let i = 0; i <= data.length; i++) {
    for (let j = i; j <= data.length; j++) yield [data.subarray(0, i), data.subarray(i, j), data.subarray(j)];
  }
}

async function lines<T extends string | Uint8Array>(buf: ReadBuffer<T>, nl: T): Promise<T[]> {
  const out: T[] = [];
  for (;;) {
    try {
      out.push(await buf.readUntil([nl], 1 << 20));
    } catch (error) {
      if (!(error instanceof IncompleteReadError)) throw error;
      if (error.partial.length > 0) out.push(error.partial as T);
      return out;
    }
  }
}

describe('ReadBuffer: chunking', () => {
  const sample = 'ab\nhé€\n\n𝄞x\nlast';

  it('text lines are the same at every split point, including inside a UTF-8 character', async () => {
    const data = bytes(sample);
    for (const pieces of splits(data)) {
      const { buf, consumed } = tracked<string>('utf-8');
      for (const p of pieces) buf.push(p);
      buf.pushEof();
      expect(await lines(buf, '\n')).toEqual(['ab\n', 'hé€\n', '\n', '𝄞x\n', 'last']);
      expect(buf.atEof()).toBe(true);
      expect(consumed()).toBe(data.length);
      expect(buf.buffered).toBe(0);
    }
  });

  it('bytes lines are the same at every split point', async () => {
    const data = bytes(sample);
    for (const pieces of splits(data)) {
      const { buf, consumed } = tracked<Uint8Array>(null);
      for (const p of pieces) buf.push(p);
      buf.pushEof();
      const got = await lines(buf, Uint8Array.of(10));
      expect(got.map(text)).toEqual(['ab\n', 'hé€\n', '\n', '𝄞x\n', 'last']);
      expect(consumed()).toBe(data.length);
    }
  });

  it('read(n) counts characters in text mode and returns whole characters at every split', async () => {
    const data = bytes(sample);
    for (const pieces of splits(data)) {
      const buf = new ReadBuffer<string>({ encoding: 'utf-8' });
      for (const p of pieces) buf.push(p);
      buf.pushEof();
      let out = '';
      for (let part = await buf.read(3); part.length > 0; part = await buf.read(3)) {
        expect(part.length).toBeLessThanOrEqual(3);
        out += part;
      }
      expect(out).toBe(sample);
    }
  });

  it('readExactly in both modes at every split', async () => {
    const data = bytes(sample);
    for (const pieces of splits(data)) {
      const t = new ReadBuffer<string>({ encoding: 'utf-8' });
      const b = new ReadBuffer<Uint8Array>({ encoding: null });
      for (const p of pieces) {
        t.push(p);
        b.push(p);
      }
      t.pushEof();
      b.pushEof();
      expect(await t.readExactly(4)).toBe('ab\nh');
      expect(await t.readExactly(sample.length - 5)).toBe(sample.slice(4, -1));
      expect(text(await b.readExactly(6))).toBe('ab\nh\u00e9');
      expect(text(await b.readExactly(data.length - 6))).toBe(sample.slice(5));
    }
  });

  it('a separator split across chunks is found', async () => {
    const buf = new ReadBuffer<string>({ encoding: 'utf-8' });
    const p = buf.readUntil(['\r\n\r\n'], 1000);
    for (const c of ['head', '\r', '\n\r', '\n', 'body']) buf.push(bytes(c));
    expect(await p).toBe('head\r\n\r\n');
    expect(await buf.read(100)).toBe('body');
  });

  it('read() to EOF collects many small chunks in order', async () => {
    const { buf, consumed } = tracked<Uint8Array>(null);
    const all = buf.read();
    let expected = '';
    for (let i = 0; i < 5000; i++) {
      buf.push(bytes(`${i},`));
      expected += `${i},`;
      if (i % 100 === 0) await Promise.resolve();
    }
    buf.pushEof();
    expect(text(await all)).toBe(expected);
    expect(consumed()).toBe(expected.length);
  });
});

describe('ReadBuffer: readUntil', () => {
  it('with several separators returns the shortest result', async () => {
    const buf = new ReadBuffer<string>({ encoding: 'utf-8' });
    buf.push(bytes('abc;def,ghi'));
    expect(await buf.readUntil([',', ';'], 100)).toBe('abc;');
    expect(await buf.readUntil([',', ';'], 100)).toBe('def,');
  });

  it('the shortest result wins over the match that starts first', async () => {
    const buf = new ReadBuffer<string>({ encoding: 'utf-8' });
    buf.push(bytes('xabcd'));
    expect(await buf.readUntil(['abcd', 'c'], 100)).toBe('xabc');
  });

  it('on a tie prefers the longer separator', async () => {
    const buf = new ReadBuffer<string>({ encoding: 'utf-8' });
    buf.push(bytes('ab\r\ncd'));
    expect(await buf.readUntil(['\n', '\r\n'], 100)).toBe('ab\r\n');
  });

  it('at EOF without the separator consumes and reports the partial data', async () => {
    const { buf, consumed } = tracked<string>('utf-8');
    buf.push(bytes('no newline'));
    buf.pushEof();
    const error = await buf.readUntil(['\n'], 100).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IncompleteReadError);
    expect((error as IncompleteReadError).partial).toBe('no newline');
    expect((error as IncompleteReadError).expected).toBeUndefined();
    expect(consumed()).toBe(10);
    const again = await buf.readUntil(['\n'], 100).catch((e: unknown) => e);
    expect((again as IncompleteReadError).partial).toBe('');
  });

  it('throws LimitOverrunError and keeps the data when no separator starts within the limit', async () => {
    for (const cut of [1, 3, 7, 100]) {
      const { buf, consumed } = tracked<string>('utf-8');
      const data = bytes('0123456789abcdef\n');
      for (let i = 0; i < data.length; i += cut) buf.push(data.subarray(i, i + cut));
      const error = await buf.readUntil(['\n'], 8).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LimitOverrunError);
      expect(consumed()).toBe(0);
      expect(await buf.read(100)).toBe('0123456789abcdef\n');
    }
  });

  it('the limit bounds where the separator starts, whatever the chunking', async () => {
    for (const cut of [1, 2, 5, 100]) {
      const ok = new ReadBuffer<string>({ encoding: 'utf-8' });
      const data = bytes('12345678\n12345678X\n');
      for (let i = 0; i < data.length; i += cut) ok.push(data.subarray(i, i + cut));
      expect(await ok.readUntil(['\n'], 8)).toBe('12345678\n');
      await expect(ok.readUntil(['\n'], 8)).rejects.toBeInstanceOf(LimitOverrunError);
    }
  });

  it('fails without the limit being reached when a line waits', async () => {
    const buf = new ReadBuffer<string>({ encoding: 'utf-8' });
    const p = buf.readUntil(['\n'], 8);
    buf.push(bytes('1234567'));
    buf.push(bytes('8'));
    await Promise.resolve();
    buf.push(bytes('9'));
    await expect(p).rejects.toBeInstanceOf(LimitOverrunError);
  });

  it('rejects empty or mistyped separators', async () => {
    const buf = new ReadBuffer<string>({ encoding: 'utf-8' });
    await expect(buf.readUntil([''], 10)).rejects.toBeInstanceOf(RangeError);
    await expect(buf.readUntil([], 10)).rejects.toBeInstanceOf(RangeError);
    await expect(buf.readUntil([Uint8Array.of(10) as unknown as string], 10)).rejects.toBeInstanceOf(TypeError);
  });
});

describe('ReadBuffer: EOF', () => {
  it('read returns queued data then the empty value, repeatedly', async () => {
    const buf = new ReadBuffer<Uint8Array>({ encoding: null });
    buf.push(bytes('xy'));
    buf.pushEof();
    expect(buf.atEof()).toBe(false);
    expect(text(await buf.read())).toBe('xy');
    expect(buf.atEof()).toBe(true);
    expect((await buf.read()).length).toBe(0);
    expect((await buf.read(5)).length).toBe(0);
    await expect(buf.read(2.5)).rejects.toBeInstanceOf(RangeError);
    await expect(buf.read(Infinity)).rejects.toBeInstanceOf(RangeError);
  });

  it('a pending read is woken by EOF', async () => {
    const buf = new ReadBuffer<string>({ encoding: 'utf-8' });
    const p = buf.read(10);
    buf.pushEof();
    expect(await p).toBe('');
  });

  it('read(n) returns what is there without waiting for n', async () => {
    const buf = new ReadBuffer<string>({ encoding: 'utf-8' });
    buf.push(bytes('abc'));
    expect(await buf.read(100)).toBe('abc');
    expect(await buf.read(0)).toBe('');
  });

  it('readExactly at EOF throws IncompleteReadError with what it consumed', async () => {
    const { buf, consumed } = tracked<Uint8Array>(null);
    buf.push(bytes('abc'));
    buf.pushEof();
    const error = await buf.readExactly(5).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IncompleteReadError);
    expect(text((error as IncompleteReadError<Uint8Array>).partial)).toBe('abc');
    expect((error as IncompleteReadError).expected).toBe(5);
    expect(consumed()).toBe(3);
    expect(buf.atEof()).toBe(true);
    await expect(buf.readExactly(-1)).rejects.toBeInstanceOf(RangeError);
  });

  it('data after EOF is dropped and acknowledged', async () => {
    const { buf, consumed } = tracked<Uint8Array>(null);
    buf.pushEof();
    buf.push(bytes('late'));
    expect(consumed()).toBe(4);
    expect((await buf.read()).length).toBe(0);
  });
});

describe('ReadBuffer: exceptions in order', () => {
  const boom = new Error('break received');

  it('read returns the data before the exception, throws it once, then goes on', async () => {
    const buf = new ReadBuffer<string>({ encoding: 'utf-8' });
    buf.push(bytes('abc'));
    buf.pushError(boom);
    buf.push(bytes('def'));
    buf.pushEof();
    expect(buf.atEof()).toBe(false);
    expect(await buf.read()).toBe('abc');
    await expect(buf.read()).rejects.toBe(boom);
    expect(await buf.read()).toBe('def');
    expect(await buf.read()).toBe('');
  });

  it('a pending read sees the exception', async () => {
    const buf = new ReadBuffer<string>({ encoding: 'utf-8' });
    const p = buf.read(5);
    buf.pushError(boom);
    await expect(p).rejects.toBe(boom);
  });

  it('readUntil returns the partial line through IncompleteReadError, then the exception', async () => {
    const buf = new ReadBuffer<string>({ encoding: 'utf-8' });
    buf.push(bytes('one\ntw'));
    buf.pushError(boom);
    buf.push(bytes('o\n'));
    expect(await buf.readUntil(['\n'], 100)).toBe('one\n');
    const error = await buf.readUntil(['\n'], 100).catch((e: unknown) => e);
    expect((error as IncompleteReadError).partial).toBe('tw');
    expect((error as IncompleteReadError).cause).toBe(boom);
    await expect(buf.readUntil(['\n'], 100)).rejects.toBe(boom);
    expect(await buf.readUntil(['\n'], 100)).toBe('o\n');
  });

  it('readExactly stops at the exception', async () => {
    const buf = new ReadBuffer<Uint8Array>({ encoding: null });
    buf.push(bytes('ab'));
    buf.pushError(boom);
    const error = await buf.readExactly(4).catch((e: unknown) => e);
    expect(text((error as IncompleteReadError<Uint8Array>).partial)).toBe('ab');
    await expect(buf.readExactly(4)).rejects.toBe(boom);
  });
});

describe('ReadBuffer: fail', () => {
  const lost = new Error('connection lost');

  it('reads return queued data, then every read throws the failure', async () => {
    const buf = new ReadBuffer<string>({ encoding: 'utf-8' });
    buf.push(bytes('abc'));
    buf.fail(lost);
    expect(buf.failed).toBe(true);
    expect(await buf.read(10)).toBe('abc');
    await expect(buf.read(10)).rejects.toBe(lost);
    await expect(buf.readUntil(['\n'], 10)).rejects.toBe(lost);
    await expect(buf.readExactly(1)).rejects.toBe(lost);
    expect(buf.atEof()).toBe(false);
  });

  it('rejects a pending read', async () => {
    const buf = new ReadBuffer<string>({ encoding: 'utf-8' });
    const p = buf.readUntil(['\n'], 10);
    buf.fail(lost);
    await expect(p).rejects.toBe(lost);
  });

  it('read() to EOF returns the partial data, then the failure', async () => {
    const buf = new ReadBuffer<string>({ encoding: 'utf-8' });
    const p = buf.read();
    buf.push(bytes('part'));
    await Promise.resolve();
    buf.fail(lost);
    expect(await p).toBe('part');
    await expect(buf.read()).rejects.toBe(lost);
  });

  it('is ignored after EOF: the stream is complete', async () => {
    const buf = new ReadBuffer<string>({ encoding: 'utf-8' });
    buf.push(bytes('all'));
    buf.pushEof();
    buf.fail(lost);
    expect(await buf.read()).toBe('all');
    expect(buf.atEof()).toBe(true);
  });
});

describe('ReadBuffer: decoding', () => {
  it('strict: text before the bad chunk is read, then every read throws StreamDecodeError', async () => {
    const { buf, consumed } = tracked<string>('utf-8');
    buf.push(bytes('good'));
    buf.push(Uint8Array.of(0x61, 0xff, 0x62));
    buf.push(bytes('more'));
    expect(await buf.read()).toBe('good');
    await expect(buf.read()).rejects.toBeInstanceOf(StreamDecodeError);
    await expect(buf.read()).rejects.toBeInstanceOf(StreamDecodeError);
    expect(consumed()).toBe(11);
    expect(buf.buffered).toBe(0);
  });

  it('strict: a character cut off by EOF is an error', async () => {
    const buf = new ReadBuffer<string>({ encoding: 'utf-8' });
    buf.push(bytes('ok€').subarray(0, 4));
    buf.pushEof();
    expect(await buf.read(2)).toBe('ok');
    await expect(buf.read()).rejects.toBeInstanceOf(StreamDecodeError);
    expect(buf.atEof()).toBe(false);
  });

  it('replace: bad bytes and a cut-off character become U+FFFD', async () => {
    const { buf, consumed } = tracked<string>('utf-8', 'replace');
    buf.push(Uint8Array.of(0x61, 0xff, 0x62));
    buf.push(bytes('€').subarray(0, 2));
    buf.pushEof();
    expect(await buf.read()).toBe('a\ufffdb\ufffd');
    expect(consumed()).toBe(5);
  });

  it('other WHATWG encodings decode', async () => {
    const buf = new ReadBuffer<string>({ encoding: 'utf-16le' });
    buf.push(Uint8Array.of(0x68, 0x00, 0x69));
    buf.push(Uint8Array.of(0x00, 0x0a, 0x00));
    buf.pushEof();
    expect(await buf.readUntil(['\n'], 10)).toBe('hi\n');
    expect(() => new ReadBuffer({ encoding: 'no-such-encoding' })).toThrow(RangeError);
  });

  it('takes a decoder of its own', async () => {
    // A latin-1 decoder mapping every byte to the same code point (TextDecoder's 'latin1' is windows-1252).
    const latin1 = { encoding: 'iso-8859-1', decode: (input?: Uint8Array) => String.fromCharCode(...(input ?? [])) };
    const buf = new ReadBuffer<string>({ encoding: 'latin-1', decoder: latin1 });
    buf.push(Uint8Array.of(0x80, 0xe9, 0x0a));
    buf.pushEof();
    expect(await buf.readUntil(['\n'], 10)).toBe('\u0080\u00e9\n');
  });
});

describe('ReadBuffer: flow control', () => {
  it('only bytes that reads take are reported consumed', async () => {
    const { buf, consumed } = tracked<Uint8Array>(null);
    buf.push(new Uint8Array(100));
    expect(buf.buffered).toBe(100);
    await buf.read(10);
    expect(consumed()).toBe(10);
    expect(buf.buffered).toBe(90);
    await buf.readExactly(50);
    expect(consumed()).toBe(60);
  });

  it('text reads account bytes: sums match for every read size', async () => {
    const data = bytes('añ€𝄞\n'.repeat(50));
    for (const size of [1, 2, 3, 5, 17]) {
      const { buf, consumed } = tracked<string>('utf-8');
      for (let i = 0; i < data.length; i += 7) buf.push(data.subarray(i, i + 7));
      buf.pushEof();
      let last = 0;
      while ((await buf.read(size)).length > 0) {
        expect(consumed()).toBeGreaterThanOrEqual(last);
        expect(consumed() + buf.buffered).toBe(data.length);
        last = consumed();
      }
      expect(consumed()).toBe(data.length);
    }
  });

  it('a producer pushing only what onConsumed allows never exceeds its window', async () => {
    const window = 1000;
    const total = 200_000;
    let sent = 0;
    let credit = window;
    let maxBuffered = 0;
    const buf: ReadBuffer<string> = new ReadBuffer<string>({
      encoding: 'utf-8',
      onConsumed: (n) => {
        credit += n;
        queueMicrotask(pump);
      },
    });
    const line = bytes('0123456789abcdefghi\n'); // 20 bytes
    function pump(): void {
      while (credit >= 20 && sent < total) {
        // Packets of up to 3 lines, cut at an odd offset.
        const n = Math.min(Math.floor(credit / 20), 3, (total - sent) / 20);
        const packet = new Uint8Array(n * 20);
        for (let i = 0; i < n; i++) packet.set(line, i * 20);
        buf.push(packet.subarray(0, 7));
        buf.push(packet.subarray(7));
        credit -= packet.length;
        sent += packet.length;
        maxBuffered = Math.max(maxBuffered, buf.buffered);
      }
      if (sent === total) buf.pushEof();
    }
    pump();
    const got = await lines(buf, '\n');
    expect(got.length).toBe(total / 20);
    expect(got.every((l) => l === '0123456789abcdefghi\n')).toBe(true);
    expect(maxBuffered).toBeLessThanOrEqual(window);
    expect(maxBuffered).toBeGreaterThan(window / 2);
  });

  it('a producer pushing synchronously from onConsumed does not stall a waiting read', async () => {
    let pushed = 0;
    const buf: ReadBuffer<Uint8Array> = new ReadBuffer<Uint8Array>({
      encoding: null,
      onConsumed: () => {
        if (pushed < 10) {
          pushed++;
          buf.push(Uint8Array.of(pushed));
        } else buf.pushEof();
      },
    });
    buf.push(Uint8Array.of(0));
    const all = await buf.readExactly(11);
    expect([...all]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});

describe('ReadBuffer: one read at a time', () => {
  it('a second concurrent read throws ConcurrentReadError and the first still completes', async () => {
    const buf = new ReadBuffer<string>({ encoding: 'utf-8' });
    const first = buf.readUntil(['\n'], 100);
    await expect(buf.read()).rejects.toBeInstanceOf(ConcurrentReadError);
    await expect(buf.readExactly(1)).rejects.toBeInstanceOf(ConcurrentReadError);
    await expect(buf.readUntil(['x'], 100)).rejects.toBeInstanceOf(ConcurrentReadError);
    buf.push(bytes('line\nrest'));
    expect(await first).toBe('line\n');
    expect(await buf.read(100)).toBe('rest');
  });
});

describe('ReadBuffer: memory', () => {
  it('lets go of a chunk once a read took it, while later chunks stay queued', async () => {
    const buf = new ReadBuffer<Uint8Array>({ encoding: null });
    const refs: WeakRef<Uint8Array>[] = [];
    // The queue never empties: a reader a chunk behind its peer keeps it that way.
    for (let i = 0; i < 3; i++) {
      const chunk = new Uint8Array(1024);
      refs.push(new WeakRef(chunk));
      buf.push(chunk);
    }
    for (let i = 0; i < 2; i++) expect((await buf.read(4096)).length).toBe(1024);
    expect(await collectedAfterGc(refs[0] as WeakRef<Uint8Array>)).toBe(true);
    expect(await collectedAfterGc(refs[1] as WeakRef<Uint8Array>)).toBe(true);
    expect(await collectedAfterGc(refs[2] as WeakRef<Uint8Array>)).toBe(false);
    expect(buf.buffered).toBe(1024);
  });

  it('lets go of an exception once a read threw it', async () => {
    const buf = new ReadBuffer<Uint8Array>({ encoding: null });
    let ref: WeakRef<Error> | undefined;
    (() => {
      const error = new Error('in band');
      ref = new WeakRef(error);
      buf.pushError(error);
    })();
    buf.push(new Uint8Array(8));
    const thrown = await buf.read(10).then(
      () => 'nothing thrown',
      (error: unknown) => (error as Error).message,
    );
    expect(thrown).toBe('in band');
    expect(await collectedAfterGc(ref as WeakRef<Error>)).toBe(true);
    expect((await buf.read(10)).length).toBe(8);
  });
});

describe('ReadBuffer: releaseChunk', () => {
  function recycling(): { buf: ReadBuffer<Uint8Array>; recycled: Uint8Array[] } {
    const recycled: Uint8Array[] = [];
    return { buf: new ReadBuffer<Uint8Array>({ encoding: null, recycle: (c) => recycled.push(c) }), recycled };
  }

  it('recycles only the last chunk a read took whole, once', async () => {
    const { buf, recycled } = recycling();
    buf.push(bytes('first'));
    buf.push(bytes('second'));
    const first = await buf.read(100);
    const second = await buf.read(100);
    buf.releaseChunk(first);
    expect(recycled).toEqual([]);
    buf.releaseChunk(second);
    buf.releaseChunk(second);
    expect(recycled).toEqual([second]);
  });

  it('never recycles parts, joined reads or chunks pushed as not owned', async () => {
    const { buf, recycled } = recycling();
    buf.push(bytes('abcdef'));
    const part = await buf.read(2);
    buf.releaseChunk(part);
    buf.releaseChunk(await buf.read(100));
    buf.push(bytes('gh'));
    buf.push(bytes('ij'));
    buf.releaseChunk(await buf.readExactly(4));
    buf.push(bytes('shared'), false);
    buf.releaseChunk(await buf.read(100));
    expect(recycled).toEqual([]);
  });
});
