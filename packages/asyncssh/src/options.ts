/**
 * Options shared by client and server connections (AsyncSSH's SSHConnectionOptions), in camelCase,
 * and the check that rejects unknown names with a clear TypeError, as Python does for unknown
 * keyword arguments.
 * @module
 */

import { parseByteCount, parseTimeInterval } from '@ssh/wire';
import { AlgorithmListError, UnknownAlgorithmError, expandAlgorithmList } from '@ssh/crypto';
import { SIGNATURE_ALGORITHMS } from '@ssh/keys';
import { DATA_PACKET_OVERHEAD, DEFAULT_TRANSPORT_PACKET_LIMIT } from '@ssh/connection';

export interface SSHConnectionOptions {
  /** Key exchange algorithms: a list, or an OpenSSH-style string ('+x', '-y', '^z', 'default'). */
  readonly kexAlgs?: string | readonly string[];
  readonly encryptionAlgs?: string | readonly string[];
  readonly macAlgs?: string | readonly string[];
  readonly compressionAlgs?: string | readonly string[];
  readonly signatureAlgs?: string | readonly string[];
  /**
   * The algorithms a CA may have signed a certificate with for it to be trusted (OpenSSH's
   * CASignatureAlgorithms): host certificates on a client, user and host certificates in
   * authentication on a server. A list of names, or an OpenSSH-style string ('+ssh-rsa',
   * '-ecdsa*', 'default'). Default: OpenSSH's, {@link DEFAULT_CA_SIGNATURE_ALGORITHMS}, which
   * leaves out ssh-rsa (RSA with SHA-1) and ssh-dss.
   */
  readonly caSignatureAlgs?: string | readonly string[];
  /** Re-exchange keys after this many bytes ('1G', 1e9; default 1 GiB). */
  readonly rekeyBytes?: number | string;
  /** Re-exchange keys after this long ('1h', seconds; default 1 hour). */
  readonly rekeySeconds?: number | string;
  /** Seconds (or '30s') to finish connecting and authenticating (default 120). */
  readonly loginTimeout?: number | string;
  /** Seconds between keepalive probes while the peer is silent (0 disables; default 0). */
  readonly keepaliveInterval?: number | string;
  /** Unanswered probes before the connection is dropped (default 3). */
  readonly keepaliveCountMax?: number;
  /** Channel receive window (default 2 MiB). */
  readonly window?: number;
  /** Largest data packet accepted per channel message (default 32 KiB). */
  readonly maxPktsize?: number;
  /** Text encoding of sessions ('utf-8'), or null for bytes. */
  readonly encoding?: string | null;
  readonly errors?: 'strict' | 'replace';
  /** TCP keepalive on the socket (default true). */
  readonly tcpKeepalive?: boolean;
}

export const CONNECTION_OPTION_NAMES = [
  'kexAlgs',
  'encryptionAlgs',
  'macAlgs',
  'compressionAlgs',
  'signatureAlgs',
  'caSignatureAlgs',
  'rekeyBytes',
  'rekeySeconds',
  'loginTimeout',
  'keepaliveInterval',
  'keepaliveCountMax',
  'window',
  'maxPktsize',
  'encoding',
  'errors',
  'tcpKeepalive',
] as const;

/**
 * The default CASignatureAlgorithms of OpenSSH 8.2 and later (ssh_config(5), sshd_config(5)):
 * every SHA-2 signature OpenSSH makes, but neither ssh-rsa (RSA with SHA-1) nor ssh-dss.
 */
export const DEFAULT_CA_SIGNATURE_ALGORITHMS: readonly string[] = Object.freeze([
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'rsa-sha2-512',
  'rsa-sha2-256',
]);

const CA_SIGNATURE_KIND = 'CA signature';

/**
 * The CA signature algorithms `caSignatureAlgs` allows. A string is read as the other algorithm
 * options are (OpenSSH syntax: names and `*`/`?` patterns, `+` adds to the default, `-` removes
 * from it, `^` adds too, as order does not matter here, `default`); a list is taken as exact names.
 * Names are plain signature algorithms ('rsa-sha2-512', never a certificate type). Throws
 * AlgorithmListError for a list that is empty or malformed, UnknownAlgorithmError for a name no
 * key type signs with.
 */
