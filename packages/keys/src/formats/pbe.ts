/**
 * Password-based encryption of DER keys: PKCS#5 PBES2 (PBKDF2 + AES-CBC / 3DES-CBC) and PBES1
 * (RFC 8018 §6.1, MD5/SHA-1 with DES-CBC) for PKCS#8 EncryptedPrivateKeyInfo (RFC 5958 §3), and
 * OpenSSL's legacy PEM encryption (RFC 1421 DEK-Info with EVP_BytesToKey).
 * @module
 */

import { createCipheriv, createDecipheriv, createHash, hash, pbkdf2Sync, randomBytes, scryptSync } from 'node:crypto';
import {
  DerReader,
  derAlgorithm,
  derNull,
  derInteger,
  derOctetString,
  derSequence,
  TAG,
} from '../asn1.ts';
import { Asn1Error, KeyEncryptionError, KeyExportError, KeyImportError } from '../errors.ts';
import { asBytes, concat, fromHex, toHex } from '../internal/bytes.ts';

const PBES2 = '1.2.840.113549.1.5.13';
const PBKDF2 = '1.2.840.113549.1.5.12';
const SCRYPT = '1.3.6.1.4.1.11591.4.11';
/** PKCS#12 PBE (RFC 7292 Appendix C): OID -> cipher name. */
const PKCS12_PBE: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.12.1.3': 'des3-cbc',
};
/**
 * scrypt cost bounds for hostile input: N <= 2^20, r*p <= 64, and N*r*p <= 2^23, the cost of
 * N = 2^20, r = 8, p = 1 (1 GiB, seconds). Memory is 128*N*r bytes and work grows with N*r*p: N
 * and r*p alone let N = 2^20 with r = 64 through, 8 GiB and minutes for a 300-byte file.
 */
const MAX_SCRYPT_N = 1 << 20;
const MAX_SCRYPT_COST = MAX_SCRYPT_N * 8;
/** Iteration counts beyond this are refused, to bound the work a hostile file can ask for. */
export const MAX_PBKDF_ITERATIONS = 1_000_000;
/**
 * Bound on the hashes of the KDFs iterated here in JavaScript (PBES1, PKCS#12 PBE), a second or two:
 * PKCS#12 hashes `iterations` times per 20-byte block of key and of IV (three for 3DES, so at
 * most 333,333 iterations; OpenSSL writes 2048, Windows 2000, Java's legacy keystores 50,000).
 */
const MAX_PBE_HASHES = 1_000_000;

const PRFS: Readonly<Record<string, string>> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};

interface CbcCipher {
  /** Our name (as AsyncSSH spells it). */
  readonly name: string;
  readonly oid?: string;
  /** DEK-Info name of OpenSSL's legacy PEM encryption. */
  readonly dek: string;
  readonly keyLength: number;
  readonly ivLength: number;
}

const CBC_CIPHERS: readonly CbcCipher[] = [
  { name: 'aes128-cbc', oid: '2.16.840.1.101.3.4.1.2', dek: 'AES-128-CBC', keyLength: 16, ivLength: 16 },
  { name: 'aes192-cbc', oid: '2.16.840.1.101.3.4.1.22', dek: 'AES-192-CBC', keyLength: 24, ivLength: 16 },
  { name: 'aes256-cbc', oid: '2.16.840.1.101.3.4.1.42', dek: 'AES-256-CBC', keyLength: 32, ivLength: 16 },
  { name: 'des3-cbc', oid: '1.2.840.113549.3.7', dek: 'DES-EDE3-CBC', keyLength: 24, ivLength: 8 },
  { name: 'des-cbc', oid: '1.3.14.3.2.7', dek: 'DES-CBC', keyLength: 8, ivLength: 8 },
];

/** Names of the ciphers PKCS#8 and PEM encryption accept. */
export const PBE_CIPHER_NAMES: readonly string[] = CBC_CIPHERS.map((c) => c.name);

function nodeCipherName(c: CbcCipher, key: Uint8Array): [string, Uint8Array] {
  // Single DES is 3DES-EDE with one key repeated: OpenSSL 3 keeps DES-CBC in its legacy provider only.
  if (c.keyLength === 8) return ['des-ede3-cbc', concat(key, key, key)];
  return [`${c.name.startsWith('des3') ? 'des-ede3' : `aes-${c.keyLength * 8}`}-cbc`, key];
}

