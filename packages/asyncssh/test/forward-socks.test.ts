/**
 * The SOCKS handshake parser (SOCKS 4, 4a, 5 CONNECT, RFC 1928) fed whole and byte by byte, its
 * refusals, and OpenSSH's permitopen/permitlisten matching.
 */
import { describe, expect, it } from 'vitest';
import { MAX_SOCKS_HANDSHAKE, parseSocks, socks4Reply, socks5Reply, type SocksStep } from '../src/forward/socks.ts';
import { permits } from '../src/forward/server-forward.ts';

const bytes = (...parts: (number[] | string)[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...new TextEncoder().encode(p)] : p)));

/** Feeds `input` one byte at a time, as a slow client would; returns every step that was not 'more'. */
function feed(input: Uint8Array): SocksStep[] {
  const steps: SocksStep[] = [];
  let buf = new Uint8Array(0);
  let greeted = false;
  for (const b of input) {
    buf = Uint8Array.from([...buf, b]);
    for (;;) {
      const step = parseSocks(buf, greeted);
      if (step.kind === 'more') break;
      steps.push(step);
      if (step.kind !== 'greeting') return steps;
      greeted = true;
      buf = buf.subarray(step.consumed);
    }
  }
  return steps;
}

describe('SOCKS parser', () => {
  it('parses SOCKS 4 with an IPv4 address and a user id', () => {
    const msg = bytes([4, 1, 0x1f, 0x90, 10, 0, 0, 7], 'alice', [0]);
    expect(parseSocks(msg, false)).toEqual({ kind: 'connect', version: 4, consumed: msg.length, host: '10.0.0.7', port: 8080 });
    expect(feed(msg)).toEqual([{ kind: 'connect', version: 4, consumed: msg.length, host: '10.0.0.7', port: 8080 }]);
  });

  it('parses SOCKS 4a with a host name, leaving data after it', () => {
    const msg = bytes([4, 1, 0, 80, 0, 0, 0, 1, 0], 'example.com', [0]);
    const withData = bytes([...msg], 'GET /');
    expect(parseSocks(withData, false)).toEqual({ kind: 'connect', version: 4, consumed: msg.length, host: 'example.com', port: 80 });
    expect(feed(msg).at(-1)).toMatchObject({ kind: 'connect', host: 'example.com' });
  });

  it('parses SOCKS 5 greetings and requests with IPv4, domain and IPv6 addresses', () => {
    expect(parseSocks(bytes([5, 2, 2, 0]), false)).toEqual({ kind: 'greeting', consumed: 4, reply: Uint8Array.of(5, 0) });
    expect(parseSocks(bytes([5, 1, 0, 1, 127, 0, 0, 1, 0, 22]), true)).toEqual({ kind: 'connect', version: 5, consumed: 10, host: '127.0.0.1', port: 22 });
    const domain = bytes([5, 1, 0, 3, 9], 'localhost', [1, 0xbb]);
    expect(parseSocks(domain, true)).toEqual({ kind: 'connect', version: 5, consumed: domain.length, host: 'localhost', port: 443 });
    const v6 = bytes([5, 1, 0, 4], [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], [0, 80]);
    expect(parseSocks(v6, true)).toMatchObject({ kind: 'connect', host: '2001:db8::1', port: 80, consumed: 22 });
    const whole = bytes([5, 1, 0], [...domain]);
    expect(feed(whole).map((s) => s.kind)).toEqual(['greeting', 'connect']);
  });

  it('names IPv6 destinations as inet_ntop (and so OpenSSH\'s ssh -D) does, which PermitOpen and permitopen= compare as text', () => {
    const v6 = (groups: number[]): string => {
      const address = groups.flatMap((g) => [g >> 8, g & 0xff]);
      const step = parseSocks(bytes([5, 1, 0, 4], address, [0, 80]), true);
      return step.kind === 'connect' ? step.host : step.kind;
    };
    expect(v6([0, 0, 0, 0, 0, 0, 0, 1])).toBe('::1');
    expect(v6([0, 0, 0, 0, 0, 0, 0, 0])).toBe('::');
    expect(v6([0xfe80, 0, 0, 0, 0, 0, 0, 0xabcd])).toBe('fe80::abcd');
    // The longest run of zero groups goes, the first of equal runs, never a single zero group.
    expect(v6([1, 0, 0, 2, 0, 0, 0, 3])).toBe('1:0:0:2::3');
    expect(v6([1, 0, 0, 2, 0, 0, 3, 4])).toBe('1::2:0:0:3:4');
    expect(v6([1, 0, 2, 3, 4, 5, 6, 7])).toBe('1:0:2:3:4:5:6:7');
    expect(v6([0x2001, 0xdb8, 0xabcd, 0xef, 1, 2, 3, 4])).toBe('2001:db8:abcd:ef:1:2:3:4');
    // IPv4-mapped: the IPv4 part dotted.
    expect(v6([0, 0, 0, 0, 0, 0xffff, 0x0a00, 1])).toBe('::ffff:10.0.0.1');
  });

  it('refuses what it does not serve, with the right reply', () => {
    expect(parseSocks(bytes([5, 1, 2]), false)).toEqual({ kind: 'error', message: expect.any(String), reply: Uint8Array.of(5, 0xff) });
    expect(parseSocks(bytes([5, 2, 0, 1, 127, 0, 0, 1, 0, 22]), true)).toMatchObject({ kind: 'error', reply: socks5Reply(7) });
    expect(parseSocks(bytes([5, 1, 0, 9, 0, 0]), true)).toMatchObject({ kind: 'error', reply: socks5Reply(8) });
    expect(parseSocks(bytes([4, 2, 0, 80, 1, 2, 3, 4, 0]), false)).toMatchObject({ kind: 'error', reply: socks4Reply(false) });
    expect(parseSocks(bytes('GET / HTTP/1.1\r\n'), false)).toMatchObject({ kind: 'error' });
    expect(parseSocks(bytes([4, 1, 0, 80, 0, 0, 0, 1], new Array<number>(MAX_SOCKS_HANDSHAKE).fill(0x61)), false)).toMatchObject({ kind: 'error' });
  });

  it('waits for more on every proper prefix', () => {
    const msgs = [bytes([4, 1, 0, 80, 0, 0, 0, 1, 0], 'host', [0]), bytes([5, 1, 0, 3, 4], 'host', [0, 80])];
    for (const [i, msg] of msgs.entries()) {
      for (let n = 0; n < msg.length; n++) expect(parseSocks(msg.subarray(0, n), i === 1).kind).toBe('more');
    }
  });

  it('builds replies', () => {
    expect(socks5Reply(0)).toEqual(Uint8Array.of(5, 0, 0, 1, 0, 0, 0, 0, 0, 0));
    expect(socks4Reply(true)).toEqual(Uint8Array.of(0, 0x5a, 0, 0, 0, 0, 0, 0));
  });
});

