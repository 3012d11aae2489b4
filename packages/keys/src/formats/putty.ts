/**
 * PuTTY private key files, PPK versions 2 and 3 (PuTTY manual appendix C): unencrypted or
 * aes256-cbc with the v2 SHA-1 key derivation or the v3 Argon2 one, authenticated by HMAC.
 * @module
 */

import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { argon2d, argon2i, argon2id } from '@noble/hashes/argon2.js';
import { Reader, Writer } from '@ssh/wire';
import { familyForKeyType } from '../algs/index.ts';
import type { KeyImpl } from '../algs/impl.ts';
import { KeyEncryptionError, KeyExportError, KeyImportError } from '../errors.ts';
import { asBytes, concat, equalBytes, fromBase64, fromHex, looseUtf8, toBase64, toHex, utf8, wrap } from '../internal/bytes.ts';
import type { DecodedKey } from './openssh-private.ts';

const ARGON = { Argon2id: argon2id, Argon2i: argon2i, Argon2d: argon2d } as const;
type ArgonName = keyof typeof ARGON;
/** Bounds on what a file may ask of Argon2: memory (KiB), parallelism. */
export const MAX_ARGON2_MEMORY = 262_144;
export const MAX_ARGON2_PARALLELISM = 16;
/**
 * Bound on an Argon2 derivation's work, memory (KiB) times passes: the time it takes is that
 * product over a rate (about 160 MiB-passes per second here with @noble/hashes), whatever the
 * split. 2^22 allows PuTTY's default 8 MiB with up to 512 passes (puttygen picks its passes for
 * a time budget, so a long budget on a fast machine makes hundreds) or 256 MiB with 16, and
 * keeps a hostile file with a passphrase given to about half a minute of CPU, where separate
 * caps of 256 MiB and 64 passes allowed four times that and refused the 100-pass files.
 */
export const MAX_ARGON2_WORK = 2 ** 22;
const MAX_LINES = 1024;

export interface PuttyEncodeOptions {
  readonly passphrase?: string | Uint8Array;
  /** PPK version (default 3). */
  readonly version?: 2 | 3;
  /** v3 Argon2 parameters (default Argon2id, 8192 KiB, 13 passes, parallelism 1). */
  readonly argon2?: { readonly flavor?: ArgonName; readonly memory?: number; readonly passes?: number; readonly parallelism?: number };
}

/** What is wrong with Argon2 parameters, checked before any work; undefined when nothing is. */
function argon2ParameterProblem(memory: number, passes: number, parallelism: number): string | undefined {
  for (const v of [memory, passes, parallelism]) {
    if (!Number.isInteger(v) || v < 1) return 'Argon2 parameters out of range';
  }
  if (memory > MAX_ARGON2_MEMORY) return `Argon2 memory over ${MAX_ARGON2_MEMORY} KiB`;
  if (parallelism > MAX_ARGON2_PARALLELISM) return `Argon2 parallelism over ${MAX_ARGON2_PARALLELISM}`;
  if (memory < 8 * parallelism) return 'Argon2 memory too small';
  if (memory * passes > MAX_ARGON2_WORK) return `Argon2 work (memory times passes) over ${MAX_ARGON2_WORK} KiB`;
  return undefined;
}

export function isPpk(text: string): boolean {
  return /^\s*PuTTY-User-Key-File-[23]:/.test(text);
}

function macInput(algorithm: string, encryption: string, comment: string, pub: Uint8Array, priv: Uint8Array): Uint8Array {
  return new Writer(pub.length + priv.length + 128).utf8(algorithm).utf8(encryption).utf8(comment).bytes(pub).bytes(priv).finish();
}

function v2Keys(pass: Uint8Array): { key: Uint8Array; macKey: Uint8Array } {
  const h = (n: number) => createHash('sha1').update(Uint8Array.of(0, 0, 0, n)).update(pass).digest();
  const key = new Uint8Array(Buffer.concat([h(0), h(1)]).subarray(0, 32));
  const macKey = new Uint8Array(createHash('sha1').update('putty-private-key-file-mac-key').update(pass).digest());
  return { key, macKey };
}

/** Private fields in PuTTY's layout, from (and to) OpenSSH's per-type fields. */
function puttyPrivate(impl: KeyImpl): Uint8Array {
  const w = new Writer(512);
  impl.writePrivate(w);
  const r = new Reader(w.finish());
  const out = new Writer(512);
  switch (impl.algorithm) {
    case 'ssh-rsa': {
      r.mpint();
      r.mpint();
      const d = r.mpint();
      const iqmp = r.mpint();
      const p = r.mpint();
      const q = r.mpint();
      out.mpint(d).mpint(p).mpint(q).mpint(iqmp);
      break;
    }
    case 'ssh-dss':
      for (let i = 0; i < 4; i++) r.mpint();
      out.mpint(r.mpint());
      break;
    case 'ssh-ed25519':
    case 'ssh-ed448': {
      const pk = r.bytes();
      const seed = r.bytes().subarray(0, pk.length);
      // PuTTY writes the private scalar little-endian, without trailing (most significant) zeros.
      let n = seed.length;
      while (n > 0 && seed[n - 1] === 0) n--;
      out.bytes(seed.subarray(0, n));
      break;
    }
    default:
      if (!impl.algorithm.startsWith('ecdsa-sha2-')) throw new KeyExportError(`${impl.algorithm} keys have no PuTTY format`);
      r.utf8();
      r.bytes();
      out.mpint(r.mpint());
  }
  return out.finish();
}

