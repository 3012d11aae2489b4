/**
 * Password-based encryption of DER keys for PKCS#8 EncryptedPrivateKeyInfo (RFC 5958 §3): PKCS#5
 * PBES2 (RFC 8018 §6.2; PBKDF2 or scrypt with AES-, DES-, 3DES-, Blowfish- or CAST-128-CBC),
 * PBES1 (RFC 8018 §6.1, MD5/SHA-1 with DES-CBC) and PKCS#12 PBE (RFC 7292 Appendix C, SHA-1 with
 * RC4-128/40, two- and three-key 3DES): every scheme AsyncSSH's `pkcs8_encrypt` offers; and
 * OpenSSL's legacy PEM encryption (RFC 1421 DEK-Info with EVP_BytesToKey).
 * @module
 */

import { createCipheriv, createDecipheriv, createHash, hash, pbkdf2Sync, randomBytes, scryptSync } from 'node:crypto';
import { Blowfish, Cast128, cbcStream, Rc4, type BlockCipher } from '@ssh/crypto';
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
 * most 333,333 iterations; two for two-key 3DES; one for RC4, which has no IV; OpenSSL and
 * AsyncSSH write 2048, Windows 2000, Java's legacy keystores 50,000).
 */
const MAX_PBE_HASHES = 1_000_000;

const PRFS: Readonly<Record<string, string>> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};

/** A cipher of PKCS#8 or PEM encryption: run without padding, which `pbeEncrypt`/`pbeDecrypt` add. */
interface PbeCipher {
  /** Our name (as AsyncSSH spells it). */
  readonly name: string;
  /** Its OID as a PBES2 encryption scheme. */
  readonly oid?: string;
  /** DEK-Info name of OpenSSL's legacy PEM encryption. */
  readonly dek?: string;
  /** The key length derived when the file names none. */
  readonly keyLength: number;
  /** 0 for RC4, which takes no IV. */
  readonly ivLength: number;
  /** 1 for RC4 (no padding); otherwise CBC with RFC 1423 / PKCS#5 padding to this. */
  readonly blockLength: number;
  /** Variable-key ciphers: the PBKDF2 `keyLength` values we run (others take only `keyLength`). */
  readonly keyLengths?: readonly [min: number, max: number];
  /** Encrypts or decrypts whole blocks. */
  run(key: Uint8Array, iv: Uint8Array, data: Uint8Array, direction: 'encrypt' | 'decrypt'): Uint8Array;
}

/** OpenSSL (node:crypto) CBC without its padding; `fix` maps our key to the key OpenSSL takes. */
function nodeCbc(name: string, fix: (key: Uint8Array) => Uint8Array = (k) => k): PbeCipher['run'] {
  return (key, iv, data, direction) => {
    const c = direction === 'encrypt' ? createCipheriv(name, fix(key), iv) : createDecipheriv(name, fix(key), iv);
    c.setAutoPadding(false);
    return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
  };
}

/** CBC over a block cipher of @ssh/crypto (OpenSSL 3 keeps Blowfish and CAST-128 in its legacy provider). */
function ownCbc(make: (key: Uint8Array) => BlockCipher): PbeCipher['run'] {
  return (key, iv, data, direction) => cbcStream(make(key), iv, direction).update(data);
}

const rc4: PbeCipher['run'] = (key, _iv, data) => new Rc4(key).process(data);

