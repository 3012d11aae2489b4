/** Keys generated once per test file (generation of RSA/DSA keys is slow). */
import { generatePrivateKey, type SSHKey } from '../../src/index.ts';

export const GENERATABLE = [
  'ssh-ed25519',
  'ssh-ed448',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ecdsa-sha2-1.3.132.0.10',
  'ssh-rsa',
  'ssh-dss',
] as const;

const cache = new Map<string, SSHKey>();

export function testKey(type: string): SSHKey {
  let key = cache.get(type);
  if (!key) {
    key = generatePrivateKey(type, { comment: `${type} test key`, ...(type === 'ssh-rsa' ? { keySize: 2048 } : {}) });
    cache.set(type, key);
  }
  return key;
}