function implFromPutty(keyType: string, pub: Uint8Array, priv: Uint8Array): KeyImpl {
  const family = familyForKeyType(keyType);
  if (!family) throw new KeyImportError(`unknown key type ${JSON.stringify(keyType)}`);
  const pr = new Reader(pub);
  if (pr.utf8('key type', 256) !== keyType) throw new KeyImportError('PPK key type does not match its public key');
  const s = new Reader(priv);
  const w = new Writer(1024);
  switch (keyType) {
    case 'ssh-rsa': {
      const e = pr.mpint('e');
      const n = pr.mpint('n');
      const d = s.mpint('d');
      const p = s.mpint('p');
      const q = s.mpint('q');
      const iqmp = s.mpint('iqmp');
      w.mpint(n).mpint(e).mpint(d).mpint(iqmp).mpint(p).mpint(q);
      break;
    }
    case 'ssh-dss':
      w.raw(pr.rest()).mpint(s.mpint('x'));
      break;
    case 'ssh-ed25519':
    case 'ssh-ed448': {
      const pk = pr.bytes('public key');
      const le = s.bytes('private key');
      if (le.length > pk.length) throw new KeyImportError('EdDSA private key too long');
      const seed = new Uint8Array(pk.length);
      seed.set(le);
      w.bytes(pk).bytes(concat(seed, pk));
      break;
    }
    default:
      if (!keyType.startsWith('ecdsa-sha2-')) throw new KeyImportError(`${keyType} keys have no PuTTY format`);
      w.raw(pr.rest()).mpint(s.mpint('d'));
  }
  return family.decodePrivate(keyType, new Reader(w.finish()));
}

/** Decodes a .ppk file. */
export function decodePpk(text: string, passphrase?: string | Uint8Array): DecodedKey {
  const lines = text.split(/\r?\n/);
  let i = 0;
  const header = (name: string): string => {
    const line = lines[i++];
    const prefix = `${name}: `;
    if (line === undefined || !line.startsWith(prefix)) throw new KeyImportError(`PPK: expected ${name}`);
    return line.slice(prefix.length);
  };
  /**
   * A header holding a number, in decimal digits only as PuTTY writes it (PuTTY reads it with
   * strtoul base 10): no sign, spaces, hex, exponent or fraction, and at most `max`.
   */
  const decimal = (name: string, max: number): number => {
    const text = header(name);
    const n = /^[0-9]{1,10}$/.test(text) ? Number(text) : Number.NaN;
    if (!(n <= max)) throw new KeyImportError(`PPK: bad ${name} ${JSON.stringify(text.length > 20 ? `${text.slice(0, 20)}...` : text)}`);
    return n;
  };
  const block = (name: string): Uint8Array => {
    const count = decimal(name, MAX_LINES);
    if (count > lines.length - i) throw new KeyImportError(`PPK: ${name} runs past the end of the file`);
    const body = lines.slice(i, i + count).join('');
    i += count;
    const data = fromBase64(body);
    if (!data) throw new KeyImportError(`PPK: bad base64 in ${name}`);
    return data;
  };
  while (i < lines.length && (lines[i] as string).trim() === '') i++;
  const first = lines[i] ?? '';
  const m = /^PuTTY-User-Key-File-([23]): (\S+)$/.exec(first);
  if (!m) throw new KeyImportError('not a PuTTY key file');
  i++;
  const version = Number(m[1]);
  const keyType = m[2] as string;
  const encryption = header('Encryption');
  if (encryption !== 'none' && encryption !== 'aes256-cbc') throw new KeyEncryptionError(`PPK: unsupported encryption ${JSON.stringify(encryption)}`);
  const comment = header('Comment');
  const pub = block('Public-Lines');
  let argon: { flavor: ArgonName; memory: number; passes: number; parallelism: number; salt: Uint8Array } | undefined;
  if (version === 3 && encryption !== 'none') {
    const flavor = header('Key-Derivation');
    if (!(flavor in ARGON)) throw new KeyEncryptionError(`PPK: unsupported key derivation ${JSON.stringify(flavor)}`);
    // Any 32-bit number here (as PuTTY reads them); argon2ParameterProblem then holds them to the caps.
    const memory = decimal('Argon2-Memory', 0xffff_ffff);
    const passes = decimal('Argon2-Passes', 0xffff_ffff);
    const parallelism = decimal('Argon2-Parallelism', 0xffff_ffff);
    const salt = fromHex(header('Argon2-Salt'));
    if (!salt || salt.length === 0) throw new KeyImportError('PPK: bad Argon2 salt');
    const problem = argon2ParameterProblem(memory, passes, parallelism);
    if (problem !== undefined) throw new KeyImportError(`PPK: ${problem}`);
    argon = { flavor: flavor as ArgonName, memory, passes, parallelism, salt };
  }
  let priv = block('Private-Lines');
  const mac = fromHex(header('Private-MAC'));
  if (lines.slice(i).some((l) => l.trim() !== '')) throw new KeyImportError('PPK: unexpected data after the MAC');
  if (!mac) throw new KeyImportError('PPK: bad MAC');

  const pass = encryption === 'none' ? new Uint8Array(0) : passphrase === undefined ? undefined : asBytes(passphrase);
  if (pass === undefined) throw new KeyEncryptionError('passphrase required to decrypt this key');
  let macKey: Uint8Array;
  let hash: 'sha1' | 'sha256';
  if (version === 2) {
    const keys = v2Keys(pass);
    macKey = keys.macKey;
    hash = 'sha1';
    if (encryption !== 'none') priv = aesCbc(false, keys.key, new Uint8Array(16), priv);
  } else {
    hash = 'sha256';
    if (argon) {
      const km = ARGON[argon.flavor](pass, argon.salt, { t: argon.passes, m: argon.memory, p: argon.parallelism, dkLen: 80 });
      macKey = km.subarray(48, 80);
      priv = aesCbc(false, km.subarray(0, 32), km.subarray(32, 48), priv);
    } else {
      macKey = new Uint8Array(0);
    }
  }
  const expected = new Uint8Array(createHmac(hash, macKey).update(macInput(keyType, encryption, comment, pub, priv)).digest());
  if (!equalBytes(expected, mac)) {
    if (encryption !== 'none') throw new KeyEncryptionError('incorrect passphrase');
    throw new KeyImportError('PPK: MAC mismatch');
  }
  const impl = implFromPutty(keyType, pub, priv);
  return { impl, comment: comment === '' ? undefined : utf8(comment) };
}

