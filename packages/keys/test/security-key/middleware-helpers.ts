/** What the middleware tests check signatures with: node:crypto over PROTOCOL.u2f's signed data, and OpenSSH's encodings. */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { Writer } from '@ssh/wire';
import { importPublicKey, type SSHKey } from '../../src/index.ts';
import type { SkKeyAlgorithm, SkSignResult } from '../../src/node/security-key/backend.ts';

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest();

export function keyObject(alg: SkKeyAlgorithm, raw: Uint8Array): KeyObject {
  const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
  if (alg === 'ed25519') return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64(raw) }, format: 'jwk' });
  return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64(raw.subarray(1, 33)), y: b64(raw.subarray(33)) }, format: 'jwk' });
}

/** PROTOCOL.u2f: the authenticator signs SHA256(application) || flags || counter || SHA256(message). */
export function u2fVerifies(alg: SkKeyAlgorithm, publicKey: Uint8Array, application: string, message: Uint8Array, sig: SkSignResult): boolean {
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(sig.counter);
  const signed = Buffer.concat([sha256(application), Buffer.of(sig.flags), counter, sha256(message)]);
  const key = keyObject(alg, publicKey);
  return alg === 'ed25519' ? verify(null, signed, key, sig.signature) : verify('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, sig.signature);
}

export const SK_KEY_TYPES: Readonly<Record<SkKeyAlgorithm, string>> = { ecdsa: 'sk-ecdsa-sha2-nistp256@openssh.com', ed25519: 'sk-ssh-ed25519@openssh.com' };

/** The sk public key as OpenSSH encodes it (PROTOCOL.u2f). */
export function sshKey(alg: SkKeyAlgorithm, publicKey: Uint8Array, application: string): SSHKey {
  const w = new Writer(160).utf8(SK_KEY_TYPES[alg]);
  if (alg === 'ecdsa') w.utf8('nistp256');
  return importPublicKey(w.bytes(publicKey).utf8(application).finish());
}

/** The SSH signature blob of PROTOCOL.u2f, from the backend's result. */
export function sshSignature(alg: SkKeyAlgorithm, sig: SkSignResult): Uint8Array {
  const w = new Writer(160).utf8(SK_KEY_TYPES[alg]);
  if (alg === 'ed25519') w.bytes(sig.signature);
  else {
    const int = (b: Uint8Array): bigint => BigInt(`0x${Buffer.from(b).toString('hex')}`);
    w.bytes(new Writer(80).mpint(int(sig.signature.subarray(0, 32))).mpint(int(sig.signature.subarray(32))).finish());
  }
  return w.u8(sig.flags).u32(sig.counter).finish();
}
