/**
 * RSA keys: ssh-rsa public keys (RFC 4253 §6.6), signatures with SHA-1, SHA-2 (RFC 8332) and the
 * ssh.com SHA-224/256/384/512 names; PKCS#1 (RFC 8017 A.1) and PKCS#8/SPKI encodings.
 * @module
 */

import { generateKeyPairSync, sign as nodeSign, verify as nodeVerify, type JsonWebKey } from 'node:crypto';
import type { Reader, Writer } from '@ssh/wire';
import { DerReader, derAlgorithm, derBitString, derInteger, derNull, derOctetString, derSequence } from '../asn1.ts';
import { KeyGenerationError, KeyImportError } from '../errors.ts';
import {
  bigintToBase64url,
  bitLength,
  exportPkcs8,
  lazy,
  nodeKeyFromJwk,
  safeVerify,
  signatureBlob,
  type GenerateOptions,
  type KeyFamily,
  type KeyImpl,
} from './impl.ts';

export const RSA_OID = '1.2.840.113549.1.1.1';

/** Signature algorithm name -> hash, preferred first. */
export const RSA_SIG_HASHES: Readonly<Record<string, string>> = {
  'rsa-sha2-256': 'sha256',
  'rsa-sha2-512': 'sha512',
  'ssh-rsa-sha224@ssh.com': 'sha224',
  'ssh-rsa-sha256@ssh.com': 'sha256',
  'ssh-rsa-sha384@ssh.com': 'sha384',
  'ssh-rsa-sha512@ssh.com': 'sha512',
  'ssh-rsa': 'sha1',
};
const RSA_SIG_ALGS = Object.keys(RSA_SIG_HASHES);

let skipValidationDefault = false;

/** Skips the consistency check of imported RSA private keys (it costs a few bigint products). */
export function setDefaultSkipRsaKeyValidation(skip: boolean): void {
  skipValidationDefault = skip;
}

interface RsaPrivate {
  readonly d: bigint;
  readonly p: bigint;
  readonly q: bigint;
  readonly dp: bigint;
  readonly dq: bigint;
  readonly qi: bigint;
}

const MAX_RSA_BITS = 16384;

function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [((a % m) + m) % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) throw new KeyImportError('RSA key: q has no inverse modulo p');
  return ((oldS % m) + m) % m;
}

class RsaKey implements KeyImpl {
  readonly algorithm = 'ssh-rsa';
  readonly sigAlgorithms = RSA_SIG_ALGS;
  readonly label = 'RSA';
  readonly n: bigint;
  readonly e: bigint;
  readonly priv: RsaPrivate | undefined;
  // JWKs, not PKCS#8/SPKI DER: OpenSSL builds the key from the numbers forty times faster than
  // its DER decoders take it, so the first signature after an import costs little more than later ones.
  private readonly privateKey = lazy(() => nodeKeyFromJwk('private', this.jwk(this.need())));
  private readonly publicKey = lazy(() => nodeKeyFromJwk('public', this.jwk(undefined)));

  constructor(n: bigint, e: bigint, priv?: RsaPrivate) {
    this.n = n;
    this.e = e;
    this.priv = priv;
  }

  /** Modulus size, computed once: verification pads short signatures to it on every call. */
  private bitCount = 0;

  get bits(): number {
    if (this.bitCount === 0) this.bitCount = bitLength(this.n);
    return this.bitCount;
  }

  get hasPrivate(): boolean {
    return this.priv !== undefined;
  }

  private get modulusBytes(): number {
    return Math.ceil(this.bits / 8);
  }

  writePublic(w: Writer): void {
    w.mpint(this.e).mpint(this.n);
  }

  writePrivate(w: Writer): void {
    const p = this.need();
    w.mpint(this.n).mpint(this.e).mpint(p.d).mpint(p.qi).mpint(p.p).mpint(p.q);
  }

  /** The key as a JWK (RFC 7518 §6.3), with the private members when `priv` is given. */
  private jwk(priv: RsaPrivate | undefined): JsonWebKey {
    const jwk: JsonWebKey = { kty: 'RSA', n: bigintToBase64url(this.n), e: bigintToBase64url(this.e) };
    if (priv) {
      jwk.d = bigintToBase64url(priv.d);
      jwk.p = bigintToBase64url(priv.p);
      jwk.q = bigintToBase64url(priv.q);
      jwk.dp = bigintToBase64url(priv.dp);
      jwk.dq = bigintToBase64url(priv.dq);
      jwk.qi = bigintToBase64url(priv.qi);
    }
    return jwk;
  }

  private need(): RsaPrivate {
    if (!this.priv) throw new KeyImportError('RSA key has no private part');
    return this.priv;
  }

  sign(sigAlgorithm: string, data: Uint8Array): Uint8Array {
    const hash = RSA_SIG_HASHES[sigAlgorithm] as string;
    return signatureBlob(sigAlgorithm, nodeSign(hash, data, this.privateKey()));
  }

  verify(sigAlgorithm: string, data: Uint8Array, body: Reader): boolean {
    const hash = RSA_SIG_HASHES[sigAlgorithm];
    if (hash === undefined) return false;
    return safeVerify(() => {
      let sig = body.bytes('signature');
      body.end('signature');
      if (sig.length > this.modulusBytes) return false;
      if (sig.length < this.modulusBytes) {
        // Some implementations drop leading zero bytes; restore them.
        const padded = new Uint8Array(this.modulusBytes);
        padded.set(sig, this.modulusBytes - sig.length);
        sig = padded;
      }
      return nodeVerify(hash, data, this.publicKey(), sig);
    });
  }