const CIPHERS: readonly PbeCipher[] = [
  { name: 'aes128-cbc', oid: '2.16.840.1.101.3.4.1.2', dek: 'AES-128-CBC', keyLength: 16, ivLength: 16, blockLength: 16, run: nodeCbc('aes-128-cbc') },
  { name: 'aes192-cbc', oid: '2.16.840.1.101.3.4.1.22', dek: 'AES-192-CBC', keyLength: 24, ivLength: 16, blockLength: 16, run: nodeCbc('aes-192-cbc') },
  { name: 'aes256-cbc', oid: '2.16.840.1.101.3.4.1.42', dek: 'AES-256-CBC', keyLength: 32, ivLength: 16, blockLength: 16, run: nodeCbc('aes-256-cbc') },
  {
    name: 'blowfish-cbc',
    oid: '1.3.6.1.4.1.3029.1.2',
    keyLength: 16,
    ivLength: 8,
    blockLength: 8,
    // 32 to 448 bits, as AsyncSSH (Python cryptography) takes them.
    keyLengths: [4, 56],
    run: ownCbc((key) => {
      const bf = Blowfish.fromKey(key);
      return { blockLength: 8, encryptBlock: (s, si, d, di) => bf.encryptBlock(s, si, d, di), decryptBlock: (s, si, d, di) => bf.decryptBlock(s, si, d, di) };
    }),
  },
  {
    name: 'cast128-cbc',
    oid: '1.2.840.113533.7.66.10',
    keyLength: 16,
    ivLength: 8,
    blockLength: 8,
    // 40 to 128 bits (RFC 2144 §2.5: zero-padded, and 12 rounds for 80 bits or less).
    keyLengths: [5, 16],
    run: ownCbc((key) => new Cast128(key)),
  },
  { name: 'des-cbc', oid: '1.3.14.3.2.7', dek: 'DES-CBC', keyLength: 8, ivLength: 8, blockLength: 8, run: nodeCbc('des-ede3-cbc', (k) => concat(k, k, k)) },
  // Two-key 3DES (K1, K2, K1): OpenSSL's des-ede-cbc, in its default provider. PKCS#12 PBE only.
  { name: 'des2-cbc', keyLength: 16, ivLength: 8, blockLength: 8, run: nodeCbc('des-ede-cbc') },
  { name: 'des3-cbc', oid: '1.2.840.113549.3.7', dek: 'DES-EDE3-CBC', keyLength: 24, ivLength: 8, blockLength: 8, run: nodeCbc('des-ede3-cbc') },
  // PKCS#12 PBE only: stream ciphers, no IV, no padding.
  { name: 'rc4-40', keyLength: 5, ivLength: 0, blockLength: 1, run: rc4 },
  { name: 'rc4-128', keyLength: 16, ivLength: 0, blockLength: 1, run: rc4 },
];

/** Names of the ciphers PKCS#8 encryption accepts (see `PBES2_CIPHER_NAMES` and `PBE_V1` for which scheme takes which). */
export const PBE_CIPHER_NAMES: readonly string[] = CIPHERS.map((c) => c.name);
const PBES2_CIPHER_NAMES: readonly string[] = CIPHERS.filter((c) => c.oid).map((c) => c.name);
const PEM_CIPHER_NAMES: readonly string[] = CIPHERS.filter((c) => c.dek).map((c) => c.name);

function pbeDecrypt(c: PbeCipher, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  if (iv.length !== c.ivLength) throw new KeyImportError(`${c.name}: IV must be ${c.ivLength} bytes`);
  const bl = c.blockLength;
  if (bl > 1 && (data.length === 0 || data.length % bl !== 0)) throw new KeyEncryptionError('encrypted data is not whole blocks');
  let plain: Uint8Array;
  try {
    plain = c.run(key, iv, data, 'decrypt');
  } catch (cause) {
    throw new KeyEncryptionError('incorrect passphrase', { cause });
  }
  if (bl === 1) return plain;
  // RFC 1423 §1.1 / RFC 8018 §6.1.1 padding: 1 to bl bytes, each holding the count.
  const pad = plain[plain.length - 1] as number;
  let ok = pad >= 1 && pad <= bl;
  for (let i = plain.length - pad; ok && i < plain.length; i++) ok = plain[i] === pad;
  if (!ok) throw new KeyEncryptionError('incorrect passphrase');
  return plain.subarray(0, plain.length - pad);
}

function pbeEncrypt(c: PbeCipher, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const bl = c.blockLength;
  if (bl === 1) return c.run(key, iv, data, 'encrypt');
  const pad = bl - (data.length % bl);
  const padded = new Uint8Array(data.length + pad).fill(pad);
  padded.set(data);
  return c.run(key, iv, padded, 'encrypt');
}

