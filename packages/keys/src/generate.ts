/**
 * Key generation for every algorithm that can be generated without hardware.
 * @module
 */

import { familyForKeyType } from './algs/index.ts';
import type { GenerateOptions } from './algs/impl.ts';
import { KeyGenerationError } from './errors.ts';
import { SSHKey } from './key.ts';

export interface GeneratePrivateKeyOptions extends GenerateOptions {
  readonly comment?: string | Uint8Array;
}

/** Short names ssh-keygen's -t accepts, mapped to key types. */
const ALIASES: Readonly<Record<string, string>> = {
  rsa: 'ssh-rsa',
  dsa: 'ssh-dss',
  ed25519: 'ssh-ed25519',
  ed448: 'ssh-ed448',
};

/**
 * A new private key: 'ssh-rsa' (keySize >= 1024, default 3072), 'ssh-dss' (1024),
 * 'ecdsa-sha2-nistp256' / -nistp384 / -nistp521 / -1.3.132.0.10, 'ssh-ed25519', 'ssh-ed448'.
 * For ECDSA, `ecdsa` with keySize 256/384/521 is accepted too, as ssh-keygen does. Security keys
 * (sk-*) come from generateSecurityKey (@ssh/keys/node), which talks to the authenticator.
 */
export function generatePrivateKey(algorithm: string, options: GeneratePrivateKeyOptions = {}): SSHKey {
  let keyType = ALIASES[algorithm] ?? algorithm;
  if (keyType === 'ecdsa') keyType = `ecdsa-sha2-nistp${options.keySize ?? 256}`;
  const family = familyForKeyType(keyType);
  if (keyType.startsWith('sk-') || keyType.endsWith('-sk')) {
    // The authenticator makes these, and reaching it takes asynchronous I/O (and often a touch).
    throw new KeyGenerationError(`${algorithm} keys are made by a security key: use generateSecurityKey from @ssh/keys/node`);
  }
  if (!family?.generate) throw new KeyGenerationError(`cannot generate ${JSON.stringify(algorithm)} keys`);
  return new SSHKey(family.generate(keyType, options), options.comment);
}
