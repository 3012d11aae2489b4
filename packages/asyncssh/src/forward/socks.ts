/**
 * The server side of a SOCKS handshake, CONNECT only and without authentication: SOCKS 4
 * (an IPv4 address), SOCKS 4a (a host name after the user id) and SOCKS 5 (RFC 1928 with the
 * "no authentication" method; IPv4, domain name or IPv6 addresses). `parseSocks` is pure: it
 * looks at the bytes received so far and tells what to answer.
 * @module
 */

import { SocketAddress } from 'node:net';

/** The bytes the client sent so far are not a whole message yet. */
export interface SocksMore {
  readonly kind: 'more';
}
/** SOCKS 5 greeting accepted: send `reply`, drop `consumed` bytes, parse the request next. */
export interface SocksGreeting {
  readonly kind: 'greeting';
  readonly consumed: number;
  readonly reply: Uint8Array;
}
/** A CONNECT request to `host`:`port`; `consumed` bytes belong to the handshake. */
export interface SocksConnect {
  readonly kind: 'connect';
  readonly version: 4 | 5;
  readonly consumed: number;
  readonly host: string;
  readonly port: number;
}
/** Not something we serve: send `reply` (when there is one) and close. */
export interface SocksError {
  readonly kind: 'error';
  readonly message: string;
  readonly reply?: Uint8Array;
}
export type SocksStep = SocksMore | SocksGreeting | SocksConnect | SocksError;

/** SOCKS 5 reply codes (RFC 1928 §6). */
export const SOCKS5_REPLY = {
  SUCCEEDED: 0,
  GENERAL_FAILURE: 1,
  NOT_ALLOWED: 2,
  NETWORK_UNREACHABLE: 3,
  HOST_UNREACHABLE: 4,
  CONNECTION_REFUSED: 5,
  COMMAND_NOT_SUPPORTED: 7,
  ADDRESS_TYPE_NOT_SUPPORTED: 8,
} as const;

/** Longest handshake we wait for (user ids and host names are short). */
export const MAX_SOCKS_HANDSHAKE = 1024;

const MORE: SocksMore = { kind: 'more' };

/** A SOCKS 5 reply with an all-zero IPv4 bound address. */
export function socks5Reply(code: number): Uint8Array {
  return Uint8Array.of(5, code, 0, 1, 0, 0, 0, 0, 0, 0);
}

/** A SOCKS 4 reply: granted (0x5a) or rejected (0x5b). */
export function socks4Reply(ok: boolean): Uint8Array {
  return Uint8Array.of(0, ok ? 0x5a : 0x5b, 0, 0, 0, 0, 0, 0);
}

function indexOfZero(buf: Uint8Array, from: number): number {
  for (let i = from; i < buf.length; i++) if (buf[i] === 0) return i;
  return -1;
}

/** Parses what the client sent so far; `greeted` once a SOCKS 5 greeting was answered. */
export function parseSocks(buf: Uint8Array, greeted: boolean): SocksStep {
  if (buf.length === 0) return MORE;
  const version = buf[0];
  if (greeted) return parseSocks5Request(buf);
  if (version === 4) return parseSocks4(buf);
  if (version === 5) {
    if (buf.length < 2) return MORE;
    const n = buf[1] as number;
    if (buf.length < 2 + n) return MORE;
    const methods = buf.subarray(2, 2 + n);
    if (!methods.includes(0)) return { kind: 'error', message: 'SOCKS 5 client offers no method without authentication', reply: Uint8Array.of(5, 0xff) };
    return { kind: 'greeting', consumed: 2 + n, reply: Uint8Array.of(5, 0) };
  }
  return { kind: 'error', message: `not a SOCKS 4 or 5 client (version byte ${version})` };
}

