/** The SCP protocol core: directives, acknowledgements and the sink's checks (CVE-2019-6111). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ScpSinkEvent, ScpAckReader, ScpError, ScpSinkMachine, encodeDirective, encodeScpError, parseDirective } from '../src/index.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function drain(m: ScpSinkMachine): ScpSinkEvent[] {
  const out: ScpSinkEvent[] = [];
  for (let e = m.nextEvent(); e; e = m.nextEvent()) out.push(e);
  return out;
}

describe('SCP directives', () => {
  it('encode and parse', () => {
    expect(new TextDecoder().decode(encodeDirective({ kind: 'file', mode: 0o644, size: 12, name: 'a b.txt' }))).toBe('C0644 12 a b.txt\n');
    expect(new TextDecoder().decode(encodeDirective({ kind: 'dir', mode: 0o755, name: 'd' }))).toBe('D0755 0 d\n');
    expect(new TextDecoder().decode(encodeDirective({ kind: 'times', mtime: 1200000000, atime: 1000000000 }))).toBe('T1200000000 0 1000000000 0\n');
    expect(parseDirective('C0600 5 x')).toEqual({ kind: 'file', mode: 0o600, size: 5, name: 'x' });
    expect(parseDirective('E')).toEqual({ kind: 'end-dir' });
    expect(parseDirective('T1 0 2 0')).toEqual({ kind: 'times', mtime: 1, atime: 2 });
  });

  it('round-trip', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0o7777 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.string({ minLength: 1 }).filter((s) => !s.includes('\n')), (mode, size, name) => {
        const line = new TextDecoder().decode(encodeDirective({ kind: 'file', mode, size, name }));
        expect(parseDirective(line.slice(0, -1))).toEqual({ kind: 'file', mode, size, name });
      }),
    );
  });

  it('malformed lines throw ScpError only', () => {
    for (const l of ['', 'X', 'C644 1 x', 'C0644 -1 x', 'C0644 1', 'D0755 x y', 'T1 0 2', 'E ', 'C0844 1 x', 'C0644 99999999999999999999 x']) {
      expect(() => parseDirective(l), l).toThrow(ScpError);
    }
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          parseDirective(s);
        } catch (e) {
          if (!(e instanceof ScpError)) throw e;
        }
      }),
    );
  });
});

describe('ScpSinkMachine', () => {
  it('receives a tree, byte by byte, with acknowledgements after each step', () => {
    const m = new ScpSinkMachine({ recursive: true });
    m.start();
    expect(m.takeOutput()).toEqual([Uint8Array.of(0)]);
    const steps: Array<[string, (e: ScpSinkEvent[]) => void]> = [
      ['T100 0 200 0\n', (e) => expect(e).toEqual([{ type: 'directive', directive: { kind: 'times', mtime: 100, atime: 200 }, path: [] }])],
      ['D0755 0 top\n', (e) => expect(e).toEqual([{ type: 'directive', directive: { kind: 'dir', mode: 0o755, name: 'top' }, path: ['top'] }])],
      ['C0644 3 f\n', (e) => expect(e).toEqual([{ type: 'directive', directive: { kind: 'file', mode: 0o644, size: 3, name: 'f' }, path: ['top', 'f'] }])],
    ];
    for (const [text, check] of steps) {
      const events: ScpSinkEvent[] = [];
      for (const b of enc(text)) {
        m.receive(Uint8Array.of(b));
        events.push(...drain(m));
      }
      check(events);
      m.accept();
      expect(m.takeOutput()).toEqual([Uint8Array.of(0)]);
    }
    m.receive(Uint8Array.of(0x61, 0x62, 0x63, 0));
    expect(drain(m)).toEqual([{ type: 'data', data: Uint8Array.of(0x61, 0x62, 0x63) }, { type: 'file-end' }]);
    m.accept();
    m.receive(enc('E\n'));
    expect(drain(m)).toEqual([{ type: 'directive', directive: { kind: 'end-dir' }, path: ['top'] }]);
    m.accept();
    m.receiveEnd();
    expect(drain(m)).toEqual([]);
  });

  it.each(['C0644 1 ../evil\n', 'C0644 1 /etc/passwd\n', 'C0644 1 a/b\n', 'C0644 1 ..\n', 'D0755 0 .\n', 'C0644 1 \u001b[2J\n', 'C0644 1 \n'])('refuses %j with a fatal error', (line) => {
    const m = new ScpSinkMachine({ recursive: true });
    m.start();
    m.takeOutput();
    m.receive(enc(line));
    const events = drain(m);
    expect(events).toHaveLength(1);
    expect(events[0]?.type).toBe('error');
    expect(m.closed).toBe(true);
    expect(m.takeOutput()?.[0]?.[0]).toBe(2);
  });

  it('refuses directories unless recursive, and names other than those asked for', () => {
    const a = new ScpSinkMachine();
    a.receive(enc('D0755 0 d\n'));
    expect(drain(a)[0]?.type).toBe('error');
    const b = new ScpSinkMachine({ expectedNames: ['wanted.txt'] });
    b.receive(enc('C0644 1 other.txt\n'));
    expect(drain(b)[0]?.type).toBe('error');
    const c = new ScpSinkMachine({ expectedNames: ['wanted.txt'] });
    c.receive(enc('C0644 1 wanted.txt\n'));
    expect(drain(c)[0]?.type).toBe('directive');
  });

  it('keeps bytes sent before its acknowledgement and handles them after', () => {
    const m = new ScpSinkMachine();
    m.receive(enc('C0644 1 x\nA\u0000C0644 0 y\n'));
    expect(drain(m).map((x) => x.type)).toEqual(['directive']);
    m.accept();
    expect(drain(m).map((x) => x.type)).toEqual(['data', 'file-end']);
    m.accept();
    expect(drain(m)).toMatchObject([{ type: 'directive', directive: { kind: 'file', name: 'y' } }]);
  });

  it('refuses E without D, overlong lines, too much sent early, and a missing end marker', () => {
    const e = new ScpSinkMachine();
    e.receive(enc('E\n'));
    expect(drain(e)[0]?.type).toBe('error');
    const long = new ScpSinkMachine();
    long.receive(new Uint8Array(5000).fill(0x43));
    expect(drain(long)[0]?.type).toBe('error');
    const early = new ScpSinkMachine();
    early.receive(enc('C0644 1 x\n'));
    early.receive(new Uint8Array(2 << 20));
    expect(drain(early).map((x) => x.type)).toEqual(['directive', 'error']);
    const marker = new ScpSinkMachine();
    marker.receive(enc('C0644 1 x\n'));
    marker.accept();
    marker.receive(enc('AZ'));
    expect(drain(marker).map((x) => x.type)).toEqual(['directive', 'data', 'error']);
  });

  it('reports source errors and a stream cut mid-file', () => {
    const m = new ScpSinkMachine();
    m.receive(encodeScpError('scp: x: No such file', false));
    expect(drain(m)).toEqual([{ type: 'peer-error', message: 'scp: x: No such file', fatal: false }]);
    const cut = new ScpSinkMachine();
    cut.receive(enc('C0644 10 x\n'));
    cut.accept();
    cut.receive(enc('abc'));
    cut.receiveEnd();
    expect(drain(cut).map((x) => x.type)).toEqual(['directive', 'data', 'error']);
  });

  it('never throws on random input', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 10 }), (chunks) => {
        const m = new ScpSinkMachine({ recursive: true });
        for (const c of chunks) {
          m.receive(c);
          for (let e = m.nextEvent(); e; e = m.nextEvent()) if (e.type === 'directive' || e.type === 'file-end') m.accept();
        }
        m.receiveEnd();
      }),
    );
  });
});

describe('ScpAckReader', () => {
  it('reads OKs, warnings and fatal errors', () => {
    const r = new ScpAckReader();
    r.receive(Uint8Array.of(0, 1, 0x61, 0x0a, 2));
    r.receive(enc('bad\n'));
    expect([r.next(), r.next(), r.next(), r.next()]).toEqual([{ ok: true }, { ok: false, message: 'a', fatal: false }, { ok: false, message: 'bad', fatal: true }, undefined]);
  });
});