function cbcDecrypt(c: CbcCipher, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  if (iv.length !== c.ivLength) throw new KeyImportError(`${c.name}: IV must be ${c.ivLength} bytes`);
  if (data.length === 0 || data.length % c.ivLength !== 0) throw new KeyEncryptionError('encrypted data is not whole blocks');
  const [name, k] = nodeCipherName(c, key);
  try {
    const d = createDecipheriv(name, k, iv);
    return new Uint8Array(Buffer.concat([d.update(data), d.final()]));
  } catch (cause) {
    throw new KeyEncryptionError('incorrect passphrase', { cause });
  }
}

function cbcEncrypt(c: CbcCipher, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const [name, k] = nodeCipherName(c, key);
  const e = createCipheriv(name, k, iv);
  return new Uint8Array(Buffer.concat([e.update(data), e.final()]));
}

function cipherByName(name: string): CbcCipher {
  const c = CBC_CIPHERS.find((x) => x.name === name);
  if (!c) throw new KeyExportError(`unsupported cipher ${JSON.stringify(name)}; use one of ${PBE_CIPHER_NAMES.join(', ')}`);
  return c;
}

// -------------------------------------------------------------------------------------------
// PKCS#8 EncryptedPrivateKeyInfo

/** PBES1 schemes: OID -> [hash, cipher]. */
const PBES1: Readonly<Record<string, readonly [string, string]>> = {
  '1.2.840.113549.1.5.3': ['md5', 'des-cbc'],
  '1.2.840.113549.1.5.10': ['sha1', 'des-cbc'],
};

/** True when `der` looks like an EncryptedPrivateKeyInfo (SEQUENCE { AlgorithmIdentifier, OCTET STRING }). */
export function isEncryptedPkcs8(der: Uint8Array): boolean {
  try {
    const r = new DerReader(der).sequence();
    r.sequence();
    r.octetString();
    return r.atEnd;
  } catch {
    return false;
  }
}

