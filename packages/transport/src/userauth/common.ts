/**
 * What the user authentication machines share: the slice of the transport they use, method names,
 * signature algorithm choice (RFC 8332 §3.3, RFC 8308 server-sig-algs) and reading key blobs.
 * @module
 */

import { decodeX509Blob, importCertificate, importPublicKey, type SSHCertificate, type SSHKey, type SSHX509Certificate } from '@ssh/keys';
import type { TransportEvent } from '../transport.ts';

/** The transport as the authentication machines see it (a `Transport` fits). */
export interface AuthTransport {
  readonly sessionId: Uint8Array | undefined;
  /** True once a GSS-API key exchange established a context (RFC 4462 §4: gssapi-keyex may follow). */
  readonly gssKexEstablished?: boolean;
  send(payload: Uint8Array): void;
  disconnect(reasonCode?: number, description?: string, lang?: string): void;
}

export type { TransportEvent };

/** The service user authentication runs in (RFC 4252 §1) and the one it starts (RFC 4254). */
export const USERAUTH_SERVICE = 'ssh-userauth';
export const CONNECTION_SERVICE = 'ssh-connection';

export const METHOD = {
  NONE: 'none',
  PASSWORD: 'password',
  PUBLICKEY: 'publickey',
  PUBLICKEY_HOSTBOUND: 'publickey-hostbound-v00@openssh.com',
  HOSTBASED: 'hostbased',
  KEYBOARD_INTERACTIVE: 'keyboard-interactive',
  GSSAPI_WITH_MIC: 'gssapi-with-mic',
  GSSAPI_KEYEX: 'gssapi-keyex',
} as const;

/**
 * The Kerberos V5 mechanism, 1.2.840.113554.1.2.2 (RFC 1964), DER-encoded as gssapi-with-mic
 * carries mechanism OIDs (RFC 4462 §3.2): the only mechanism offered or accepted.
 */
export const GSS_KRB5_MECHANISM: Uint8Array = Uint8Array.of(0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02);

/** A gss-step answer: the token for the peer (empty: none) and whether the context is established. */
export interface GssStepResult {
  readonly token: Uint8Array;
  readonly complete: boolean;
}

/** A gss-step answer when the GSS-API call failed: why, and the error token for the peer when there is one. */
export interface GssStepFailure {
  readonly error: string;
  readonly token?: Uint8Array;
}

export function isGssStepResult(value: unknown): value is GssStepResult {
  return typeof value === 'object' && value !== null && (value as GssStepResult).token instanceof Uint8Array && typeof (value as GssStepResult).complete === 'boolean';
}

export function isGssStepFailure(value: unknown): value is GssStepFailure {
  return typeof value === 'object' && value !== null && typeof (value as GssStepFailure).error === 'string';
}

/** The ext-info extension by which OpenSSH servers announce publickey-hostbound. */
export const HOSTBOUND_EXTENSION = 'publickey-hostbound@openssh.com';

const CERT_SUFFIX = '-cert-v01@openssh.com';

/** True for certificate key types and signature algorithms ('ssh-ed25519-cert-v01@openssh.com'). */
export function isCertAlgorithm(name: string): boolean {
  return name.endsWith(CERT_SUFFIX);
}

/** The plain signature algorithm behind a (certificate) algorithm name. */
export function baseSigAlgorithm(name: string): string {
  if (!isCertAlgorithm(name)) return name;
  const base = name.slice(0, -CERT_SUFFIX.length);
  return base.startsWith('sk-') ? `${base}@openssh.com` : base;
}

/**
 * The signature algorithm to use with a key: the first the key supports whose plain form the
 * server lists in server-sig-algs; without that list, the key type itself (RSA then signs with
 * SHA-1 'ssh-rsa', the only algorithm every server knows). The `@ssh.com` RSA variants are never
 * chosen.
 */
export function chooseSigAlgorithm(keyType: string, sigAlgorithms: readonly string[], serverSigAlgs: readonly string[] | undefined): string | undefined {
  const candidates = sigAlgorithms.filter((a) => !a.endsWith('@ssh.com'));
  if (serverSigAlgs === undefined) return candidates.includes(keyType) ? keyType : candidates[0];
  return candidates.find((a) => serverSigAlgs.includes(baseSigAlgorithm(a)));
}

/** A public key blob as received: a plain key, or a certificate with its key. */
export type ReceivedKey =
  | { readonly kind: 'key'; readonly key: SSHKey }
  | { readonly kind: 'cert'; readonly cert: SSHCertificate; readonly key: SSHKey }
  /** An RFC 6187 x509v3-* blob: the chain, end certificate first, and the end certificate's key. */
  | { readonly kind: 'x509'; readonly chain: readonly SSHX509Certificate[]; readonly key: SSHKey };

/** Reads a public key or certificate blob; undefined when it is not one we can use. */
export function readKeyBlob(blob: Uint8Array, algorithm: string): ReceivedKey | undefined {
  try {
    if (isCertAlgorithm(algorithm)) {
      const cert = importCertificate(blob);
      return { kind: 'cert', cert, key: cert.key };
    }
    if (algorithm.startsWith('x509v3-')) {
      // The blob names its algorithm (RFC 6187 §3): it must be the one the request names.
      const { algorithm: named, chain } = decodeX509Blob(blob);
      const end = chain[0];
      return named === algorithm && end !== undefined ? { kind: 'x509', chain, key: end.key } : undefined;
    }
    const key = importPublicKey(blob);
    return { kind: 'key', key };
  } catch {
    return undefined;
  }
}

/** The key type of a key blob's leading string, or undefined. */
export function blobKeyType(blob: Uint8Array): string | undefined {
  if (blob.length < 4) return undefined;
  const n = (((blob[0] as number) << 24) | ((blob[1] as number) << 16) | ((blob[2] as number) << 8) | (blob[3] as number)) >>> 0;
  if (n > 256 || 4 + n > blob.length) return undefined;
  return new TextDecoder('latin1').decode(blob.subarray(4, 4 + n));
}