export function caSignatureAlgorithms(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [...DEFAULT_CA_SIGNATURE_ALGORITHMS];
  if (typeof value !== 'string') {
    if (value.length === 0) throw new AlgorithmListError(CA_SIGNATURE_KIND, '', 'empty list');
    for (const name of value) if (!SIGNATURE_ALGORITHMS.includes(name)) throw new UnknownAlgorithmError(CA_SIGNATURE_KIND, name);
    return [...new Set(value)];
  }
  const supported = [...new Set([...DEFAULT_CA_SIGNATURE_ALGORITHMS, ...SIGNATURE_ALGORITHMS])];
  return expandAlgorithmList(CA_SIGNATURE_KIND, value, DEFAULT_CA_SIGNATURE_ALGORITHMS, supported, (name) => (SIGNATURE_ALGORITHMS.includes(name) ? 'ok' : 'unknown'));
}

/** Throws a TypeError naming every option `what` does not know. */
export function checkOptionNames(what: string, options: object, known: readonly string[]): void {
  const allowed = new Set(known);
  const unknown = Object.keys(options).filter((k) => !allowed.has(k) && (options as Record<string, unknown>)[k] !== undefined);
  if (unknown.length > 0) throw new TypeError(`${what}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);
}

/** Seconds from a number or an OpenSSH time string. */
export function seconds(name: string, value: number | string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const v = typeof value === 'string' ? parseTimeInterval(value) : value;
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`${name} must be a non-negative time, not ${String(value)}`);
  return v;
}

/** Bytes from a number or a byte-count string ('1G'). */
export function bytes(name: string, value: number | string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const v = typeof value === 'string' ? parseByteCount(value) : value;
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be a positive byte count, not ${String(value)}`);
  return v;
}

export function positiveInt(name: string, value: number | undefined, fallback: number, max = 0xffff_ffff): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0 || value > max) throw new RangeError(`${name} must be an integer from 1 to ${max}, not ${String(value)}`);
  return value;
}

/** The transport settings both sides derive from the shared options. */
export function transportSettings(options: SSHConnectionOptions) {
  return {
    ...(options.kexAlgs !== undefined ? { kexAlgorithms: options.kexAlgs } : {}),
    ...(options.encryptionAlgs !== undefined ? { encryptionAlgorithms: options.encryptionAlgs } : {}),
    ...(options.macAlgs !== undefined ? { macAlgorithms: options.macAlgs } : {}),
    ...(options.compressionAlgs !== undefined ? { compressionAlgorithms: options.compressionAlgs } : {}),
    rekeyBytes: bytes('rekeyBytes', options.rekeyBytes, 1 << 30),
    rekeySeconds: seconds('rekeySeconds', options.rekeySeconds, 3600),
    maxPacketLength: transportPacketLimit(options),
  };
}

/**
 * The packet_length the transport accepts: OpenSSH's 256 KiB, or more when `maxPktsize` asks for
 * channel data packets that would not fit in it.
 */
function transportPacketLimit(options: SSHConnectionOptions): number {
  const maxPacketSize = positiveInt('maxPktsize', options.maxPktsize, 32 * 1024, 1 << 24);
  return Math.max(DEFAULT_TRANSPORT_PACKET_LIMIT, maxPacketSize + DATA_PACKET_OVERHEAD);
}

export function connectionSettings(options: SSHConnectionOptions) {
  return {
    keepaliveInterval: seconds('keepaliveInterval', options.keepaliveInterval, 0),
    keepaliveCountMax: positiveInt('keepaliveCountMax', options.keepaliveCountMax, 3),
    windowSize: positiveInt('window', options.window, 2 * 1024 * 1024),
    maxPacketSize: positiveInt('maxPktsize', options.maxPktsize, 32 * 1024, 1 << 24),
    transportPacketLimit: transportPacketLimit(options),
  };
}
