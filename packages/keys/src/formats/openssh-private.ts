/**
 * The OpenSSH private key format, openssh-key-v1 (OpenSSH PROTOCOL.key), unencrypted or
 * encrypted with bcrypt-pbkdf and any cipher @ssh/crypto provides.
 * @module
 */

import { randomBytes } from 'node:crypto';
import { Reader, WireError, Writer } from '@ssh/wire';
import { familyForKeyType } from '../algs/index.ts';
import type { KeyImpl } from '../algs/impl.ts';
import { KeyEncryptionError, KeyExportError, KeyImportError } from '../errors.ts';
import { asBytes, equalBytes, toBase64, wrap } from '../internal/bytes.ts';
import { opensshCipherInfo, opensshDecrypt, opensshEncrypt, opensshKdf } from './openssh-cipher.ts';

export const OPENSSH_LABEL = 'OPENSSH PRIVATE KEY';
const MAGIC = new Uint8Array([...'openssh-key-v1'].map((c) => c.charCodeAt(0)).concat(0));
/**
 * bcrypt rounds beyond which we refuse to work. Each costs about 10 ms here, as in ssh-keygen
 * (default 16, 24 in recent OpenSSH releases). Guides and users pick -a 100, 256, 420 or 1000, so the bound
 * takes 1000 with room: a hostile file costs at most about 11 s once its passphrase is given,
 * under PuTTY Argon2's bound (src/formats/putty.ts) and never minutes.
 */
export const MAX_BCRYPT_ROUNDS = 1024;
const MAX_KEYS = 64;

export interface OpensshEncodeOptions {
  readonly passphrase?: string | Uint8Array;
  /** Cipher for encrypted keys (default aes256-ctr). */
  readonly cipherName?: string;
  /** bcrypt-pbkdf rounds (default 16). */
  readonly rounds?: number;
}

/** A decoded key: the implementation and the comment stored with it. */
export interface DecodedKey {
  readonly impl: KeyImpl;
  readonly comment: Uint8Array | undefined;
  /** For certificates stored in a private key file: the certificate blob. */
  readonly certBlob?: Uint8Array;
}

/** openssh-key-v1 bytes (binary, before the PEM-like armor). */
export function encodeOpensshPrivateBinary(impl: KeyImpl, publicBlob: Uint8Array, comment: Uint8Array | undefined, options: OpensshEncodeOptions = {}): Uint8Array {
  const passphrase = options.passphrase === undefined ? undefined : asBytes(options.passphrase);
  const encrypted = passphrase !== undefined && passphrase.length > 0;
  const cipherName = encrypted ? (options.cipherName ?? 'aes256-ctr') : 'none';
  const rounds = options.rounds ?? 16;
  let info = { keyLength: 0, ivLength: 0, blockLength: 8, tagLength: 0 };
  if (encrypted) {
    try {
      info = opensshCipherInfo(cipherName);
    } catch (cause) {
      throw new KeyExportError(`unsupported cipher ${JSON.stringify(cipherName)}`, { cause });
    }
  }
  if (encrypted && (!Number.isInteger(rounds) || rounds < 1 || rounds > MAX_BCRYPT_ROUNDS)) {
    throw new KeyExportError(`bcrypt rounds must be between 1 and ${MAX_BCRYPT_ROUNDS}`);
  }

  const check = randomBytes(4);
  const sec = new Writer(512).raw(check).raw(check).utf8(impl.algorithm);
  impl.writePrivate(sec);
  sec.bytes(comment ?? new Uint8Array(0));
  const block = Math.max(8, info.blockLength);
  for (let i = 1; sec.length % block !== 0; i++) sec.u8(i & 0xff);
  let section = sec.finish();

  const w = new Writer(section.length + publicBlob.length + 128).raw(MAGIC).utf8(cipherName);
  if (encrypted) {
    const salt = randomBytes(16);
    w.utf8('bcrypt').nested((k) => k.bytes(salt).u32(rounds));
    const km = opensshKdf(passphrase, salt, info.keyLength + info.ivLength, rounds);
    section = opensshEncrypt(cipherName, km.subarray(0, info.keyLength), km.subarray(info.keyLength), section);
  } else {
    w.utf8('none').bytes(new Uint8Array(0));
  }
  w.u32(1).bytes(publicBlob);
  w.u32(section.length - info.tagLength).raw(section);
  return w.finish();
}

/** The armored text form. */
export function armorOpenssh(binary: Uint8Array): string {
  return `-----BEGIN ${OPENSSH_LABEL}-----\n${wrap(toBase64(binary), 70).join('\n')}\n-----END ${OPENSSH_LABEL}-----\n`;
}

