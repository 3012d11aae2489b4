/**
 * The interface every key algorithm family implements, and helpers they share.
 *
 * A family file (rsa.ts, ecdsa.ts, ...) knows its SSH encodings (public blob fields, OpenSSH
 * private fields, signature bodies) and its DER encodings (PKCS#1, SEC1, PKCS#8, SPKI). The
 * `SSHKey` class wraps one of these and adds what is common (comments, fingerprints, formats).
 * @module
 */

import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { Reader, Writer } from '@ssh/wire';
import { KeyImportError } from '../errors.ts';

/** DER key material with the PEM label it is armored under. */
export interface LabeledDer {
  readonly label: string;
  readonly der: Uint8Array;
}

/** One key (public, or public and private) of one algorithm family. */
export interface KeyImpl {
  /** Key type as it appears in the public key blob ('ssh-rsa', 'ecdsa-sha2-nistp256', ...). */
  readonly algorithm: string;
  /** Signature algorithms the key can make or check, preferred first. */
  readonly sigAlgorithms: readonly string[];
  /** What `ssh-keygen -l` prints in parentheses: RSA, DSA, ECDSA, ED25519, ... */
  readonly label: string;
  /** Size in bits as `ssh-keygen -l` prints it. */
  readonly bits: number;
  /** True when private material is present (signing possible). */
  readonly hasPrivate: boolean;
  /** True when this key cannot sign locally even with private material (security keys). */
  readonly external?: boolean;
  /** Public blob fields after the key type. */
  writePublic(w: Writer): void;
  /** OpenSSH private key fields after the key type (openssh-key-v1). */
  writePrivate(w: Writer): void;
  /**
   * The whole SSH signature blob (`string sigAlgorithm` then the algorithm's fields), built in
   * one allocation: `sigAlgorithm` is one of `sigAlgorithms` (checked by the caller).
   */
  sign(sigAlgorithm: string, data: Uint8Array): Uint8Array;
  /** Checks the signature blob fields after the name; false on any mismatch or malformation. */
  verify(sigAlgorithm: string, data: Uint8Array, body: Reader): boolean;
  /** The same key without private material. */
  toPublic(): KeyImpl;
  /** PKCS#8 PrivateKeyInfo, when the family has one. */
  pkcs8?(): Uint8Array;
  /** SubjectPublicKeyInfo, when the family has one. */
  spki?(): Uint8Array;
  /** The "traditional" private encoding (PKCS#1 RSA, DSA, SEC1 EC). */
  pkcs1Private?(): LabeledDer;
  /** The "traditional" public encoding (PKCS#1 RSAPublicKey). */
  pkcs1Public?(): LabeledDer;
}

/** A node:crypto private KeyObject from PKCS#8 DER; KeyImportError when OpenSSL refuses it. */
export function nodePrivateKey(pkcs8: Uint8Array): KeyObject {
  try {
    return createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  } catch (cause) {
    throw new KeyImportError('invalid private key', { cause });
  }
}

/**
 * A node:crypto KeyObject from a JWK. OpenSSL's PKCS#8/SPKI DER decoders cost ten to forty
 * times what a JWK import does (about 0.4 ms against 0.04 ms for an EC or EdDSA private key,
 * 0.5 ms against 0.01 ms for an RSA 3072 private key), so the EC, EdDSA and RSA families hand
 * their keys to OpenSSL this way. KeyImportError when OpenSSL refuses it.
 */
export function nodeKeyFromJwk(kind: 'private' | 'public', jwk: JsonWebKey): KeyObject {
  try {
    return kind === 'private' ? createPrivateKey({ key: jwk, format: 'jwk' }) : createPublicKey({ key: jwk, format: 'jwk' });
  } catch (cause) {
    throw new KeyImportError(`invalid ${kind} key`, { cause });
  }
}

/** Unpadded base64url, as JWK members are written. */
export function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** A non-negative integer as a JWK base64urlUInt (RFC 7518 §2: big-endian, minimal octets). */
export function bigintToBase64url(value: bigint): string {
  const hex = value.toString(16);
  return Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex').toString('base64url');
}

