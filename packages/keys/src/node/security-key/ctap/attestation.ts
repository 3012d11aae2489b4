/**
 * Attestation statements of a new credential, checked before the key is used (as OpenSSH's
 * sk-usbhid.c does with fido_cred_verify): WebAuthn Level 2 §8.2 "packed" (by an attestation
 * certificate, or self attestation by the new key), §8.6 "fido-u2f", §8.7 "none".
 * @module
 */

import { type KeyObject, X509Certificate, createPublicKey, verify } from 'node:crypto';
import type { SkKeyAlgorithm } from '../backend.ts';
import { SecurityKeyError } from '../backend.ts';
import { type CborMap, asArray, asBytes, asInt, need } from './cbor.ts';
import { COSE_ALG, type ParsedCoseKey } from './cose.ts';

export interface CheckedAttestation {
  readonly signature: Uint8Array;
  /** The attestation certificate (DER), empty for self attestation and "none". */
  readonly certificate: Uint8Array;
}

/** A public key node:crypto can verify with, from the bytes of an sk key. */
export function publicKeyObject(alg: SkKeyAlgorithm, publicKey: Uint8Array): KeyObject {
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');
  if (alg === 'ecdsa') {
    return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64(publicKey.subarray(1, 33)), y: b64(publicKey.subarray(33, 65)) }, format: 'jwk' });
  }
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64(publicKey) }, format: 'jwk' });
}

function verifies(alg: number, key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (alg === COSE_ALG.ES256) return verify('sha256', data, { key, dsaEncoding: 'der' }, signature);
    if (alg === COSE_ALG.EdDSA) return verify(null, data, key, signature);
  } catch {
    return false;
  }
  return false;
}

function certificateKey(der: Uint8Array): KeyObject {
  try {
    return new X509Certificate(der).publicKey;
  } catch (cause) {
    throw new SecurityKeyError('general', 'the attestation certificate does not parse', { cause });
  }
}

function firstCertificate(attStmt: CborMap): Uint8Array | undefined {
  if (!attStmt.has('x5c')) return undefined;
  const chain = asArray(attStmt.get('x5c'), 'x5c');
  if (chain.length === 0) throw new SecurityKeyError('general', 'an empty attestation certificate chain');
  return asBytes(chain[0], 'x5c certificate');
}

/**
 * Check the attestation of a MakeCredential response. `credential` is the key the authData
 * attests; formats this code does not know are passed on unchecked (the signature still goes to
 * whoever wants to verify it against the device's vendor roots).
 */
export function checkAttestation(
  fmt: string,
  attStmt: CborMap,
  authData: Uint8Array,
  clientDataHash: Uint8Array,
  credential: { readonly credentialId: Uint8Array; readonly publicKey: ParsedCoseKey },
): CheckedAttestation {
  try {
    if (fmt === 'none') return { signature: new Uint8Array(0), certificate: new Uint8Array(0) };
    const signature = asBytes(need(attStmt, 'sig', 'attestation sig'), 'attestation sig');
    const signed = Buffer.concat([authData, clientDataHash]);
    if (fmt === 'packed') {
      const alg = asInt(need(attStmt, 'alg', 'attestation alg'), 'attestation alg');
      const cert = firstCertificate(attStmt);
      if (cert === undefined) {
        const own = credential.publicKey.alg === 'ecdsa' ? COSE_ALG.ES256 : COSE_ALG.EdDSA;
        if (alg !== own) throw new SecurityKeyError('general', `self attestation with algorithm ${alg} for a key of algorithm ${own}`);
        if (!verifies(alg, publicKeyObject(credential.publicKey.alg, credential.publicKey.publicKey), signed, signature)) {
          throw new SecurityKeyError('general', 'the self attestation signature does not verify');
        }
        return { signature, certificate: new Uint8Array(0) };
      }
      if (!verifies(alg, certificateKey(cert), signed, signature)) throw new SecurityKeyError('general', 'the attestation signature does not verify');
      return { signature, certificate: cert };
    }
    if (fmt === 'fido-u2f') {
      const cert = firstCertificate(attStmt);
      if (cert === undefined) throw new SecurityKeyError('general', 'fido-u2f attestation without a certificate');
      if (credential.publicKey.alg !== 'ecdsa') throw new SecurityKeyError('general', 'fido-u2f attestation of a key that is not ECDSA');
      const rpIdHash = authData.subarray(0, 32);
      const data = Buffer.concat([new Uint8Array([0]), rpIdHash, clientDataHash, credential.credentialId, credential.publicKey.publicKey]);
      if (!verifies(COSE_ALG.ES256, certificateKey(cert), data, signature)) throw new SecurityKeyError('general', 'the fido-u2f attestation signature does not verify');
      return { signature, certificate: cert };
    }
    const cert = firstCertificate(attStmt);
    return { signature, certificate: cert ?? new Uint8Array(0) };
  } catch (cause) {
    if (cause instanceof SecurityKeyError) throw cause;
    throw new SecurityKeyError('general', `malformed ${fmt} attestation statement: ${(cause as Error).message}`, { cause });
  }
}
