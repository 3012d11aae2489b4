/**
 * The Xauthority file (libXau's format, read by Xlib and written by xauth(1)): a sequence of
 * entries, each a 16-bit big-endian address family followed by four 16-bit length-prefixed
 * fields: the address, the display number (decimal ASCII), the authorization protocol name and
 * its data. An entry is looked up by display number and by the display's host: FamilyLocal
 * entries carry the local host name, FamilyInternet / FamilyInternet6 ones an address, and
 * FamilyWild ones match any host.
 * @module
 */

import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { X11ForwardingError } from './errors.ts';
import { isLocalDisplay, type X11Display } from './display.ts';

/** Address families of Xauthority entries (X.h / Xauth.h). */
export const XAUTH_FAMILY = {
  INTERNET: 0,
  DECNET: 1,
  CHAOS: 2,
  SERVER_INTERPRETED: 5,
  INTERNET6: 6,
  LOCAL_HOST: 252,
  KRB5_PRINCIPAL: 253,
  NETNAME: 254,
  LOCAL: 256,
  WILD: 65535,
} as const;

/** The protocol whose cookies X11 forwarding replaces. */
export const MIT_MAGIC_COOKIE = 'MIT-MAGIC-COOKIE-1';

export interface XauthEntry {
  readonly family: number;
  /** The host: a name for FamilyLocal, address bytes for the Internet families. */
  readonly address: Uint8Array;
  /** The display number as written (decimal); '' matches any display. */
  readonly number: string;
  /** The authorization protocol, e.g. MIT-MAGIC-COOKIE-1. */
  readonly name: string;
  readonly data: Uint8Array;
}

/** Parses an Xauthority file; throws X11ForwardingError('xauth') on a truncated entry. */
export function parseXauthority(bytes: Uint8Array): XauthEntry[] {
  const entries: XauthEntry[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 0;
  const truncated = (): X11ForwardingError => new X11ForwardingError('xauth', `malformed Xauthority data: entry ${entries.length + 1} is truncated at byte ${off}`);
  const u16 = (): number => {
    if (off + 2 > bytes.length) throw truncated();
    const v = view.getUint16(off);
    off += 2;
    return v;
  };
  const field = (): Uint8Array => {
    const n = u16();
    if (off + n > bytes.length) throw truncated();
    const v = bytes.subarray(off, off + n);
    off += n;
    return v;
  };
  while (off < bytes.length) {
    const family = u16();
    const address = field();
    const number = latin1(field());
    const name = latin1(field());
    const data = field();
    entries.push({ family, address: new Uint8Array(address), number, name, data: new Uint8Array(data) });
  }
  return entries;
}

/** Writes entries in the Xauthority format. */
export function encodeXauthority(entries: readonly XauthEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const u16 = (n: number): Uint8Array => Uint8Array.of((n >>> 8) & 0xff, n & 0xff);
  const field = (v: Uint8Array): void => {
    if (v.length > 0xffff) throw new RangeError('an Xauthority field is at most 65535 bytes');
    parts.push(u16(v.length), v);
  };
  for (const e of entries) {
    parts.push(u16(e.family));
    field(e.address);
    field(fromLatin1(e.number));
    field(fromLatin1(e.name));
    field(e.data);
  }
  return Buffer.concat(parts);
}

/** The host the lookup matches entries against. */
export interface XauthHost {
  /** The local host name, for FamilyLocal entries (undefined: a remote host, none match). */
  readonly localName?: string | undefined;
  /** Addresses of the host, 4 or 16 bytes, for the Internet families. */
  readonly addresses?: readonly Uint8Array[];
}

/**
 * The entry for display `number` on `host` (FamilyWild and number-less entries match too), a
 * MIT-MAGIC-COOKIE-1 entry preferred, else the first that matches.
 */
export function findXauthEntry(entries: readonly XauthEntry[], number: number, host: XauthHost): XauthEntry | undefined {
  const dpy = String(number);
  const matches = entries.filter((e) => {
    if (e.number !== '' && e.number !== dpy) return false;
    switch (e.family) {
      case XAUTH_FAMILY.WILD:
        return true;
      case XAUTH_FAMILY.LOCAL:
        return host.localName !== undefined && latin1(e.address) === host.localName;
      case XAUTH_FAMILY.INTERNET:
      case XAUTH_FAMILY.INTERNET6:
        return (host.addresses ?? []).some((a) => equal(a, e.address));
      default:
        return false;
    }
  });
  return matches.find((e) => e.name === MIT_MAGIC_COOKIE) ?? matches[0];
}

/** AsyncSSH's default: $XAUTHORITY, else ~/.Xauthority. */
export function defaultXauthPath(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const p = env['XAUTHORITY'];
  return p !== undefined && p !== '' ? p : path.join(os.homedir(), '.Xauthority');
}

/**
 * The authorization of `display` from the Xauthority file at `authPath`: its protocol and data.
 * Throws X11ForwardingError: 'xauth' when the file cannot be read or parsed, 'no-cookie' when it
 * has no entry for the display.
 */
export async function lookupXauth(authPath: string, display: X11Display): Promise<{ readonly protocol: string; readonly data: Uint8Array }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(authPath);
  } catch (err) {
    throw new X11ForwardingError('xauth', `cannot read the Xauthority file ${authPath}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const entries = parseXauthority(bytes);
  const hostname = os.hostname();
  let host: XauthHost;
  // Xlib files local and localhost displays under the host's name (FamilyLocal).
  if (isLocalDisplay(display) || display.host === 'localhost') host = { localName: hostname, addresses: [Uint8Array.of(127, 0, 0, 1)] };
  else {
    const addresses: Uint8Array[] = [];
    try {
      for (const a of await lookup(display.host, { all: true })) {
        const bytes = addressBytes(a.address);
        if (bytes) addresses.push(bytes);
      }
    } catch {
      // An unresolvable host matches by name alone.
    }
    const loopback = addresses.some((a) => a.length === 4 && a[0] === 127);
    host = { localName: display.host === hostname || loopback ? hostname : undefined, addresses };
  }
  const entry = findXauthEntry(entries, display.display, host);
  if (!entry) throw new X11ForwardingError('no-cookie', `no Xauthority entry for display ${display.host}:${display.display} in ${authPath}`);
  if (entry.data.length === 0) throw new X11ForwardingError('no-cookie', `the Xauthority entry for display ${display.host}:${display.display} has no data`);
  return { protocol: entry.name, data: entry.data };
}

/** IPv4 or IPv6 text as bytes (undefined for anything else). */
export function addressBytes(address: string): Uint8Array | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (v4) return Uint8Array.from(v4.slice(1, 5).map(Number));
  if (!address.includes(':')) return undefined;
  const [head = '', tail] = address.split('::');
  const groups = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  if (all.length !== 8 || all.some((g) => !(g >= 0 && g <= 0xffff))) return undefined;
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[i * 2] = g >>> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

function fromLatin1(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