/** A JWK member's bytes, left-padded with zeros to `size` (JWK EC coordinates are fixed size already). */
export function fromBase64url(value: unknown, size: number): Uint8Array {
  if (typeof value !== 'string') throw new KeyImportError('key has no such JWK member');
  const raw = Buffer.from(value, 'base64url');
  if (raw.length > size) throw new KeyImportError('JWK member too long');
  const out = new Uint8Array(size);
  out.set(raw, size - raw.length);
  return out;
}

/** A node:crypto public KeyObject from SPKI DER; KeyImportError when OpenSSL refuses it. */
export function nodePublicKey(spki: Uint8Array): KeyObject {
  try {
    return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new KeyImportError('invalid public key', { cause });
  }
}

export function exportPkcs8(key: KeyObject): Uint8Array {
  return new Uint8Array(key.export({ format: 'der', type: 'pkcs8' }));
}

export function exportSpki(key: KeyObject): Uint8Array {
  return new Uint8Array(key.export({ format: 'der', type: 'spki' }));
}

/** Lazily computed value. */
export function lazy<T>(make: () => T): () => T {
  let done = false;
  let value: T | undefined;
  return () => {
    if (!done) {
      value = make();
      done = true;
    }
    return value as T;
  };
}

/** Bit length of a positive integer (hex digits: a quarter of the string `toString(2)` makes). */
export function bitLength(n: bigint): number {
  if (n <= 0n) return 0;
  const hex = n.toString(16);
  return (hex.length - 1) * 4 + (32 - Math.clz32(Number.parseInt(hex.charAt(0), 16)));
}

/** Writes a big-endian uint32 at `at`. */
export function putU32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = (v >>> 16) & 0xff;
  out[at + 2] = (v >>> 8) & 0xff;
  out[at + 3] = v & 0xff;
}

/**
 * Writes `string name` (an ASCII algorithm name from our own tables) at the start of `out`;
 * returns the offset after it.
 */
export function putName(out: Uint8Array, name: string): number {
  const n = name.length;
  putU32(out, 0, n);
  for (let i = 0; i < n; i++) out[4 + i] = name.charCodeAt(i);
  return 4 + n;
}

/** The SSH signature blob `string sigAlgorithm, string sig` (RFC 4253 §6.6) in one allocation. */
export function signatureBlob(sigAlgorithm: string, sig: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + sigAlgorithm.length + sig.length);
  const at = putName(out, sigAlgorithm);
  putU32(out, at, sig.length);
  out.set(sig, at + 4);
  return out;
}

/** Runs a verification, turning any thrown error into `false`. */
export function safeVerify(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}

/** Options common to key generation. */
export interface GenerateOptions {
  /** RSA modulus / DSA prime size in bits. */
  readonly keySize?: number;
  /** RSA public exponent (default 65537). */
  readonly exponent?: number;
}

/** Everything the registry needs to know about one algorithm family. */
export interface KeyFamily {
  /** Key types (public blob names) this family decodes. */
  readonly keyTypes: readonly string[];
  /** Signature algorithms its keys can check, preferred first within each key type. */
  readonly sigAlgorithms: readonly string[];
  /** PKCS#8 / SPKI algorithm OIDs this family decodes. */
  readonly oids: readonly string[];
  /** PEM labels of the "traditional" private format ('RSA PRIVATE KEY', ...). */
  readonly pkcs1PrivateLabels: readonly string[];
  /** PEM labels of the "traditional" public format ('RSA PUBLIC KEY'). */
  readonly pkcs1PublicLabels: readonly string[];
  decodePublic(keyType: string, r: Reader): KeyImpl;
  decodePrivate(keyType: string, r: Reader): KeyImpl;
  fromPkcs8(oid: string, params: Uint8Array | undefined, privateKey: Uint8Array): KeyImpl;
  fromSpki(oid: string, params: Uint8Array | undefined, publicKey: Uint8Array): KeyImpl;
  fromPkcs1Private(der: Uint8Array): KeyImpl;
  fromPkcs1Public(der: Uint8Array): KeyImpl;
  /** Generates a key; undefined when the family cannot generate `keyType` here. */
  generate?(keyType: string, options: GenerateOptions): KeyImpl;
}

/** A family method that has no meaning for this family. */
export function unsupported(what: string): never {
  throw new KeyImportError(`${what} is not supported for this key type`);
}