/** Decrypts an EncryptedPrivateKeyInfo, returning the PrivateKeyInfo DER. */
export function decryptPkcs8(der: Uint8Array, passphrase: string | Uint8Array | undefined): Uint8Array {
  const r = new DerReader(der).sequence('EncryptedPrivateKeyInfo');
  const alg = r.sequence('encryptionAlgorithm');
  const oid = alg.oid('encryption algorithm');
  const data = r.octetString('encryptedData');
  r.end('EncryptedPrivateKeyInfo');
  const pass = passphrase === undefined ? undefined : asBytes(passphrase);
  let plain: Uint8Array;
  if (oid === PBES2) {
    const params = alg.sequence('PBES2-params');
    const kdf = params.sequence('keyDerivationFunc');
    const kdfOid = kdf.oid('KDF');
    if (kdfOid === SCRYPT) {
      const sp = kdf.sequence('scrypt-params');
      const salt = sp.octetString('salt');
      const N = sp.smallInt('costParameter');
      const r = sp.smallInt('blockSize');
      const p = sp.smallInt('parallelizationParameter');
      const enc = params.sequence('encryptionScheme');
      const encOid = enc.oid('cipher');
      const cipher = CBC_CIPHERS.find((c) => c.oid === encOid);
      if (!cipher) throw new KeyEncryptionError(`unsupported PBES2 cipher ${encOid}`);
      const iv = enc.octetString('IV');
      if (N < 2 || N > MAX_SCRYPT_N || (N & (N - 1)) !== 0 || r < 1 || p < 1 || r * p > 64 || N * r * p > MAX_SCRYPT_COST) {
        throw new KeyImportError('scrypt parameters out of range');
      }
      if (pass === undefined) throw new KeyEncryptionError('passphrase required to decrypt this key');
      const key = new Uint8Array(scryptSync(pass, salt, cipher.keyLength, { N, r, p, maxmem: 256 * N * r + (1 << 20) }));
      return cbcDecrypt(cipher, key, iv, data);
    }
    if (kdfOid !== PBKDF2) throw new KeyEncryptionError(`unsupported PBES2 key derivation ${kdfOid}`);
    const kp = kdf.sequence('PBKDF2-params');
    const salt = kp.octetString('salt');
    const iterations = kp.smallInt('iterationCount');
    let keyLength: number | undefined;
    if (kp.peekTag() === TAG.INTEGER) keyLength = kp.smallInt('keyLength');
    let prf = 'sha1';
    if (!kp.atEnd) {
      const prfAlg = kp.sequence('prf');
      const prfOid = prfAlg.oid('prf');
      const name = PRFS[prfOid];
      if (!name) throw new KeyEncryptionError(`unsupported PBKDF2 PRF ${prfOid}`);
      prf = name;
    }
    const enc = params.sequence('encryptionScheme');
    const encOid = enc.oid('cipher');
    const cipher = CBC_CIPHERS.find((c) => c.oid === encOid);
    if (!cipher) throw new KeyEncryptionError(`unsupported PBES2 cipher ${encOid}`);
    const iv = enc.octetString('IV');
    if (iterations < 1 || iterations > MAX_PBKDF_ITERATIONS) throw new KeyImportError(`PBKDF2 iteration count ${iterations} out of range`);
    if (keyLength !== undefined && keyLength !== cipher.keyLength) throw new KeyImportError('PBKDF2 key length does not match the cipher');
    if (pass === undefined) throw new KeyEncryptionError('passphrase required to decrypt this key');
    const key = new Uint8Array(pbkdf2Sync(pass, salt, iterations, cipher.keyLength, prf));
    plain = cbcDecrypt(cipher, key, iv, data);
  } else if (PBES1[oid]) {
    const [hashName, cipherName] = PBES1[oid];
    const params = alg.sequence('PBEParameter');
    const salt = params.octetString('salt');
    const iterations = params.smallInt('iterationCount');
    if (salt.length !== 8) throw new KeyImportError('PBES1 salt must be 8 bytes');
    if (iterations < 1 || iterations > MAX_PBKDF_ITERATIONS) throw new KeyImportError(`PBES1 iteration count ${iterations} out of range`);
    if (pass === undefined) throw new KeyEncryptionError('passphrase required to decrypt this key');
    let t = concat(pass, salt);
    for (let i = 0; i < iterations; i++) t = hash(hashName, t, 'buffer');
    plain = cbcDecrypt(cipherByName(cipherName), t.subarray(0, 8), t.subarray(8, 16), data);
  } else if (PKCS12_PBE[oid]) {
    const cipher = cipherByName(PKCS12_PBE[oid]);
    const params = alg.sequence('pkcs-12PbeParams');
    const salt = params.octetString('salt');
    const iterations = params.smallInt('iterations');
    const hashes = iterations * (Math.ceil(cipher.keyLength / 20) + Math.ceil(cipher.ivLength / 20));
    if (salt.length > 1024 || iterations < 1 || hashes > MAX_PBE_HASHES) throw new KeyImportError('PKCS#12 PBE parameters out of range');
    if (pass === undefined) throw new KeyEncryptionError('passphrase required to decrypt this key');
    const key = pkcs12Kdf(pass, salt, iterations, 1, cipher.keyLength);
    const iv = pkcs12Kdf(pass, salt, iterations, 2, cipher.ivLength);
    plain = cbcDecrypt(cipher, key, iv, data);
  } else {
    throw new KeyEncryptionError(`unsupported PKCS#8 encryption ${oid}`);
  }
  return plain;
}

