/**
 * The ciphers and KDF of encrypted openssh-key-v1 files, provided by @ssh/crypto.
 * @module
 */

import { KeyEncryptionError } from '../errors.ts';

export interface CipherInfo {
  readonly keyLength: number;
  readonly ivLength: number;
  readonly blockLength: number;
  readonly tagLength: number;
}

export function opensshCipherInfo(name: string): CipherInfo {
  throw new KeyEncryptionError(`cipher ${JSON.stringify(name)} is not available`);
}

export function opensshKdf(_password: Uint8Array, _salt: Uint8Array, _length: number, _rounds: number): Uint8Array {
  throw new KeyEncryptionError('bcrypt-pbkdf is not available');
}

export function opensshEncrypt(name: string, _key: Uint8Array, _iv: Uint8Array, _data: Uint8Array): Uint8Array {
  throw new KeyEncryptionError(`cipher ${JSON.stringify(name)} is not available`);
}

export function opensshDecrypt(name: string, _key: Uint8Array, _iv: Uint8Array, _data: Uint8Array): Uint8Array {
  throw new KeyEncryptionError(`cipher ${JSON.stringify(name)} is not available`);
}
