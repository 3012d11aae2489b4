/** SSHSIG both ways with `ssh-keygen -Y sign` / `-Y verify`. */
import { afterAll, describe, expect, test } from 'vitest';
import { createSshsig, importPrivateKey, validateSshsig } from '../src/index.ts';
import { testKey } from './helpers/keys.ts';
import { KeygenDir } from './helpers/ssh-keygen.ts';

const dir = new KeygenDir();
afterAll(() => dir.cleanup());
const MESSAGE = 'signed message\nwith two lines\n';

describe.each(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa'])('%s', (type) => {
  const key = testKey(type);

  test.each(['sha256', 'sha512'] as const)('ours (%s) verify in ssh-keygen -Y verify', (hashAlgorithm) => {
    const sig = dir.write(createSshsig(key, MESSAGE, 'file', { hashAlgorithm }));
    const pub = new TextDecoder().decode(key.exportPublicKey()).trim();
    const signers = dir.write(`alice@example.com ${pub}\n`);
    const out = dir.run(['-Y', 'verify', '-f', signers, '-I', 'alice@example.com', '-n', 'file', '-s', sig], MESSAGE);
    expect(out).toContain('Good "file" signature for alice@example.com');
    expect(dir.fails(['-Y', 'verify', '-f', signers, '-I', 'alice@example.com', '-n', 'git', '-s', sig])).toBe(true);
  });

  test('theirs verify here', () => {
    const p = dir.write(key.exportPrivateKey());
    const msgFile = dir.write(MESSAGE);
    dir.run(['-Y', 'sign', '-f', p, '-n', 'git', msgFile]);
    const sig = dir.read(`${msgFile}.sig`);
    const parsed = validateSshsig(sig, MESSAGE, 'git');
    expect(parsed.publicKey.equals(importPrivateKey(dir.read(p)))).toBe(true);
    expect(parsed.hashAlgorithm).toBe('sha512');
    expect(() => validateSshsig(sig, `${MESSAGE}x`, 'git')).toThrow();
  });
});
