/**
 * Keys against AsyncSSH 2.10 (the API this package follows): its keys of every type (Ed448 and
 * secp256k1 included, which OpenSSH lacks) import here with the same fingerprints and
 * signatures, and ours import there. One Python process per direction keeps it quick.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { importPrivateKey, importPublicKey, KeyEncryptionError, type PrivateKeyFormat } from '../src/index.ts';
import { asyncssh } from './helpers/asyncssh.ts';
import { GENERATABLE, testKey } from './helpers/keys.ts';

const MESSAGE = new TextEncoder().encode('message');

interface Described {
  public: string;
  sha256: string;
  md5: string;
}
type Generated = Described & { exports: Record<string, string>; sigs: [string, string][] };
type Checked = Described & { verified: boolean[] };

const generated = new Map<string, Generated>();
const checked = new Map<string, Checked[]>();

beforeAll(async () => {
  const gen = await asyncssh<Generated>(GENERATABLE.map((alg) => ({ op: 'generate', alg, passphrase: 'pw' })));
  GENERATABLE.forEach((alg, i) => generated.set(alg, gen[i] as Generated));
  const requests = GENERATABLE.map((alg) => {
    const key = testKey(alg);
    const sigs = key.sigAlgorithms.map((a) => [a, Buffer.from(key.sign(MESSAGE, a)).toString('base64')]);
    const formats: PrivateKeyFormat[] = ['openssh', 'pkcs8-pem', ...(alg === 'ssh-ed25519' || alg === 'ssh-ed448' ? [] : (['pkcs1-pem'] as const))];
    const keys = formats.flatMap((f) => [
      { private: new TextDecoder().decode(key.exportPrivateKey(f)), sigs },
      { private: new TextDecoder().decode(key.exportPrivateKey(f, { passphrase: 'pw', rounds: 2 })), passphrase: 'pw', sigs: [] },
    ]);
    return { op: 'check', keys };
  });
  const results = await asyncssh<Checked[]>(requests);
  GENERATABLE.forEach((alg, i) => checked.set(alg, results[i] as Checked[]));
}, 300_000);

describe.each(GENERATABLE)('%s', (alg) => {
  test('AsyncSSH keys, exports and signatures here', () => {
    const theirs = generated.get(alg) as Generated;
    const pub = importPublicKey(theirs.public);
    expect(pub.getFingerprint()).toBe(theirs.sha256);
    expect(pub.getFingerprint('md5')).toBe(theirs.md5);
    expect(Object.keys(theirs.exports).length).toBeGreaterThanOrEqual(4);
    for (const [format, text] of Object.entries(theirs.exports)) {
      const encrypted = format.endsWith('+pass');
      const key = importPrivateKey(text, encrypted ? 'pw' : undefined);
      expect(key.equals(pub), format).toBe(true);
      if (format === 'openssh') expect(key.getComment()).toBe('asyncssh key');
      if (encrypted) expect(() => importPrivateKey(text, 'wrong')).toThrow(KeyEncryptionError);
    }
    expect(theirs.sigs.map(([a]) => a).sort()).toEqual([...pub.sigAlgorithms].sort());
    for (const [sigAlg, sig] of theirs.sigs) expect(pub.verify(MESSAGE, Buffer.from(sig, 'base64')), sigAlg).toBe(true);
  });

  test('our keys and signatures in AsyncSSH', () => {
    const key = testKey(alg);
    const results = checked.get(alg) as Checked[];
    expect(results.length).toBeGreaterThanOrEqual(4);
    for (const r of results) {
      expect(r.sha256).toBe(key.getFingerprint());
      expect(r.md5).toBe(key.getFingerprint('md5'));
      expect(r.verified.every(Boolean)).toBe(true);
    }
    expect(results[0]?.verified).toHaveLength(key.sigAlgorithms.length);
    expect(results[0]?.public.trim()).toBe(new TextDecoder().decode(key.exportPublicKey()).trim());
  });
});
