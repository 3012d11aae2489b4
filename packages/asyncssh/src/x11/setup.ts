/**
 * The X11 connection setup (X Window System Protocol, "Connection Setup"): the first message an
 * X client sends. A byte-order byte ('B' most significant byte first, 'l' least), an unused
 * byte, the protocol major and minor versions, the lengths of the authorization protocol name
 * and data, two unused bytes (12 bytes in all), then the name and the data, each padded to a
 * multiple of 4. X11 forwarding checks the data against the fake cookie it handed out and puts
 * the real one in its place.
 * @module
 */

import { X11ForwardingError } from './errors.ts';

/** The setup header's length. */
export const X11_SETUP_HEADER = 12;

export interface X11Setup {
  /** True: most significant byte first ('B'). */
  readonly bigEndian: boolean;
  readonly major: number;
  readonly minor: number;
  /** The authorization protocol name (latin1). */
  readonly protocol: string;
  readonly data: Uint8Array;
  /** Bytes of the message: header, padded name and padded data. */
  readonly length: number;
}

const pad4 = (n: number): number => (n + 3) & ~3;

/**
 * The setup message at the start of `buf`, or undefined while it is incomplete. Throws
 * X11ForwardingError('setup') when the byte-order byte is neither 'B' nor 'l'.
 */
export function parseSetup(buf: Uint8Array): X11Setup | undefined {
  if (buf.length < 1) return undefined;
  const order = buf[0];
  if (order !== 0x42 && order !== 0x6c) throw new X11ForwardingError('setup', `malformed X11 connection setup: byte order 0x${(order ?? 0).toString(16).padStart(2, '0')}`);
  if (buf.length < X11_SETUP_HEADER) return undefined;
  const bigEndian = order === 0x42;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const u16 = (off: number): number => view.getUint16(off, !bigEndian);
  const nameLen = u16(6);
  const dataLen = u16(8);
  const length = X11_SETUP_HEADER + pad4(nameLen) + pad4(dataLen);
  if (buf.length < length) return undefined;
  let protocol = '';
  for (const b of buf.subarray(X11_SETUP_HEADER, X11_SETUP_HEADER + nameLen)) protocol += String.fromCharCode(b);
  const dataOff = X11_SETUP_HEADER + pad4(nameLen);
  return { bigEndian, major: u16(2), minor: u16(4), protocol, data: new Uint8Array(buf.subarray(dataOff, dataOff + dataLen)), length };
}

/** Builds a setup message (used to put the real cookie in, and by tests as an X client would). */
export function encodeSetup(setup: Omit<X11Setup, 'length'>): Uint8Array {
  const name = Uint8Array.from(setup.protocol, (c) => c.charCodeAt(0) & 0xff);
  if (name.length > 0xffff || setup.data.length > 0xffff) throw new RangeError('X11 authorization fields are at most 65535 bytes');
  const out = new Uint8Array(X11_SETUP_HEADER + pad4(name.length) + pad4(setup.data.length));
  const view = new DataView(out.buffer);
  const le = !setup.bigEndian;
  out[0] = setup.bigEndian ? 0x42 : 0x6c;
  view.setUint16(2, setup.major, le);
  view.setUint16(4, setup.minor, le);
  view.setUint16(6, name.length, le);
  view.setUint16(8, setup.data.length, le);
  out.set(name, X11_SETUP_HEADER);
  out.set(setup.data, X11_SETUP_HEADER + pad4(name.length));
  return out;
}

/** `setup` with its authorization replaced by `protocol` and `data` (the real cookie). */
export function replaceAuth(setup: X11Setup, protocol: string, data: Uint8Array): Uint8Array {
  return encodeSetup({ bigEndian: setup.bigEndian, major: setup.major, minor: setup.minor, protocol, data });
}

/**
 * A "Failed" setup reply (the first byte 0, the reason's length, the versions, the length of
 * what follows in 4-byte units, then the reason), as an X server sends when it refuses.
 */
export function encodeSetupFailed(bigEndian: boolean, reason: string, major = 11, minor = 0): Uint8Array {
  const text = Uint8Array.from(reason.slice(0, 255), (c) => c.charCodeAt(0) & 0xff);
  const out = new Uint8Array(8 + pad4(text.length));
  const view = new DataView(out.buffer);
  out[0] = 0;
  out[1] = text.length;
  view.setUint16(2, major, !bigEndian);
  view.setUint16(4, minor, !bigEndian);
  view.setUint16(6, pad4(text.length) / 4, !bigEndian);
  out.set(text, 8);
  return out;
}
