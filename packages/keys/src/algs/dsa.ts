/**
 * DSA keys: ssh-dss (RFC 4253 §6.6; SHA-1 with a 160-bit q, r||s as 40 bytes), the OpenSSL
 * "DSA PRIVATE KEY" encoding and PKCS#8/SPKI (RFC 3279 §2.3.2).
 * @module
 */

import { generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import type { Reader, Writer } from '@ssh/wire';
import { DerReader, derAlgorithm, derBitString, derInteger, derOctetString, derSequence } from '../asn1.ts';
import { KeyGenerationError, KeyImportError } from '../errors.ts';
import { bitLength, exportPkcs8, lazy, nodePrivateKey, nodePublicKey, safeVerify, signatureBlob, type KeyFamily, type KeyImpl } from './impl.ts';

export const DSA_OID = '1.2.840.10040.4.1';

class DsaKey implements KeyImpl {
  readonly algorithm = 'ssh-dss';
  readonly sigAlgorithms = ['ssh-dss'] as const;
  readonly label = 'DSA';
  readonly p: bigint;
  readonly q: bigint;
  readonly g: bigint;
  readonly y: bigint;
  readonly x: bigint | undefined;
  private readonly privateKey = lazy(() => nodePrivateKey(this.pkcs8()));
  private readonly publicKey = lazy(() => nodePublicKey(this.spki()));

  constructor(p: bigint, q: bigint, g: bigint, y: bigint, x?: bigint) {
    this.p = p;
    this.q = q;
    this.g = g;
    this.y = y;
    this.x = x;
  }

  get bits(): number {
    return bitLength(this.p);
  }

  get hasPrivate(): boolean {
    return this.x !== undefined;
  }

  private need(): bigint {
    if (this.x === undefined) throw new KeyImportError('DSA key has no private part');
    return this.x;
  }

  writePublic(w: Writer): void {
    w.mpint(this.p).mpint(this.q).mpint(this.g).mpint(this.y);
  }

  writePrivate(w: Writer): void {
    this.writePublic(w);
    w.mpint(this.need());
  }

  sign(_sigAlgorithm: string, data: Uint8Array): Uint8Array {
    const sig = nodeSign('sha1', data, { key: this.privateKey(), dsaEncoding: 'ieee-p1363' });
    return signatureBlob('ssh-dss', sig);
  }

  verify(sigAlgorithm: string, data: Uint8Array, body: Reader): boolean {
    if (sigAlgorithm !== 'ssh-dss') return false;
    return safeVerify(() => {
      const sig = body.bytes('signature');
      body.end('signature');
      if (sig.length !== 40) return false;
      return nodeVerify('sha1', data, { key: this.publicKey(), dsaEncoding: 'ieee-p1363' }, sig);
    });
  }

  toPublic(): KeyImpl {
    return new DsaKey(this.p, this.q, this.g, this.y);
  }

  private params(): Uint8Array {
    return derSequence(derInteger(this.p), derInteger(this.q), derInteger(this.g));
  }

  pkcs1Private(): { label: string; der: Uint8Array } {
    const der = derSequence(
      derInteger(0),
      derInteger(this.p),
      derInteger(this.q),
      derInteger(this.g),
      derInteger(this.y),
      derInteger(this.need()),
    );
    return { label: 'DSA PRIVATE KEY', der };
  }

  pkcs8(): Uint8Array {
    return derSequence(derInteger(0), derAlgorithm(DSA_OID, this.params()), derOctetString(derInteger(this.need())));
  }

  spki(): Uint8Array {
    return derSequence(derAlgorithm(DSA_OID, this.params()), derBitString(derInteger(this.y)));
  }
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
  }
  return result;
}

function make(p: bigint, q: bigint, g: bigint, y: bigint, x?: bigint): DsaKey {
  const pBits = bitLength(p);
  const qBits = bitLength(q);
  if (pBits < 512 || pBits > 8192 || qBits < 160 || qBits > 256) throw new KeyImportError('DSA parameters are out of range');
  if (g <= 1n || g >= p || y <= 1n || y >= p) throw new KeyImportError('DSA parameters are invalid');
  if (x !== undefined) {
    if (x <= 0n || x >= q) throw new KeyImportError('DSA private value is out of range');
    if (modPow(g, x, p) !== y) throw new KeyImportError('DSA private value does not match the public value');
  }
  return new DsaKey(p, q, g, y, x);
}

function parseParams(params: Uint8Array | undefined): [bigint, bigint, bigint] {
  if (!params) throw new KeyImportError('DSA key without domain parameters');
  const r = new DerReader(params).sequence('Dss-Parms');
  const p = r.unsigned('p');
  const q = r.unsigned('q');
  const g = r.unsigned('g');
  r.end('Dss-Parms');
  return [p, q, g];
}

function parseTraditional(der: Uint8Array): DsaKey {
  const r = new DerReader(der).sequence('DSAPrivateKey');
  if (r.smallInt('version') !== 0) throw new KeyImportError('unsupported DSAPrivateKey version');
  const p = r.unsigned('p');
  const q = r.unsigned('q');
  const g = r.unsigned('g');
  const y = r.unsigned('y');
  const x = r.unsigned('x');
  r.end('DSAPrivateKey');
  return make(p, q, g, y, x);
}

export const dsaFamily: KeyFamily = {
  keyTypes: ['ssh-dss'],
  sigAlgorithms: ['ssh-dss'],
  oids: [DSA_OID],
  pkcs1PrivateLabels: ['DSA PRIVATE KEY'],
  pkcs1PublicLabels: [],
  decodePublic(_keyType, r) {
    return make(r.mpint('p'), r.mpint('q'), r.mpint('g'), r.mpint('y'));
  },
  decodePrivate(_keyType, r) {
    return make(r.mpint('p'), r.mpint('q'), r.mpint('g'), r.mpint('y'), r.mpint('x'));
  },
  fromPkcs8(_oid, params, privateKey) {
    const [p, q, g] = parseParams(params);
    const xr = new DerReader(privateKey);
    const x = xr.unsigned('x');
    xr.end('DSA private key');
    return make(p, q, g, modPow(g, x, p), x);
  },
  fromSpki(_oid, params, publicKey) {
    const [p, q, g] = parseParams(params);
    const yr = new DerReader(publicKey);
    const y = yr.unsigned('y');
    yr.end('DSA public key');
    return make(p, q, g, y);
  },
  fromPkcs1Private: parseTraditional,
  fromPkcs1Public() {
    throw new KeyImportError('DSA has no PKCS#1 public key format');
  },
  generate(_keyType, options) {
    const bits = options.keySize ?? 1024;
    if (bits !== 1024) throw new KeyGenerationError('ssh-dss keys must be 1024 bits');
    const { privateKey } = generateKeyPairSync('dsa', { modulusLength: 1024, divisorLength: 160 });
    const info = new DerReader(exportPkcs8(privateKey)).sequence('PrivateKeyInfo');
    info.smallInt('version');
    const alg = info.sequence('AlgorithmIdentifier');
    alg.oid();
    const params = alg.element().raw;
    return dsaFamily.fromPkcs8(DSA_OID, params, info.octetString('privateKey'));
  },
};

