/** SSHSIG both ways with `ssh-keygen -Y sign` / `-Y verify`. */
import { createHash } from 'node:crypto';
import { Writer } from '@ssh/wire';
import { afterAll, describe, expect, test } from 'vitest';
import { createSshsig, createSshsigBlob, importPrivateKey, parseSshsig, validateSshsig } from '../src/index.ts';
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

describe('the reserved field', () => {
  test('ssh-keygen ignores a non-empty reserved field (signed over an empty one); so do we', () => {
    const key = testKey('ssh-ed25519');
    const check = (sig: string): [boolean, boolean] => {
      let theirs: boolean;
      try {
        theirs = dir.run(['-Y', 'check-novalidate', '-n', 'file', '-s', dir.write(sig)], MESSAGE).startsWith('Good');
      } catch {
        theirs = false;
      }
      let ours: boolean;
      try {
        validateSshsig(sig, MESSAGE, 'file');
        ours = true;
      } catch {
        ours = false;
      }
      return [ours, theirs];
    };
    // Rebuild the blob with reserved = "x": once keeping the signature over an empty reserved
    // field (what ssh-keygen verifies), once signing over "x".
    const blob = createSshsigBlob(key, MESSAGE, 'file');
    const parsed = parseSshsig(blob);
    const withReserved = (signature: Uint8Array) =>
      `-----BEGIN SSH SIGNATURE-----\n${Buffer.from(
        new Writer(512).raw(new TextEncoder().encode('SSHSIG')).u32(1).bytes(key.publicData).utf8('file').bytes(new TextEncoder().encode('x')).utf8('sha512').bytes(signature).finish(),
      ).toString('base64')}\n-----END SSH SIGNATURE-----\n`;
    const overX = key.sign(
      new Writer(256).raw(new TextEncoder().encode('SSHSIG')).utf8('file').bytes(new TextEncoder().encode('x')).utf8('sha512').bytes(createHash('sha512').update(MESSAGE).digest()).finish(),
    );
    const [oursEmpty, theirsEmpty] = check(withReserved(parsed.signature));
    expect(theirsEmpty).toBe(true);
    expect(oursEmpty).toBe(theirsEmpty);
    const [oursX, theirsX] = check(withReserved(overX));
    expect(theirsX).toBe(false);
    expect(oursX).toBe(theirsX);
  });
});
