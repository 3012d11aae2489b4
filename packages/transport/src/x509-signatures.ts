/**
 * RFC 6187's one signature renamed on the wire: x509v3-rsa2048-sha256 signatures are named
 * rsa2048-sha256 (RSA PKCS#1 v1.5 with SHA-256, the bytes of rsa-sha2-256); some peers send them
 * as rsa-sha2-256. Host keys and user authentication both rename them here.
 * @module
 */

import { Reader, Writer } from '@ssh/wire';

export const X509_RSA2048 = 'x509v3-rsa2048-sha256';
export const X509_RSA2048_SIGNATURE = 'rsa2048-sha256';

/** The algorithm name a signature blob starts with, or undefined when it has none. */
export function signatureName(signature: Uint8Array): string | undefined {
  try {
    return new Reader(signature).latin1('signature algorithm', 256);
  } catch {
    return undefined;
  }
}

/** The same signature blob under another algorithm name. */
export function renameSignature(signature: Uint8Array, name: string): Uint8Array {
  const r = new Reader(signature);
  r.latin1('signature algorithm', 256);
  return new Writer().latin1(name).raw(r.rest()).finish();
}