function parseSocks4(buf: Uint8Array): SocksStep {
  if (buf.length < 9) return buf.length >= MAX_SOCKS_HANDSHAKE ? tooLong() : MORE;
  if (buf[1] !== 1) return { kind: 'error', message: `SOCKS 4 command ${buf[1]} not supported`, reply: socks4Reply(false) };
  const port = ((buf[2] as number) << 8) | (buf[3] as number);
  // The limit holds however the bytes arrive: a whole request in one read is no longer.
  const userEnd = indexOfZero(buf, 8);
  if (userEnd < 0) return buf.length >= MAX_SOCKS_HANDSHAKE ? tooLong() : MORE;
  if (userEnd >= MAX_SOCKS_HANDSHAKE) return tooLong();
  const [a, b, c, d] = [buf[4], buf[5], buf[6], buf[7]] as number[];
  // SOCKS 4a: 0.0.0.x (x non-zero) means a host name follows the user id.
  if (a === 0 && b === 0 && c === 0 && d !== 0) {
    const hostEnd = indexOfZero(buf, userEnd + 1);
    if (hostEnd < 0) return buf.length >= MAX_SOCKS_HANDSHAKE ? tooLong() : MORE;
    if (hostEnd >= MAX_SOCKS_HANDSHAKE) return tooLong();
    const host = new TextDecoder().decode(buf.subarray(userEnd + 1, hostEnd));
    if (host === '') return { kind: 'error', message: 'SOCKS 4a request without a host name', reply: socks4Reply(false) };
    return { kind: 'connect', version: 4, consumed: hostEnd + 1, host, port };
  }
  return { kind: 'connect', version: 4, consumed: userEnd + 1, host: `${a}.${b}.${c}.${d}`, port };
}

function parseSocks5Request(buf: Uint8Array): SocksStep {
  if (buf.length < 5) return MORE;
  if (buf[0] !== 5) return { kind: 'error', message: `bad SOCKS 5 request version ${buf[0]}` };
  if (buf[1] !== 1) return { kind: 'error', message: `SOCKS 5 command ${buf[1]} not supported`, reply: socks5Reply(SOCKS5_REPLY.COMMAND_NOT_SUPPORTED) };
  let host: string;
  let at: number;
  const addressType = buf[3] as number;
  if (addressType === 1) {
    if (buf.length < 10) return MORE;
    host = Array.from(buf.subarray(4, 8)).join('.');
    at = 8;
  } else if (addressType === 3) {
    const n = buf[4] as number;
    if (buf.length < 5 + n + 2) return MORE;
    const name = buf.subarray(5, 5 + n);
    // No host name, or one no server takes: a NUL in a direct-tcpip host makes OpenSSH's sshd
    // drop the whole connection.
    if (n === 0 || name.includes(0)) {
      return { kind: 'error', message: 'SOCKS 5 request with an empty host name or one holding a NUL byte', reply: socks5Reply(SOCKS5_REPLY.GENERAL_FAILURE) };
    }
    host = new TextDecoder().decode(name);
    at = 5 + n;
  } else if (addressType === 4) {
    if (buf.length < 22) return MORE;
    host = ipv6Text(buf.subarray(4, 20));
    at = 20;
  } else {
    return { kind: 'error', message: `SOCKS 5 address type ${addressType} not supported`, reply: socks5Reply(SOCKS5_REPLY.ADDRESS_TYPE_NOT_SUPPORTED) };
  }
  const port = ((buf[at] as number) << 8) | (buf[at + 1] as number);
  return { kind: 'connect', version: 5, consumed: at + 2, host, port };
}

/**
 * An IPv6 address as inet_ntop writes it (the longest run of zero groups as '::', an
 * IPv4-mapped address dotted): the text OpenSSH's ssh -D sends, and the one sshd's PermitOpen
 * and permitopen= compare a destination with, as text.
 */
function ipv6Text(address: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((address[i] as number) << 8) | (address[i + 1] as number)).toString(16));
  return new SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}

function tooLong(): SocksError {
  return { kind: 'error', message: 'SOCKS handshake too long' };
}