function aesCbc(encrypt: boolean, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  if (data.length % 16 !== 0) throw new KeyImportError('PPK: encrypted data is not whole blocks');
  const c = encrypt ? createCipheriv('aes-256-cbc', key, iv) : createDecipheriv('aes-256-cbc', key, iv);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

/** Encodes a key as a .ppk file. */
export function encodePpk(impl: KeyImpl, publicBlob: Uint8Array, comment: Uint8Array | undefined, options: PuttyEncodeOptions = {}): string {
  const version = options.version ?? 3;
  const pass = options.passphrase === undefined ? new Uint8Array(0) : asBytes(options.passphrase);
  const encrypted = pass.length > 0;
  const encryption = encrypted ? 'aes256-cbc' : 'none';
  const commentText = comment === undefined ? '' : looseUtf8(comment);
  if (/[\r\n]/.test(commentText)) throw new KeyExportError('PPK comments cannot contain line breaks');
  let priv = puttyPrivate(impl);
  if (encrypted && priv.length % 16 !== 0) priv = concat(priv, new Uint8Array(randomBytes(16 - (priv.length % 16))));
  const out: string[] = [`PuTTY-User-Key-File-${version}: ${impl.algorithm}`, `Encryption: ${encryption}`, `Comment: ${commentText}`];
  const pubLines = wrap(toBase64(publicBlob), 64);
  out.push(`Public-Lines: ${pubLines.length}`, ...pubLines);
  let macKey: Uint8Array = new Uint8Array(0);
  let stored = priv;
  let hash: 'sha1' | 'sha256' = 'sha256';
  if (version === 2) {
    const keys = v2Keys(pass);
    macKey = keys.macKey;
    hash = 'sha1';
    if (encrypted) stored = aesCbc(true, keys.key, new Uint8Array(16), priv);
  } else if (encrypted) {
    const flavor = options.argon2?.flavor ?? 'Argon2id';
    const memory = options.argon2?.memory ?? 8192;
    const passes = options.argon2?.passes ?? 13;
    const parallelism = options.argon2?.parallelism ?? 1;
    if (!(flavor in ARGON)) throw new KeyExportError(`PPK: unsupported key derivation ${JSON.stringify(flavor)}`);
    const problem = argon2ParameterProblem(memory, passes, parallelism);
    if (problem !== undefined) throw new KeyExportError(`PPK: ${problem}`);
    const salt = new Uint8Array(randomBytes(16));
    const km = ARGON[flavor](pass, salt, { t: passes, m: memory, p: parallelism, dkLen: 80 });
    macKey = km.subarray(48, 80);
    stored = aesCbc(true, km.subarray(0, 32), km.subarray(32, 48), priv);
    out.push(`Key-Derivation: ${flavor}`, `Argon2-Memory: ${memory}`, `Argon2-Passes: ${passes}`, `Argon2-Parallelism: ${parallelism}`, `Argon2-Salt: ${toHex(salt)}`);
  }
  const privLines = wrap(toBase64(stored), 64);
  out.push(`Private-Lines: ${privLines.length}`, ...privLines);
  const mac = createHmac(hash, macKey).update(macInput(impl.algorithm, encryption, commentText, publicBlob, priv)).digest();
  out.push(`Private-MAC: ${toHex(new Uint8Array(mac))}`);
  return `${out.join('\n')}\n`;
}