describe('permitopen / permitlisten', () => {
  it('allows everything without patterns', () => {
    expect(permits([], 'anything', 1, false)).toBe(true);
  });

  it('matches host and port, with * for either', () => {
    expect(permits(['db.internal:5432'], 'db.internal', 5432, false)).toBe(true);
    expect(permits(['db.internal:5432'], 'DB.internal', 5432, false)).toBe(true);
    expect(permits(['db.internal:5432'], 'db.internal', 5433, false)).toBe(false);
    expect(permits(['db.internal:5432'], 'other', 5432, false)).toBe(false);
    expect(permits(['*:80', '[::1]:22'], 'web', 80, false)).toBe(true);
    expect(permits(['*:80', '[::1]:22'], '::1', 22, false)).toBe(true);
    expect(permits(['host:*'], 'host', 9999, false)).toBe(true);
    expect(permits(['none'], 'host', 22, false)).toBe(false);
  });

  it('takes a bare port in permitlisten as localhost', () => {
    expect(permits(['8080'], 'localhost', 8080, true)).toBe(true);
    // '' asks for every address, which a localhost pattern does not grant.
    expect(permits(['8080'], '', 8080, true)).toBe(false);
    expect(permits(['*:8080'], '', 8080, true)).toBe(true);
    expect(permits(['8080'], '0.0.0.0', 8080, true)).toBe(false);
    expect(permits(['8080'], 'localhost', 8081, true)).toBe(false);
  });
});
