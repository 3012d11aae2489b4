/**
 * The ciphers and KDF of encrypted openssh-key-v1 files, provided by @ssh/crypto, with its
 * errors turned into ours.
 * @module
 */

import { bcryptPbkdf, cipherDecrypt, cipherEncrypt, cipherKeyInfo, type CipherKeyInfo } from '@ssh/crypto';
import { KeyEncryptionError } from '../errors.ts';

function wrap<T>(what: string, run: () => T): T {
  try {
    return run();
  } catch (cause) {
    if (cause instanceof KeyEncryptionError) throw cause;
    throw new KeyEncryptionError(what, { cause });
  }
}

export function opensshCipherInfo(name: string): CipherKeyInfo {
  return wrap(`unsupported cipher ${JSON.stringify(name)}`, () => cipherKeyInfo(name));
}

export function opensshKdf(password: Uint8Array, salt: Uint8Array, length: number, rounds: number): Uint8Array {
  if (password.length === 0) throw new KeyEncryptionError('passphrase required to decrypt this key');
  return wrap('bcrypt-pbkdf failed', () => bcryptPbkdf(password, salt, length, rounds));
}

export function opensshEncrypt(name: string, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  return wrap(`encryption with ${name} failed`, () => cipherEncrypt(name, key, iv, data));
}

export function opensshDecrypt(name: string, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  return wrap('incorrect passphrase', () => cipherDecrypt(name, key, iv, data));
}