function cipherByName(name: string, names: readonly string[], what: string): PbeCipher {
  const c = CIPHERS.find((x) => x.name === name);
  if (!c || !names.includes(name)) throw new KeyExportError(`unsupported ${what} cipher ${JSON.stringify(name)}; use one of ${names.join(', ')}`);
  return c;
}

/** The key length a PBKDF2 or scrypt `keyLength` field asks of `c` (the cipher's own when absent). */
function kdfKeyLength(c: PbeCipher, keyLength: number | undefined): number {
  if (keyLength === undefined) return c.keyLength;
  const [min, max] = c.keyLengths ?? [c.keyLength, c.keyLength];
  if (keyLength < min || keyLength > max) throw new KeyImportError(`PBES2 key length ${keyLength} does not fit ${c.name}`);
  return keyLength;
}

// -------------------------------------------------------------------------------------------
// PKCS#8 EncryptedPrivateKeyInfo

/** A PBES1 (RFC 8018 §6.1) or PKCS#12 PBE (RFC 7292 Appendix C) scheme: AsyncSSH's `pbe_version` 1. */
interface PbeV1 {
  readonly oid: string;
  readonly kdf: 'pbes1' | 'pkcs12';
  readonly hash: 'md5' | 'sha1';
  readonly cipher: string;
}

/** AsyncSSH 2.10's `_pkcs8_cipher_list`, in its order. */
const PBE_V1: readonly PbeV1[] = [
  { oid: '1.2.840.113549.1.5.3', kdf: 'pbes1', hash: 'md5', cipher: 'des-cbc' },
  { oid: '1.2.840.113549.1.5.10', kdf: 'pbes1', hash: 'sha1', cipher: 'des-cbc' },
  { oid: '1.2.840.113549.1.12.1.4', kdf: 'pkcs12', hash: 'sha1', cipher: 'des2-cbc' },
  { oid: '1.2.840.113549.1.12.1.3', kdf: 'pkcs12', hash: 'sha1', cipher: 'des3-cbc' },
  { oid: '1.2.840.113549.1.12.1.2', kdf: 'pkcs12', hash: 'sha1', cipher: 'rc4-40' },
  { oid: '1.2.840.113549.1.12.1.1', kdf: 'pkcs12', hash: 'sha1', cipher: 'rc4-128' },
];

function cipherOf(name: string): PbeCipher {
  return CIPHERS.find((c) => c.name === name) as PbeCipher;
}

