/**
 * The algorithm lists a transport offers, and its SSH_MSG_KEXINIT. RFC 4253 §7.1, RFC 8308 §2.1
 * (ext-info-c/-s), OpenSSH PROTOCOL §1.10 (kex-strict-c/s-v00@openssh.com).
 * @module
 */

import { gssKexName, splitGssKexName, type KexInitLists, type Registry } from '@ssh/crypto';
import { KexInit } from '@ssh/wire';

/**
 * Host key signature algorithms a client accepts by default, in preference order: OpenSSH host
 * certificates first (as OpenSSH offers them), then plain keys. A certificate no CA vouches for
 * is judged as its plain key by the host key policy.
 */
export const DEFAULT_HOST_KEY_ALGORITHMS: readonly string[] = [
  'ssh-ed25519-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521-cert-v01@openssh.com',
  'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'rsa-sha2-512-cert-v01@openssh.com',
  'rsa-sha2-256-cert-v01@openssh.com',
  'ssh-ed25519',
  'ecdsa-sha2-nistp521',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-1.3.132.0.10',
  'ssh-ed448',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/**
 * Signature algorithms a server verifies in user authentication and announces in server-sig-algs
 * by default: the host key list and the security keys' (OpenSSH PROTOCOL.u2f), which clients
 * that honour the list would otherwise never offer.
 */
export const DEFAULT_USERAUTH_SIG_ALGORITHMS: readonly string[] = [
  ...DEFAULT_HOST_KEY_ALGORITHMS,
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'webauthn-sk-ecdsa-sha2-nistp256@openssh.com',
];

/** The host key algorithm of a server without a host key (RFC 4462 §5), for GSS-API key exchange only. */
export const NULL_HOST_KEY = 'null';

export const EXT_INFO_C = 'ext-info-c';
export const EXT_INFO_S = 'ext-info-s';
export const KEX_STRICT_C = 'kex-strict-c-v00@openssh.com';
export const KEX_STRICT_S = 'kex-strict-s-v00@openssh.com';

/** What one side offers, as lists of names in preference order. */
export interface AlgorithmOffer {
  readonly kex: readonly string[];
  readonly hostKey: readonly string[];
  readonly encryption: readonly string[];
  readonly mac: readonly string[];
  readonly compression: readonly string[];
}

export interface OfferOptions {
  readonly kexAlgorithms?: string | readonly string[] | undefined;
  readonly encryptionAlgorithms?: string | readonly string[] | undefined;
  readonly macAlgorithms?: string | readonly string[] | undefined;
  readonly compressionAlgorithms?: string | readonly string[] | undefined;
  /** Offer the GSS-API key exchange methods of the kex list (Kerberos V5), first. */
  readonly gssKex?: boolean | undefined;
}

/**
 * The kex list without its GSS-API methods, and those methods (mechanism suffix dropped). They
 * are kept apart because they are never in the registry's available lists: a connection offers
 * them only with GSS-API key exchange on. A list with a leading '+', '-' or '^' (OpenSSH syntax)
 * changes the default GSS-API methods as it changes the others.
 */
function splitGss(registry: Registry, given: string | readonly string[] | undefined): { rest: string | readonly string[] | undefined; gss: string[] } {
  const gssNames = (defaultsOnly: boolean): string[] => registry.names('kex', { includeUnavailable: true, defaultsOnly }).filter((n) => n.startsWith('gss-'));
  if (given === undefined) return { rest: undefined, gss: gssNames(true) };
  const known = gssNames(false);
  const method = (item: string): string => {
    const m = splitGssKexName(item)?.method ?? item;
    if (!known.includes(m)) throw new RangeError(`unknown GSS-API key exchange ${item}`);
    return m;
  };
  if (typeof given !== 'string') return { rest: given.filter((n) => !n.startsWith('gss-')), gss: [...new Set(given.filter((n) => n.startsWith('gss-')).map(method))] };
  const prefix = /^[-+^]/.test(given) ? given.slice(0, 1) : '';
  const items = given.slice(prefix.length).split(',');
  const named = items.filter((n) => n.startsWith('gss-')).map(method);
  const others = items.filter((n) => !n.startsWith('gss-'));
  let gss: string[];
  if (prefix === '+') gss = [...new Set([...gssNames(true), ...named])];
  else if (prefix === '^') gss = [...new Set([...named, ...gssNames(true)])];
  else if (prefix === '-') gss = gssNames(true).filter((n) => !named.includes(n));
  else gss = [...new Set(named)];
  // A list of GSS-API names only: with a prefix the other methods keep their defaults, without one there are none.
  return { rest: others.length > 0 ? prefix + others.join(',') : prefix !== '' ? undefined : '', gss };
}

/** Resolves the configured lists (OpenSSH list syntax or arrays, defaults when absent) against the registry. */
export function resolveOffer(registry: Registry, options: OfferOptions, hostKey: readonly string[]): AlgorithmOffer {
  const list = (kind: 'kex' | 'cipher' | 'mac' | 'compression', given: string | readonly string[] | undefined): string[] =>
    given === undefined ? registry.names(kind, { defaultsOnly: true }) : registry.parseList(kind, given);
  const compression = list('compression', options.compressionAlgorithms);
  const { rest, gss } = splitGss(registry, options.kexAlgorithms);
  const kex = rest === '' || (Array.isArray(rest) && rest.length === 0) ? [] : list('kex', rest as string | readonly string[] | undefined);
  return {
    kex: options.gssKex === true ? [...gss.map((m) => gssKexName(m)), ...kex] : kex,
    hostKey,
    encryption: list('cipher', options.encryptionAlgorithms),
    mac: list('mac', options.macAlgorithms),
    compression,
  };
}

/** Our SSH_MSG_KEXINIT payload. The first exchange of a connection advertises ext-info and strict kex. */
export function encodeKexInit(offer: AlgorithmOffer, role: 'client' | 'server', first: boolean, cookie: Uint8Array): Uint8Array {
  const markers = first ? (role === 'client' ? [EXT_INFO_C, KEX_STRICT_C] : [EXT_INFO_S, KEX_STRICT_S]) : [];
  return KexInit.encode({
    cookie,
    kexAlgorithms: [...offer.kex, ...markers],
    serverHostKeyAlgorithms: [...offer.hostKey],
    encryptionAlgorithmsClientToServer: [...offer.encryption],
    encryptionAlgorithmsServerToClient: [...offer.encryption],
    macAlgorithmsClientToServer: [...offer.mac],
    macAlgorithmsServerToClient: [...offer.mac],
    compressionAlgorithmsClientToServer: [...offer.compression],
    compressionAlgorithmsServerToClient: [...offer.compression],
    languagesClientToServer: [],
    languagesServerToClient: [],
    firstKexPacketFollows: false,
    reserved: 0,
  });
}

/** The lists of a decoded KEXINIT, in the shape @ssh/crypto negotiates. */
export function kexInitLists(msg: KexInit): KexInitLists {
  return {
    kex: msg.kexAlgorithms,
    hostKey: msg.serverHostKeyAlgorithms,
    cipherClientToServer: msg.encryptionAlgorithmsClientToServer,
    cipherServerToClient: msg.encryptionAlgorithmsServerToClient,
    macClientToServer: msg.macAlgorithmsClientToServer,
    macServerToClient: msg.macAlgorithmsServerToClient,
    compressionClientToServer: msg.compressionAlgorithmsClientToServer,
    compressionServerToClient: msg.compressionAlgorithmsServerToClient,
    languagesClientToServer: msg.languagesClientToServer,
    languagesServerToClient: msg.languagesServerToClient,
  };
}
