/**
 * DER key containers: PKCS#8 PrivateKeyInfo / OneAsymmetricKey (RFC 5958), SubjectPublicKeyInfo
 * (RFC 5280 §4.1), and the per-algorithm "traditional" encodings (PKCS#1 and friends).
 * @module
 */

import { familyForOid, familyForPkcs1Label, KEY_FAMILIES } from '../algs/index.ts';
import type { KeyImpl } from '../algs/impl.ts';
import { DerReader } from '../asn1.ts';
import { KeyImportError } from '../errors.ts';

interface AlgorithmId {
  readonly oid: string;
  readonly params: Uint8Array | undefined;
}

function readAlgorithm(r: DerReader): AlgorithmId {
  const alg = r.sequence('AlgorithmIdentifier');
  const oid = alg.oid('algorithm');
  const params = alg.atEnd ? undefined : alg.element().raw;
  alg.end('AlgorithmIdentifier');
  return { oid, params };
}

function family(oid: string) {
  const f = familyForOid(oid);
  if (!f) throw new KeyImportError(`unsupported key algorithm ${oid}`);
  return f;
}

/** PrivateKeyInfo (v1) or OneAsymmetricKey (v2). */
export function decodePkcs8(der: Uint8Array): KeyImpl {
  const r = new DerReader(der).sequence('PrivateKeyInfo');
  const version = r.smallInt('version');
  if (version > 1) throw new KeyImportError(`unsupported PrivateKeyInfo version ${version}`);
  const { oid, params } = readAlgorithm(r);
  const privateKey = r.octetString('privateKey');
  // Optional [0] attributes and [1] public key follow; the key itself is authoritative.
  while (!r.atEnd) r.element();
  const f = family(oid);
  return f.fromPkcs8(oid, params, privateKey);
}

/** SubjectPublicKeyInfo. */
export function decodeSpki(der: Uint8Array): KeyImpl {
  const r = new DerReader(der).sequence('SubjectPublicKeyInfo');
  const { oid, params } = readAlgorithm(r);
  const publicKey = r.bitString('subjectPublicKey');
  r.end('SubjectPublicKeyInfo');
  return family(oid).fromSpki(oid, params, publicKey);
}

/** A traditional private key under a known PEM label, or (label undefined) any that parses. */
export function decodePkcs1Private(der: Uint8Array, label?: string): KeyImpl {
  if (label !== undefined) {
    const f = familyForPkcs1Label(label, 'private');
    if (!f) throw new KeyImportError(`unsupported PEM label ${JSON.stringify(label)}`);
    return f.fromPkcs1Private(der);
  }
  return tryEach(KEY_FAMILIES.filter((f) => f.pkcs1PrivateLabels.length > 0).map((f) => () => f.fromPkcs1Private(der)));
}

/** A traditional public key (PKCS#1 RSAPublicKey). */
export function decodePkcs1Public(der: Uint8Array, label?: string): KeyImpl {
  if (label !== undefined) {
    const f = familyForPkcs1Label(label, 'public');
    if (!f) throw new KeyImportError(`unsupported PEM label ${JSON.stringify(label)}`);
    return f.fromPkcs1Public(der);
  }
  return tryEach(KEY_FAMILIES.filter((f) => f.pkcs1PublicLabels.length > 0).map((f) => () => f.fromPkcs1Public(der)));
}

/** The first attempt that succeeds; otherwise the first failure. */
export function tryEach<T>(attempts: readonly (() => T)[]): T {
  let first: unknown;
  for (const attempt of attempts) {
    try {
      return attempt();
    } catch (e) {
      first ??= e;
    }
  }
  if (first instanceof KeyImportError) throw first;
  throw new KeyImportError('unrecognized key data', { cause: first });
}