/** SHA-1 chains of the PKCS#12 KDF for key and IV: one per 20 bytes of each. */
function pkcs12Hashes(c: PbeCipher, iterations: number): number {
  return iterations * (Math.ceil(c.keyLength / 20) + Math.ceil(c.ivLength / 20));
}

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
      const keyLength = sp.atEnd ? undefined : sp.smallInt('keyLength');
      sp.end('scrypt-params');
      const [cipher, iv] = pbes2Scheme(params);
      const length = kdfKeyLength(cipher, keyLength);
      if (N < 2 || N > MAX_SCRYPT_N || (N & (N - 1)) !== 0 || r < 1 || p < 1 || r * p > 64 || N * r * p > MAX_SCRYPT_COST) {
        throw new KeyImportError('scrypt parameters out of range');
      }
      if (pass === undefined) throw new KeyEncryptionError('passphrase required to decrypt this key');
      const key = new Uint8Array(scryptSync(pass, salt, length, { N, r, p, maxmem: 256 * N * r + (1 << 20) }));
      return pbeDecrypt(cipher, key, iv, data);
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
    kp.end('PBKDF2-params');
    const [cipher, iv] = pbes2Scheme(params);
    if (iterations < 1 || iterations > MAX_PBKDF_ITERATIONS) throw new KeyImportError(`PBKDF2 iteration count ${iterations} out of range`);
    const length = kdfKeyLength(cipher, keyLength);
    if (pass === undefined) throw new KeyEncryptionError('passphrase required to decrypt this key');
    const key = new Uint8Array(pbkdf2Sync(pass, salt, iterations, length, prf));
    return pbeDecrypt(cipher, key, iv, data);
  }
  const scheme = PBE_V1.find((s) => s.oid === oid);
  if (!scheme) throw new KeyEncryptionError(`unsupported PKCS#8 encryption ${oid}`);
  const cipher = cipherOf(scheme.cipher);
  const params = alg.sequence(scheme.kdf === 'pbes1' ? 'PBEParameter' : 'pkcs-12PbeParams');
  const salt = params.octetString('salt');
  const iterations = params.smallInt('iterationCount');
  params.end(scheme.kdf === 'pbes1' ? 'PBEParameter' : 'pkcs-12PbeParams');
  if (scheme.kdf === 'pbes1') {
    if (salt.length !== 8) throw new KeyImportError('PBES1 salt must be 8 bytes');
    if (iterations < 1 || iterations > MAX_PBKDF_ITERATIONS) throw new KeyImportError(`PBES1 iteration count ${iterations} out of range`);
    if (pass === undefined) throw new KeyEncryptionError('passphrase required to decrypt this key');
    const t = pbkdf1(scheme.hash, pass, salt, iterations);
    return pbeDecrypt(cipher, t.subarray(0, 8), t.subarray(8, 16), data);
  }
  // AsyncSSH refuses an empty salt too; OpenSSL writes 8 bytes.
  if (salt.length < 1 || salt.length > 1024 || iterations < 1 || pkcs12Hashes(cipher, iterations) > MAX_PBE_HASHES) {
    throw new KeyImportError('PKCS#12 PBE parameters out of range');
  }
  if (pass === undefined) throw new KeyEncryptionError('passphrase required to decrypt this key');
  const key = pkcs12Kdf(pass, salt, iterations, 1, cipher.keyLength);
  const iv = cipher.ivLength ? pkcs12Kdf(pass, salt, iterations, 2, cipher.ivLength) : new Uint8Array(0);
  return pbeDecrypt(cipher, key, iv, data);
}

/** The PBES2 encryptionScheme: a cipher with an IV of its size as its parameters. */
function pbes2Scheme(params: DerReader): [PbeCipher, Uint8Array] {
  const enc = params.sequence('encryptionScheme');
  const encOid = enc.oid('cipher');
  const cipher = CIPHERS.find((c) => c.oid === encOid);
  if (!cipher) throw new KeyEncryptionError(`unsupported PBES2 cipher ${encOid}`);
  const iv = enc.octetString('IV');
  enc.end('encryptionScheme');
  if (iv.length !== cipher.ivLength) throw new KeyImportError(`${cipher.name}: IV must be ${cipher.ivLength} bytes`);
  return [cipher, iv];
}

/** PBKDF1 (RFC 8018 §5.1): 16 bytes, DES key then IV. */
function pbkdf1(hashName: string, pass: Uint8Array, salt: Uint8Array, iterations: number): Uint8Array {
  let t: Uint8Array = concat(pass, salt);
  for (let i = 0; i < iterations; i++) t = hash(hashName, t, 'buffer');
  return t.subarray(0, 16);
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
  /** AsyncSSH's `pbe_version`: 2 (default) for PBES2, 1 for PBES1 / PKCS#12 PBE. */
  readonly pbeVersion?: 1 | 2;
}

