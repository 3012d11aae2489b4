/**
 * Protocol version exchange. RFC 4253 §4.2.
 *
 * Sans-I/O: feed the peer's bytes to `receive()` until `identification` is set, then take the
 * bytes that followed it (the first binary packets) with `takeRest()`. The adapter owns the timeout.
 * @module
 */

import { SshError } from '@ssh/wire';
import { concatBytes, copyBytes } from './bytes.ts';

/** Longest identification line, CR LF included (RFC 4253 §4.2). */
export const MAX_IDENTIFICATION_LENGTH = 255;
/** Longest line a server may send before its identification (OpenSSH's bound on other lines). */
export const MAX_PRE_BANNER_LINE_LENGTH = 8192;
/** Most lines a server may send before its identification. */
export const MAX_PRE_BANNER_LINES = 1024;

/** What the peer announced. */
export interface PeerIdentification {
  /** The identification line without CR LF, exactly as it enters the exchange hash. */
  readonly line: string;
  /** "2.0", or "1.99" from servers that also speak SSH 1. */
  readonly protoVersion: string;
  readonly softwareVersion: string;
  readonly comments: string | undefined;
  /** Lines the server sent before its identification (RFC 4253 §4.2 allows them). */
  readonly preBanner: readonly string[];
}

/** Why a version exchange failed; the transport turns it into a disconnect with `reason`. */
export class VersionExchangeError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.VersionExchangeError');

  /** RFC 4253 §11.1 reason: 2 protocol error, 8 protocol version not supported. */
  readonly reason: 2 | 8;

  constructor(reason: 2 | 8, message: string) {
    super('SSH_ERR_VERSION_EXCHANGE', message);
    this.reason = reason;
  }
}

function isPrintableAscii(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/** Our identification line, CR LF included. */
export function formatIdentification(softwareVersion: string, comments?: string): string {
  if (!/^[\x21-\x2c\x2e-\x7e]+$/.test(softwareVersion)) {
    throw new RangeError('software version must be printable US-ASCII without spaces or minus signs');
  }
  const line = `SSH-2.0-${softwareVersion}${comments ? ` ${comments}` : ''}\r\n`;
  if (line.length > MAX_IDENTIFICATION_LENGTH || !isPrintableAscii(line.slice(0, -2))) {
    throw new RangeError('identification line must be printable US-ASCII of at most 255 bytes');
  }
  return line;
}

/** Parses the peer's identification, and for a client, the lines a server may send before it. */
export class VersionExchange {
  private readonly acceptPreBanner: boolean;
  private readonly preBanner: string[] = [];
  // Bytes of the line being received; grows by doubling so tiny chunks cost linear time.
  private buf = new Uint8Array(256);
  private len = 0;
  private scanned = 0;
  private rest: Uint8Array | undefined;
  private result: PeerIdentification | undefined;

  /** `role` is our side: only a client accepts lines before the server's identification. */
  constructor(role: 'client' | 'server') {
    this.acceptPreBanner = role === 'client';
  }

  /** The peer's identification, once received. */
  get identification(): PeerIdentification | undefined {
    return this.result;
  }

  /** Consumes peer bytes; throws VersionExchangeError on a malformed or unsupported peer. */
  receive(chunk: Uint8Array): void {
    if (this.result) {
      this.rest = this.rest ? concatBytes(this.rest, chunk) : copyBytes(chunk);
      return;
    }
    this.append(chunk);
    const limit = this.acceptPreBanner ? MAX_PRE_BANNER_LINE_LENGTH : MAX_IDENTIFICATION_LENGTH;
    for (;;) {
      const lf = this.buf.subarray(0, this.len).indexOf(0x0a, this.scanned);
      if (lf < 0) {
        this.scanned = this.len;
        // The same verdict as when the end of the line comes in the same chunk: it depends on
        // what the line is, not on how the bytes were cut.
        if (this.len > limit) throw new VersionExchangeError(2, this.startsWithSsh() ? 'identification line too long' : 'line before the identification too long');
        return;
      }
      const end = lf > 0 && this.buf[lf - 1] === 0x0d ? lf - 1 : lf;
      const line = latin1(this.buf.subarray(0, end));
      if (line.startsWith('SSH-')) {
        if (lf + 1 > MAX_IDENTIFICATION_LENGTH) throw new VersionExchangeError(2, 'identification line too long');
        this.result = parseIdentification(line, this.preBanner);
        this.rest = this.buf.slice(lf + 1, this.len);
        this.buf = new Uint8Array(0);
        this.len = 0;
        return;
      }
      if (lf + 1 > limit) throw new VersionExchangeError(2, 'line before the identification too long');
      if (!this.acceptPreBanner) throw new VersionExchangeError(2, 'peer did not start with an SSH identification');
      if (line.includes('\0')) throw new VersionExchangeError(2, 'NUL in a line before the identification');
      this.preBanner.push(line);
      if (this.preBanner.length > MAX_PRE_BANNER_LINES) throw new VersionExchangeError(2, 'too many lines before the identification');
      this.buf.copyWithin(0, lf + 1, this.len);
      this.len -= lf + 1;
      this.scanned = 0;
    }
  }

  private startsWithSsh(): boolean {
    return this.len >= 4 && this.buf[0] === 0x53 && this.buf[1] === 0x53 && this.buf[2] === 0x48 && this.buf[3] === 0x2d;
  }

  private append(chunk: Uint8Array): void {
    if (this.len + chunk.length > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < this.len + chunk.length) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(chunk, this.len);
    this.len += chunk.length;
  }

  /** Bytes received after the identification line (the start of the binary packet stream). */
  takeRest(): Uint8Array {
    const rest = this.rest ?? new Uint8Array(0);
    this.rest = undefined;
    return rest;
  }
}

function parseIdentification(line: string, preBanner: readonly string[]): PeerIdentification {
  if (!isPrintableAscii(line)) throw new VersionExchangeError(2, 'identification line is not printable US-ASCII');
  const m = /^SSH-([^-\s]+)-([^\s]+)(?: (.*))?$/.exec(line);
  if (!m) throw new VersionExchangeError(2, `malformed identification ${JSON.stringify(line)}`);
  const protoVersion = m[1] as string;
  if (protoVersion !== '2.0' && protoVersion !== '1.99') {
    throw new VersionExchangeError(8, `protocol version ${protoVersion} is not supported`);
  }
  return { line, protoVersion, softwareVersion: m[2] as string, comments: m[3], preBanner: [...preBanner] };
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i] as number);
  return s;
}
