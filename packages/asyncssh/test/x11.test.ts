/**
 * X11 forwarding's parsers: display names (X(7)), the Xauthority format (read back from and
 * written for the real xauth(1)), entry lookup by display number and host family (FamilyLocal,
 * FamilyInternet, FamilyWild), and the X11 connection setup in both byte orders. Malformed input
 * gives X11ForwardingError, never another exception.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { X11ForwardingError } from '../src/index.ts';
import { displayTarget, parseDisplay } from '../src/x11/display.ts';
import { encodeSetup, encodeSetupFailed, parseSetup, replaceAuth } from '../src/x11/setup.ts';
import { XAUTH_FAMILY, addressBytes, encodeXauthority, findXauthEntry, lookupXauth, parseXauthority, type XauthEntry } from '../src/x11/xauth.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'x11-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const cookie = Uint8Array.from({ length: 16 }, (_, i) => i * 7);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('display names', () => {
  it('parses host, display and screen', () => {
    expect(parseDisplay(':0')).toEqual({ host: '', display: 0, screen: 0 });
    expect(parseDisplay('unix:12.3')).toEqual({ host: 'unix', display: 12, screen: 3 });
    expect(parseDisplay('localhost:10.0')).toEqual({ host: 'localhost', display: 10, screen: 0 });
    expect(parseDisplay('[::1]:5')).toEqual({ host: '::1', display: 5, screen: 0 });
    expect(parseDisplay('/private/tmp/launchd/org.xquartz:0')).toEqual({ host: '/private/tmp/launchd/org.xquartz', display: 0, screen: 0 });
  });

  it('maps local displays to /tmp/.X11-unix and others to TCP 6000 + n', () => {
    expect(displayTarget(parseDisplay(':7'))).toEqual({ path: '/tmp/.X11-unix/X7' });
    expect(displayTarget(parseDisplay('unix:7'))).toEqual({ path: '/tmp/.X11-unix/X7' });
    expect(displayTarget(parseDisplay('example.org:2.1'))).toEqual({ host: 'example.org', port: 6002 });
  });

  it('refuses what is not a display', () => {
    for (const bad of ['', 'host', 'host:', 'host:x', ':1.x', 'node::0', ':99999', ':1.2.3']) {
      expect(() => parseDisplay(bad), bad).toThrow(X11ForwardingError);
    }
  });
});

describe('Xauthority files', () => {
  const entries: XauthEntry[] = [
    { family: XAUTH_FAMILY.LOCAL, address: ascii('otherhost'), number: '0', name: 'MIT-MAGIC-COOKIE-1', data: Uint8Array.of(1) },
    { family: XAUTH_FAMILY.LOCAL, address: ascii(os.hostname()), number: '3', name: 'XDM-AUTHORIZATION-1', data: Uint8Array.of(2, 2) },
    { family: XAUTH_FAMILY.LOCAL, address: ascii(os.hostname()), number: '3', name: 'MIT-MAGIC-COOKIE-1', data: cookie },
    { family: XAUTH_FAMILY.INTERNET, address: Uint8Array.of(192, 0, 2, 1), number: '4', name: 'MIT-MAGIC-COOKIE-1', data: Uint8Array.of(4) },
    { family: XAUTH_FAMILY.WILD, address: new Uint8Array(0), number: '9', name: 'MIT-MAGIC-COOKIE-1', data: Uint8Array.of(9) },
  ];

  it('round-trips entries', () => {
    expect(parseXauthority(encodeXauthority(entries))).toEqual(entries);
  });

  it('finds entries by display number and host, MIT-MAGIC-COOKIE-1 first', () => {
    const local = { localName: os.hostname() };
    expect(findXauthEntry(entries, 3, local)?.data).toEqual(cookie);
    expect(findXauthEntry(entries, 0, local)).toBeUndefined();
    expect(findXauthEntry(entries, 4, { addresses: [Uint8Array.of(192, 0, 2, 1)] })?.data).toEqual(Uint8Array.of(4));
    expect(findXauthEntry(entries, 4, local)).toBeUndefined();
    expect(findXauthEntry(entries, 9, {})?.data).toEqual(Uint8Array.of(9));
  });

  it('reads what xauth(1) writes, and xauth reads what we write', async () => {
    const file = path.join(dir, 'from-xauth');
    writeFileSync(file, '', { mode: 0o600 });
    execFileSync('xauth', ['-q', '-f', file, 'add', ':42', 'MIT-MAGIC-COOKIE-1', hex(cookie)]);
    execFileSync('xauth', ['-q', '-f', file, 'add', '192.0.2.7:5', 'MIT-MAGIC-COOKIE-1', 'aabb']);
    const parsed = parseXauthority(readFileSync(file));
    expect(parsed).toContainEqual({ family: XAUTH_FAMILY.LOCAL, address: ascii(os.hostname()), number: '42', name: 'MIT-MAGIC-COOKIE-1', data: cookie });
    expect(parsed).toContainEqual({ family: XAUTH_FAMILY.INTERNET, address: Uint8Array.of(192, 0, 2, 7), number: '5', name: 'MIT-MAGIC-COOKIE-1', data: Uint8Array.of(0xaa, 0xbb) });
    expect(await lookupXauth(file, parseDisplay(':42.1'))).toEqual({ protocol: 'MIT-MAGIC-COOKIE-1', data: cookie });
    expect(await lookupXauth(file, parseDisplay('localhost:42'))).toEqual({ protocol: 'MIT-MAGIC-COOKIE-1', data: cookie });
    expect(await lookupXauth(file, parseDisplay('192.0.2.7:5'))).toEqual({ protocol: 'MIT-MAGIC-COOKIE-1', data: Uint8Array.of(0xaa, 0xbb) });

    const ours = path.join(dir, 'ours');
    writeFileSync(ours, encodeXauthority(entries));
    const listed = execFileSync('xauth', ['-f', ours, 'list'], { encoding: 'utf8' });
    expect(listed).toContain(`${os.hostname()}/unix:3  MIT-MAGIC-COOKIE-1  ${hex(cookie)}`);
    expect(listed).toContain('192.0.2.1:4  MIT-MAGIC-COOKIE-1  04');
  });

  it('gives typed errors for missing files, missing entries and truncated data', async () => {
    await expect(lookupXauth(path.join(dir, 'missing'), parseDisplay(':1'))).rejects.toMatchObject({ reason: 'xauth' });
    const file = path.join(dir, 'one');
    writeFileSync(file, encodeXauthority(entries));
    await expect(lookupXauth(file, parseDisplay(':1'))).rejects.toMatchObject({ reason: 'no-cookie' });
    const full = encodeXauthority(entries);
    for (const cut of [1, 3, 10, full.length - 1]) {
      writeFileSync(file, full.subarray(0, cut));
      const err = await lookupXauth(file, parseDisplay(':3')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(X11ForwardingError);
      expect((err as X11ForwardingError).reason).toBe('xauth');
    }
  });

  it('parses random bytes into entries or X11ForwardingError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          parseXauthority(bytes);
        } catch (err) {
          if (!(err instanceof X11ForwardingError)) throw err;
        }
      }),
    );
  });

  it('reads IPv4 and IPv6 addresses as bytes', () => {
    expect(addressBytes('127.0.0.1')).toEqual(Uint8Array.of(127, 0, 0, 1));
    expect(addressBytes('::1')).toEqual(Uint8Array.of(...new Array<number>(15).fill(0), 1));
    expect(addressBytes('2001:db8::2:1')?.[15]).toBe(1);
    expect(addressBytes('host')).toBeUndefined();
  });
});

describe('X11 connection setup', () => {
  for (const bigEndian of [true, false]) {
    it(`parses and rewrites the setup (${bigEndian ? "'B'" : "'l'"})`, () => {
      const setup = encodeSetup({ bigEndian, major: 11, minor: 0, protocol: 'MIT-MAGIC-COOKIE-1', data: cookie });
      expect(setup.length).toBe(12 + 20 + 16);
      for (let n = 0; n < setup.length; n++) expect(parseSetup(setup.subarray(0, n))).toBeUndefined();
      const parsed = parseSetup(setup);
      expect(parsed).toMatchObject({ bigEndian, major: 11, minor: 0, protocol: 'MIT-MAGIC-COOKIE-1', data: cookie, length: setup.length });
      const real = Uint8Array.of(1, 2, 3, 4, 5);
      const rewritten = replaceAuth(parsed as NonNullable<typeof parsed>, 'MIT-MAGIC-COOKIE-1', real);
      expect(parseSetup(rewritten)).toMatchObject({ bigEndian, protocol: 'MIT-MAGIC-COOKIE-1', data: real, length: 12 + 20 + 8 });
    });
  }

  it('refuses a bad byte-order byte', () => {
    expect(() => parseSetup(Uint8Array.of(0x41))).toThrow(X11ForwardingError);
  });

  it('encodes a Failed reply', () => {
    const reply = encodeSetupFailed(false, 'No');
    expect([...reply]).toEqual([0, 2, 11, 0, 0, 0, 1, 0, 0x4e, 0x6f, 0, 0]);
  });

  it('parses random bytes into a setup, undefined or X11ForwardingError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        try {
          parseSetup(bytes);
        } catch (err) {
          if (!(err instanceof X11ForwardingError)) throw err;
        }
      }),
    );
  });
});