/** Wraps a PrivateKeyInfo in an EncryptedPrivateKeyInfo: PBES2 (PBKDF2), or PBES1 / PKCS#12 PBE for `pbeVersion` 1. */
export function encryptPkcs8(der: Uint8Array, passphrase: string | Uint8Array, options: Pkcs8EncryptOptions = {}): Uint8Array {
  const version = options.pbeVersion ?? 2;
  if (version !== 1 && version !== 2) throw new KeyExportError(`unsupported PBE version ${JSON.stringify(version)}; use 1 or 2`);
  const iterations = options.rounds ?? 2048;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_PBKDF_ITERATIONS) throw new KeyExportError('PBE iteration count out of range');
  const pass = asBytes(passphrase);
  if (version === 1) {
    const cipherName = options.cipherName ?? 'des3-cbc';
    const hashName = options.hashName ?? 'sha1';
    const scheme = PBE_V1.find((s) => s.cipher === cipherName && s.hash === hashName);
    if (!scheme) {
      const offered = PBE_V1.map((s) => `${s.cipher}/${s.hash}`).join(', ');
      throw new KeyExportError(`unsupported PBE version 1 cipher/hash ${cipherName}/${hashName}; use one of ${offered}`);
    }
    const cipher = cipherOf(scheme.cipher);
    if (scheme.kdf === 'pkcs12' && pkcs12Hashes(cipher, iterations) > MAX_PBE_HASHES) throw new KeyExportError('PBE iteration count out of range');
    const salt = new Uint8Array(randomBytes(8));
    let encrypted: Uint8Array;
    if (scheme.kdf === 'pbes1') {
      const t = pbkdf1(scheme.hash, pass, salt, iterations);
      encrypted = pbeEncrypt(cipher, t.subarray(0, 8), t.subarray(8, 16), der);
    } else {
      const key = pkcs12Kdf(pass, salt, iterations, 1, cipher.keyLength);
      const iv = cipher.ivLength ? pkcs12Kdf(pass, salt, iterations, 2, cipher.ivLength) : new Uint8Array(0);
      encrypted = pbeEncrypt(cipher, key, iv, der);
    }
    return derSequence(derAlgorithm(scheme.oid, derSequence(derOctetString(salt), derInteger(iterations))), derOctetString(encrypted));
  }
  const cipher = cipherByName(options.cipherName ?? 'aes256-cbc', PBES2_CIPHER_NAMES, 'PBES2');
  const hashName = options.hashName ?? 'sha256';
  const prfOid = Object.keys(PRFS).find((k) => PRFS[k] === hashName);
  if (!prfOid) throw new KeyExportError(`unsupported PBKDF2 hash ${JSON.stringify(hashName)}`);
  const salt = new Uint8Array(randomBytes(16));
  const iv = new Uint8Array(randomBytes(cipher.ivLength));
  // No keyLength field, as AsyncSSH writes it: every cipher here has a default key length.
  const key = new Uint8Array(pbkdf2Sync(pass, salt, iterations, cipher.keyLength, hashName));
  const encrypted = pbeEncrypt(cipher, key, iv, der);
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
  const cipher = CIPHERS.find((c) => c.dek !== undefined && c.dek === name.toUpperCase());
  if (!cipher) throw new KeyEncryptionError(`unsupported PEM cipher ${JSON.stringify(name)}`);
  const iv = fromHex(ivHex);
  if (!iv || iv.length !== cipher.ivLength) throw new KeyImportError('bad IV in DEK-Info');
  if (passphrase === undefined) throw new KeyEncryptionError('passphrase required to decrypt this key');
  const key = bytesToKey(asBytes(passphrase), iv.subarray(0, 8), cipher.keyLength);
  return pbeDecrypt(cipher, key, iv, data);
}

/** Encrypts DER for a legacy PEM block, returning the headers to write. */
export function encryptLegacyPem(data: Uint8Array, passphrase: string | Uint8Array, cipherName = 'aes256-cbc'): { headers: Map<string, string>; data: Uint8Array } {
  const cipher = cipherByName(cipherName, PEM_CIPHER_NAMES, 'PEM');
  const iv = new Uint8Array(randomBytes(cipher.ivLength));
  const key = bytesToKey(asBytes(passphrase), iv.subarray(0, 8), cipher.keyLength);
  const headers = new Map([
    ['Proc-Type', '4,ENCRYPTED'],
    ['DEK-Info', `${cipher.dek},${toHex(iv).toUpperCase()}`],
  ]);
  return { headers, data: pbeEncrypt(cipher, key, iv, data) };
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