/** True when `data` starts with the openssh-key-v1 magic. */
export function isOpensshPrivateBinary(data: Uint8Array): boolean {
  return data.length >= MAGIC.length && equalBytes(data.subarray(0, MAGIC.length), MAGIC);
}

/** Decodes openssh-key-v1 bytes. Wrong or missing passphrase is a KeyEncryptionError. */
export function decodeOpensshPrivateBinary(data: Uint8Array, passphrase?: string | Uint8Array): DecodedKey[] {
  try {
    return decodeUnchecked(data, passphrase);
  } catch (e) {
    if (e instanceof WireError) throw new KeyImportError(`invalid OpenSSH private key: ${e.message.slice(5)}`, { cause: e });
    throw e;
  }
}

function decodeUnchecked(data: Uint8Array, passphrase?: string | Uint8Array): DecodedKey[] {
  if (!isOpensshPrivateBinary(data)) throw new KeyImportError('not an openssh-key-v1 key');
  const r = new Reader(data.subarray(MAGIC.length), { baseOffset: MAGIC.length });
  const cipherName = r.utf8('ciphername', 256);
  const kdfName = r.utf8('kdfname', 256);
  const kdfOptions = r.bytes('kdfoptions');
  const count = r.u32('number of keys');
  if (count < 1 || count > MAX_KEYS) throw new KeyImportError(`unsupported number of keys: ${count}`);
  const publicBlobs: Uint8Array[] = [];
  for (let i = 0; i < count; i++) publicBlobs.push(r.bytes('public key'));
  const sectionLength = r.u32('private section length');

  let section: Uint8Array;
  let blockLength = 8;
  if (cipherName === 'none') {
    if (kdfName !== 'none') throw new KeyImportError('unencrypted key with a KDF');
    section = r.raw(sectionLength, 'private section');
    r.end('openssh-key-v1');
  } else {
    if (kdfName !== 'bcrypt') throw new KeyEncryptionError(`unsupported KDF ${JSON.stringify(kdfName)}`);
    const kr = new Reader(kdfOptions);
    const salt = kr.bytes('salt', 1024);
    const rounds = kr.u32('rounds');
    kr.end('kdfoptions');
    if (rounds < 1 || rounds > MAX_BCRYPT_ROUNDS) throw new KeyImportError(`bcrypt rounds ${rounds} out of range`);
    const info = opensshCipherInfo(cipherName);
    blockLength = Math.max(8, info.blockLength);
    const encrypted = r.raw(sectionLength + info.tagLength, 'private section');
    r.end('openssh-key-v1');
    if (sectionLength % blockLength !== 0) throw new KeyImportError('private section is not a whole number of blocks');
    if (passphrase === undefined) throw new KeyEncryptionError('passphrase required to decrypt this key');
    const km = opensshKdf(asBytes(passphrase), salt, info.keyLength + info.ivLength, rounds);
    try {
      section = opensshDecrypt(cipherName, km.subarray(0, info.keyLength), km.subarray(info.keyLength), encrypted);
    } catch (cause) {
      throw new KeyEncryptionError('incorrect passphrase', { cause });
    }
  }
  if (section.length % blockLength !== 0) throw new KeyImportError('private section is not a whole number of blocks');

  const s = new Reader(section);
  const check1 = s.u32('check');
  const check2 = s.u32('check');
  if (check1 !== check2) {
    if (cipherName !== 'none') throw new KeyEncryptionError('incorrect passphrase');
    throw new KeyImportError('check bytes differ');
  }
  const keys: DecodedKey[] = [];
  for (let i = 0; i < count; i++) {
    const keyType = s.utf8('key type', 256);
    const family = familyForKeyType(keyType);
    if (!family) throw new KeyImportError(`unknown key type ${JSON.stringify(keyType)}`);
    const impl = family.decodePrivate(keyType, s);
    const comment = s.bytes('comment');
    const blob = publicBlobs[i] as Uint8Array;
    const w = new Writer(blob.length + 16).utf8(impl.algorithm);
    impl.writePublic(w);
    if (!equalBytes(w.finish(), blob)) throw new KeyImportError('private key does not match the public key in the file');
    keys.push({ impl, comment: comment.length > 0 ? new Uint8Array(comment) : undefined });
  }
  const padding = s.rest();
  for (let i = 0; i < padding.length; i++) {
    if (padding[i] !== ((i + 1) & 0xff)) throw new KeyImportError('bad padding in the private section');
  }
  return keys;
}

