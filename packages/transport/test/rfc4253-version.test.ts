/** Version exchange, RFC 4253 §4.2: identification lines, pre-banner lines, limits, chunking. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VersionExchange, VersionExchangeError, formatIdentification } from '../src/index.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function feed(role: 'client' | 'server', input: Uint8Array, chunks: number[] = [input.length]): VersionExchange {
  const vx = new VersionExchange(role);
  let pos = 0;
  for (const n of chunks) {
    vx.receive(input.subarray(pos, pos + n));
    pos += n;
  }
  if (pos < input.length) vx.receive(input.subarray(pos));
  return vx;
}

function failure(fn: () => unknown): VersionExchangeError {
  try {
    fn();
  } catch (e) {
    if (e instanceof VersionExchangeError) return e;
    throw e;
  }
  throw new Error('expected a VersionExchangeError');
}

describe('formatIdentification', () => {
  it('builds the line with CR LF and optional comments', () => {
    expect(formatIdentification('ssh_ts_0.1')).toBe('SSH-2.0-ssh_ts_0.1\r\n');
    expect(formatIdentification('x_1', 'hello world')).toBe('SSH-2.0-x_1 hello world\r\n');
  });
  it('refuses spaces, minus signs and overlong lines', () => {
    expect(() => formatIdentification('a b')).toThrow(RangeError);
    expect(() => formatIdentification('a-b')).toThrow(RangeError);
    expect(() => formatIdentification('x', 'c'.repeat(300))).toThrow(RangeError);
  });
});

describe('VersionExchange', () => {
  it('parses an OpenSSH identification and keeps the bytes after it', () => {
    const vx = feed('client', enc('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n\x00\x00\x01\x0c'));
    expect(vx.identification).toMatchObject({
      line: 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3',
      protoVersion: '2.0',
      softwareVersion: 'OpenSSH_9.2p1',
      comments: 'Debian-2+deb12u3',
      preBanner: [],
    });
    expect([...vx.takeRest()]).toEqual([0, 0, 1, 12]);
  });

  it('accepts 1.99, LF-only endings and lines a server sends before its identification', () => {
    const vx = feed('client', enc('Welcome\r\nsecond line\nSSH-1.99-Server\n'));
    expect(vx.identification).toMatchObject({ protoVersion: '1.99', softwareVersion: 'Server', preBanner: ['Welcome', 'second line'] });
  });

  it('gives the same result however the input is split', () => {
    const input = enc('banner\r\nSSH-2.0-Peer_1.0 c\r\nREST');
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: input.length }), { maxLength: 12 }), (cuts) => {
        const vx = feed('client', input, cuts);
        expect(vx.identification?.line).toBe('SSH-2.0-Peer_1.0 c');
        expect(new TextDecoder().decode(vx.takeRest())).toBe('REST');
      }),
    );
  });

  it('is incomplete until the line ends', () => {
    const vx = feed('server', enc('SSH-2.0-Peer'));
    expect(vx.identification).toBeUndefined();
    vx.receive(enc('\r\n'));
    expect(vx.identification?.softwareVersion).toBe('Peer');
  });

  it('refuses lines before the identification on the server side', () => {
    expect(failure(() => feed('server', enc('hello\r\nSSH-2.0-x\r\n'))).reason).toBe(2);
  });

  it('refuses SSH 1 and unknown protocol versions with reason 8', () => {
    expect(failure(() => feed('client', enc('SSH-1.5-old\r\n'))).reason).toBe(8);
    expect(failure(() => feed('client', enc('SSH-3.0-new\r\n'))).reason).toBe(8);
  });

  it('refuses malformed identifications', () => {
    for (const line of ['SSH-2.0-\r\n', 'SSH-2.0\r\n', 'SSH-2.0-a\tb\r\n', 'SSH-2.0-caf\xe9\r\n']) {
      expect(failure(() => feed('client', Uint8Array.from(line, (c) => c.charCodeAt(0)))).reason).toBe(2);
    }
  });

  it('bounds the identification line, pre-banner lines and their number', () => {
    expect(failure(() => feed('server', enc(`SSH-2.0-${'x'.repeat(300)}`))).message).toMatch(/too long/);
    expect(failure(() => feed('client', enc(`SSH-2.0-${'x'.repeat(250)}\r\n`))).message).toMatch(/too long/);
    expect(failure(() => feed('client', enc('y'.repeat(9000)))).message).toMatch(/too long/);
    expect(failure(() => feed('client', enc('line\r\n'.repeat(1025)))).message).toMatch(/too many/);
  });

  it('gives the same verdict on an overlong line however its bytes are cut', () => {
    for (const [role, text] of [
      ['server', `junk${'z'.repeat(300)}\r\n`],
      ['server', `SSH-2.0-${'x'.repeat(300)}\r\n`],
      ['client', `${'y'.repeat(9000)}\r\n`],
    ] as const) {
      const bytes = enc(text);
      const whole = failure(() => new VersionExchange(role).receive(bytes)).message;
      const cut = failure(() => {
        const vx = new VersionExchange(role);
        for (let i = 0; i < bytes.length; i += 100) vx.receive(bytes.subarray(i, i + 100));
      }).message;
      expect(cut).toBe(whole);
      expect(whole).toMatch(text.startsWith('SSH-') ? /^.*identification line too long/ : /line before the identification too long/);
    }
  });

  it('stays linear when a hostile server trickles bytes one at a time', () => {
    const vx = new VersionExchange('client');
    const line = enc(`${'z'.repeat(8000)}\n`);
    for (let i = 0; i < 50; i++) for (let j = 0; j < line.length; j += 1) vx.receive(line.subarray(j, j + 1));
    expect(vx.identification).toBeUndefined();
  });
});
