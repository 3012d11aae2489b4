/**
 * Encryption algorithms: name constants and the registration table, in the spec's preference
 * order (defaults first). RFC 4253 §6.3, RFC 4344, RFC 4345, RFC 5647, OpenSSH PROTOCOL.
 * @module
 */

import type { AlgorithmSpec } from '../registry.ts';
import type { CipherImpl } from './types.ts';
import { chacha20Poly1305 } from './chacha20-poly1305.ts';
import { aes128Gcm, aes256Gcm } from './aes-gcm.ts';
import { aes128Ctr, aes192Ctr, aes256Ctr } from './aes-ctr.ts';
import { aes128Cbc, aes192Cbc, aes256Cbc } from './aes-cbc.ts';
import { tripleDesCbc } from '../legacy/3des-cbc.ts';
import { blowfishCbc } from '../legacy/blowfish-cbc.ts';
import { arcfour, arcfour128, arcfour256 } from '../legacy/arcfour.ts';
import { cast128Cbc } from '../legacy/cast128-cbc.ts';
import { seedCbc } from '../legacy/seed-cbc.ts';

export const CIPHER = {
  CHACHA20_POLY1305: 'chacha20-poly1305@openssh.com',
  AES256_GCM: 'aes256-gcm@openssh.com',
  AES128_GCM: 'aes128-gcm@openssh.com',
  AES256_CTR: 'aes256-ctr',
  AES192_CTR: 'aes192-ctr',
  AES128_CTR: 'aes128-ctr',
  AES256_CBC: 'aes256-cbc',
  AES192_CBC: 'aes192-cbc',
  AES128_CBC: 'aes128-cbc',
  TRIPLE_DES_CBC: '3des-cbc',
  BLOWFISH_CBC: 'blowfish-cbc',
  CAST128_CBC: 'cast128-cbc',
  SEED_CBC: 'seed-cbc@ssh.com',
  ARCFOUR256: 'arcfour256',
  ARCFOUR128: 'arcfour128',
  ARCFOUR: 'arcfour',
} as const;

const on = (name: string, impl: CipherImpl): AlgorithmSpec<CipherImpl> => ({ name, default: true, impl });
const off = (name: string, impl: CipherImpl, insecure = false): AlgorithmSpec<CipherImpl> =>
  insecure ? { name, default: false, insecure: true, impl } : { name, default: false, impl };

/** Every encryption algorithm, preference order. */
export const cipherAlgorithms: readonly AlgorithmSpec<CipherImpl>[] = /* @__PURE__ */ [
  on(CIPHER.CHACHA20_POLY1305, chacha20Poly1305),
  on(CIPHER.AES256_GCM, aes256Gcm),
  on(CIPHER.AES128_GCM, aes128Gcm),
  on(CIPHER.AES256_CTR, aes256Ctr),
  on(CIPHER.AES192_CTR, aes192Ctr),
  on(CIPHER.AES128_CTR, aes128Ctr),
  off(CIPHER.AES256_CBC, aes256Cbc),
  off(CIPHER.AES192_CBC, aes192Cbc),
  off(CIPHER.AES128_CBC, aes128Cbc),
  off(CIPHER.TRIPLE_DES_CBC, tripleDesCbc, true),
  off(CIPHER.BLOWFISH_CBC, blowfishCbc, true),
  off(CIPHER.CAST128_CBC, cast128Cbc, true),
  off(CIPHER.SEED_CBC, seedCbc),
  off(CIPHER.ARCFOUR256, arcfour256, true),
  off(CIPHER.ARCFOUR128, arcfour128, true),
  off(CIPHER.ARCFOUR, arcfour, true),
];

export type { CipherImpl, CipherInfo, CipherStream, StreamCipherImpl, AeadCipher, AeadCipherImpl } from './types.ts';