  toPublic(): KeyImpl {
    return new RsaKey(this.n, this.e);
  }

  pkcs1Private(): { label: string; der: Uint8Array } {
    const p = this.need();
    const der = derSequence(
      derInteger(0),
      derInteger(this.n),
      derInteger(this.e),
      derInteger(p.d),
      derInteger(p.p),
      derInteger(p.q),
      derInteger(p.dp),
      derInteger(p.dq),
      derInteger(p.qi),
    );
    return { label: 'RSA PRIVATE KEY', der };
  }

  pkcs1Public(): { label: string; der: Uint8Array } {
    return { label: 'RSA PUBLIC KEY', der: derSequence(derInteger(this.n), derInteger(this.e)) };
  }

  pkcs8(): Uint8Array {
    return derSequence(derInteger(0), derAlgorithm(RSA_OID, derNull()), derOctetString(this.pkcs1Private().der));
  }

  spki(): Uint8Array {
    return derSequence(derAlgorithm(RSA_OID, derNull()), derBitString(this.pkcs1Public().der));
  }
}

function checkPublic(n: bigint, e: bigint): void {
  const bits = bitLength(n);
  if (bits < 512 || bits > MAX_RSA_BITS) throw new KeyImportError(`RSA modulus of ${bits} bits is out of range`);
  if (e < 3n || (e & 1n) === 0n || bitLength(e) > 64) throw new KeyImportError('RSA public exponent is invalid');
  if ((n & 1n) === 0n) throw new KeyImportError('RSA modulus is even');
}

function makePrivate(n: bigint, e: bigint, d: bigint, p: bigint, q: bigint, qi?: bigint): RsaKey {
  checkPublic(n, e);
  if (p <= 1n || q <= 1n || d <= 0n || d >= n) throw new KeyImportError('RSA private key parameters are invalid');
  if (!skipValidationDefault) {
    if (p * q !== n) throw new KeyImportError('RSA key: n is not p*q');
    if ((e * d) % (p - 1n) !== 1n || (e * d) % (q - 1n) !== 1n) throw new KeyImportError('RSA key: d does not match e');
  }
  const iq = qi ?? modInverse(q, p);
  return new RsaKey(n, e, { d, p, q, dp: d % (p - 1n), dq: d % (q - 1n), qi: iq });
}

function parsePkcs1Private(der: Uint8Array): RsaKey {
  const r = new DerReader(der).sequence('RSAPrivateKey');
  const version = r.smallInt('version');
  if (version !== 0) throw new KeyImportError(`unsupported RSAPrivateKey version ${version}`);
  const n = r.unsigned('modulus');
  const e = r.unsigned('publicExponent');
  const d = r.unsigned('privateExponent');
  const p = r.unsigned('prime1');
  const q = r.unsigned('prime2');
  r.unsigned('exponent1');
  r.unsigned('exponent2');
  const qi = r.unsigned('coefficient');
  r.end('RSAPrivateKey');
  return makePrivate(n, e, d, p, q, qi);
}

function parsePkcs1Public(der: Uint8Array): RsaKey {
  const r = new DerReader(der).sequence('RSAPublicKey');
  const n = r.unsigned('modulus');
  const e = r.unsigned('publicExponent');
  r.end('RSAPublicKey');
  checkPublic(n, e);
  return new RsaKey(n, e);
}

export const rsaFamily: KeyFamily = {
  keyTypes: ['ssh-rsa'],
  sigAlgorithms: RSA_SIG_ALGS,
  oids: [RSA_OID],
  pkcs1PrivateLabels: ['RSA PRIVATE KEY'],
  pkcs1PublicLabels: ['RSA PUBLIC KEY'],
  decodePublic(_keyType, r) {
    const e = r.mpint('e');
    const n = r.mpint('n');
    checkPublic(n, e);
    return new RsaKey(n, e);
  },
  decodePrivate(_keyType, r) {
    const n = r.mpint('n');
    const e = r.mpint('e');
    const d = r.mpint('d');
    const qi = r.mpint('iqmp');
    const p = r.mpint('p');
    const q = r.mpint('q');
    return makePrivate(n, e, d, p, q, qi);
  },
  fromPkcs8(_oid, _params, privateKey) {
    return parsePkcs1Private(privateKey);
  },
  fromSpki(_oid, _params, publicKey) {
    return parsePkcs1Public(publicKey);
  },
  fromPkcs1Private: parsePkcs1Private,
  fromPkcs1Public: parsePkcs1Public,
  generate(_keyType, options: GenerateOptions) {
    const bits = options.keySize ?? 3072;
    const exponent = options.exponent ?? 65537;
    if (!Number.isInteger(bits) || bits < 1024 || bits > MAX_RSA_BITS) {
      throw new KeyGenerationError(`RSA key size must be between 1024 and ${MAX_RSA_BITS} bits`);
    }
    if (!Number.isSafeInteger(exponent) || exponent < 3 || exponent % 2 === 0) {
      throw new KeyGenerationError('RSA exponent must be an odd integer >= 3');
    }
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: exponent });
    const info = new DerReader(exportPkcs8(privateKey)).sequence('PrivateKeyInfo');
    info.smallInt('version');
    info.sequence('AlgorithmIdentifier');
    return parsePkcs1Private(info.octetString('privateKey'));
  },
};