/** The PKCS#12 key derivation with SHA-1 (RFC 7292 Appendix B.2). */
function pkcs12Kdf(password: Uint8Array, salt: Uint8Array, iterations: number, id: number, length: number): Uint8Array {
  const v = 64;
  // The password as a BMPString with a terminating NUL.
  const text = new TextDecoder().decode(password);
  const bmp = new Uint8Array(2 * text.length + 2);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    bmp[2 * i] = c >> 8;
    bmp[2 * i + 1] = c & 0xff;
  }
  const fill = (src: Uint8Array): Uint8Array => {
    const out = new Uint8Array(v * Math.ceil(src.length / v));
    for (let i = 0; i < out.length; i++) out[i] = src[i % src.length] as number;
    return out;
  };
  const I = concat(salt.length ? fill(salt) : new Uint8Array(0), fill(bmp));
  const D = new Uint8Array(v).fill(id);
  const out = new Uint8Array(length);
  for (let done = 0; done < length; ) {
    // One-shot hash(): the chain is up to a million hashes of 20 bytes, where a createHash()
    // object for each costs about twice as much.
    let A: Uint8Array = hash('sha1', concat(D, I), 'buffer');
    for (let i = 1; i < iterations; i++) A = hash('sha1', A, 'buffer');
    out.set(A.subarray(0, Math.min(A.length, length - done)), done);
    done += A.length;
    if (done >= length) break;
    const B = fill(A);
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = (I[j + k] as number) + (B[k] as number) + carry;
        I[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return out;
}

export interface Pkcs8EncryptOptions {
  readonly cipherName?: string;
  readonly hashName?: string;
  readonly rounds?: number;
}

/** Wraps a PrivateKeyInfo in a PBES2 EncryptedPrivateKeyInfo. */
export function encryptPkcs8(der: Uint8Array, passphrase: string | Uint8Array, options: Pkcs8EncryptOptions = {}): Uint8Array {
  const cipher = cipherByName(options.cipherName ?? 'aes256-cbc');
  const hash = options.hashName ?? 'sha256';
  const prfOid = Object.keys(PRFS).find((k) => PRFS[k] === hash);
  if (!prfOid) throw new KeyExportError(`unsupported PBKDF2 hash ${JSON.stringify(hash)}`);
  const iterations = options.rounds ?? 2048;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_PBKDF_ITERATIONS) throw new KeyExportError('PBKDF2 iteration count out of range');
  const salt = new Uint8Array(randomBytes(16));
  const iv = new Uint8Array(randomBytes(cipher.ivLength));
  const key = new Uint8Array(pbkdf2Sync(asBytes(passphrase), salt, iterations, cipher.keyLength, hash));
  const encrypted = cbcEncrypt(cipher, key, iv, der);
  const kdf = derAlgorithm(PBKDF2, derSequence(derOctetString(salt), derInteger(iterations), derAlgorithm(prfOid, derNull())));
  const scheme = derAlgorithm(cipher.oid as string, derOctetString(iv));
  return derSequence(derAlgorithm(PBES2, derSequence(kdf, scheme)), derOctetString(encrypted));
}

// -------------------------------------------------------------------------------------------
// Legacy PEM encryption (Proc-Type: 4,ENCRYPTED / DEK-Info)

/** OpenSSL's EVP_BytesToKey with MD5 and one iteration. */
function bytesToKey(pass: Uint8Array, salt: Uint8Array, length: number): Uint8Array {
  let out: Uint8Array = new Uint8Array(0);
  let prev: Uint8Array = new Uint8Array(0);
  while (out.length < length) {
    prev = new Uint8Array(createHash('md5').update(prev).update(pass).update(salt).digest());
    out = concat(out, prev);
  }
  return out.subarray(0, length);
}

/** Decrypts the body of a PEM block whose headers say Proc-Type: 4,ENCRYPTED. */
export function decryptLegacyPem(headers: ReadonlyMap<string, string>, data: Uint8Array, passphrase: string | Uint8Array | undefined): Uint8Array {
  const dek = headers.get('DEK-Info');
  if (!dek) throw new KeyImportError('encrypted PEM without DEK-Info');
  const [name = '', ivHex = ''] = dek.split(',').map((s) => s.trim());
  const cipher = CBC_CIPHERS.find((c) => c.dek === name.toUpperCase());
  if (!cipher) throw new KeyEncryptionError(`unsupported PEM cipher ${JSON.stringify(name)}`);
  const iv = fromHex(ivHex);
  if (!iv || iv.length !== cipher.ivLength) throw new KeyImportError('bad IV in DEK-Info');
  if (passphrase === undefined) throw new KeyEncryptionError('passphrase required to decrypt this key');
  const key = bytesToKey(asBytes(passphrase), iv.subarray(0, 8), cipher.keyLength);
  return cbcDecrypt(cipher, key, iv, data);
}

/** Encrypts DER for a legacy PEM block, returning the headers to write. */
export function encryptLegacyPem(data: Uint8Array, passphrase: string | Uint8Array, cipherName = 'aes256-cbc'): { headers: Map<string, string>; data: Uint8Array } {
  const cipher = cipherByName(cipherName);
  const iv = new Uint8Array(randomBytes(cipher.ivLength));
  const key = bytesToKey(asBytes(passphrase), iv.subarray(0, 8), cipher.keyLength);
  const headers = new Map([
    ['Proc-Type', '4,ENCRYPTED'],
    ['DEK-Info', `${cipher.dek},${toHex(iv).toUpperCase()}`],
  ]);
  return { headers, data: cbcEncrypt(cipher, key, iv, data) };
}

/** Runs `parse` on decrypted bytes: any failure there means the passphrase was wrong. */
export function parseDecrypted<T>(parse: () => T): T {
  try {
    return parse();
  } catch (cause) {
    if (cause instanceof Asn1Error || cause instanceof KeyImportError) throw new KeyEncryptionError('incorrect passphrase', { cause });
    throw cause;
  }
}
