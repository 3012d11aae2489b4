import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { importPrivateKey, KeyEncryptionError, KeyExportError, KeyImportError } from '../src/index.ts';
import { GENERATABLE, testKey } from './helpers/keys.ts';

const FAST_ARGON = { memory: 64, passes: 1 };

describe.each(GENERATABLE)('PPK with %s', (type) => {
  const key = testKey(type);
  test.each([2, 3] as const)('v%s round trip, plain and encrypted', (puttyVersion) => {
    const plain = key.exportPrivateKey('putty', { puttyVersion });
    expect(new TextDecoder().decode(plain)).toMatch(new RegExp(`^PuTTY-User-Key-File-${puttyVersion}: ${type}\nEncryption: none\n`));
    const back = importPrivateKey(plain);
    expect(back.equals(key)).toBe(true);
    expect(back.getComment()).toBe(key.getComment());
    const enc = key.exportPrivateKey('putty', { puttyVersion, passphrase: 'pw', argon2: FAST_ARGON });
    expect(importPrivateKey(enc, 'pw').equals(key)).toBe(true);
    expect(() => importPrivateKey(enc, 'wrong')).toThrow(KeyEncryptionError);
    expect(() => importPrivateKey(enc)).toThrow(KeyEncryptionError);
  });
});

describe('PPK errors', () => {
  const key = testKey('ssh-ed25519');
  const text = new TextDecoder().decode(key.exportPrivateKey('putty'));

  test('tampering breaks the MAC', () => {
    expect(() => importPrivateKey(text.replace(/Comment: .*/, 'Comment: other'))).toThrow(/MAC/);
  });

  test('absurd Argon2 parameters are refused before any work', () => {
    const enc = new TextDecoder().decode(key.exportPrivateKey('putty', { passphrase: 'pw', argon2: FAST_ARGON }));
    expect(() => importPrivateKey(enc.replace(/Argon2-Memory: \d+/, 'Argon2-Memory: 4194304'), 'pw')).toThrow(KeyImportError);
    expect(() => importPrivateKey(enc.replace(/Argon2-Passes: \d+/, 'Argon2-Passes: 100000'), 'pw')).toThrow(KeyImportError);
    expect(() => importPrivateKey(enc.replace(/Key-Derivation: \w+/, 'Key-Derivation: scrypt'), 'pw')).toThrow(KeyEncryptionError);
    expect(() => key.exportPrivateKey('putty', { passphrase: 'pw', argon2: { memory: 1 << 30 } })).toThrow(KeyExportError);
  });

  test('Argon2 is bounded by its total work, memory times passes', () => {
    const enc = new TextDecoder().decode(key.exportPrivateKey('putty', { passphrase: 'pw', argon2: FAST_ARGON }));
    // 256 MiB (the memory cap) with 17 passes: each bound alone would allow it; the work is over.
    const heavy = enc.replace(/Argon2-Memory: \d+/, 'Argon2-Memory: 262144').replace(/Argon2-Passes: \d+/, 'Argon2-Passes: 17');
    expect(() => importPrivateKey(heavy, 'pw')).toThrow(new KeyImportError('PPK: Argon2 work (memory times passes) over 4194304 KiB'));
    expect(() => key.exportPrivateKey('putty', { passphrase: 'pw', argon2: { memory: 262_144, passes: 17 } })).toThrow(KeyExportError);
    // Many passes over little memory, as puttygen picks for a long time budget: light work, accepted.
    const manyPasses = key.exportPrivateKey('putty', { passphrase: 'pw', argon2: { memory: 64, passes: 200 } });
    expect(new TextDecoder().decode(manyPasses)).toContain('Argon2-Passes: 200\n');
    expect(importPrivateKey(manyPasses, 'pw').equals(key)).toBe(true);
  });

  test('numeric headers are plain decimal: hex, exponents, signs, spaces, fractions, empty and Infinity are refused', () => {
    const enc = new TextDecoder().decode(key.exportPrivateKey('putty', { passphrase: 'pw', argon2: FAST_ARGON }));
    const field = (file: string, name: string): string => (new RegExp(`^${name}: (\\d+)$`, 'm').exec(file) as RegExpExecArray)[1] as string;
    const setField = (file: string, name: string, value: string): string => file.replace(new RegExp(`^${name}: \\d+$`, 'm'), `${name}: ${value}`);
    const headers = [
      [enc, 'Argon2-Memory'],
      [enc, 'Argon2-Passes'],
      [enc, 'Argon2-Parallelism'],
      [enc, 'Public-Lines'],
      [enc, 'Private-Lines'],
      [text, 'Public-Lines'],
      [text, 'Private-Lines'],
    ] as const;
    for (const [file, name] of headers) {
      const n = Number(field(file, name));
      // The same number written the way Number() would read it too.
      const spellings = [`0x${n.toString(16)}`, `${n / 10}e1`, `${n}.0`, `+${n}`, ` ${n}`, `${n} `, `0b${n.toString(2)}`, '', 'Infinity', '-0', '1_0'];
      for (const bad of spellings) {
        const mangled = setField(file, name, bad);
        expect(() => importPrivateKey(mangled, 'pw'), `${name}: ${JSON.stringify(bad)}`).toThrow(KeyImportError);
      }
      // Leading zeros are still decimal (PuTTY reads them so too).
      expect(importPrivateKey(setField(file, name, `00${n}`), 'pw').equals(key)).toBe(true);
    }
  });

  test('numeric headers past their range are refused at once, before any work or allocation', () => {
    const enc = new TextDecoder().decode(key.exportPrivateKey('putty', { passphrase: 'pw', argon2: FAST_ARGON }));
    const setField = (file: string, name: string, value: string): string => file.replace(new RegExp(`^${name}: \\d+$`, 'm'), `${name}: ${value}`);
    const started = Date.now();
    for (const name of ['Argon2-Memory', 'Argon2-Passes', 'Argon2-Parallelism', 'Public-Lines', 'Private-Lines']) {
      for (const huge of ['4294967296', '99999999999999999999999999', '9'.repeat(100_000)]) {
        expect(() => importPrivateKey(setField(enc, name, huge), 'pw'), `${name}: ${huge.slice(0, 30)}`).toThrow(KeyImportError);
      }
    }
    expect(() => importPrivateKey(setField(enc, 'Argon2-Memory', '1073741824'), 'pw')).toThrow(new KeyImportError('PPK: Argon2 memory over 262144 KiB'));
    expect(() => importPrivateKey(setField(enc, 'Argon2-Parallelism', '4294967295'), 'pw')).toThrow(new KeyImportError('PPK: Argon2 parallelism over 16'));
    expect(() => importPrivateKey(setField(enc, 'Argon2-Passes', '0'), 'pw')).toThrow(KeyImportError);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  test('a line count past the end of the file is refused as such', () => {
    expect(() => importPrivateKey(text.replace(/^Private-Lines: \d+$/m, 'Private-Lines: 1000'))).toThrow(new KeyImportError('PPK: Private-Lines runs past the end of the file'));
    expect(() => importPrivateKey(text.replace(/^Public-Lines: \d+$/m, 'Public-Lines: 1000'))).toThrow(new KeyImportError('PPK: Public-Lines runs past the end of the file'));
  });

  test('truncated and corrupted files are typed errors', () => {
    for (let cut = 1; cut < text.length; cut += 11) {
      try {
        importPrivateKey(text.slice(0, cut));
      } catch (e) {
        expect(e instanceof KeyImportError || e instanceof KeyEncryptionError).toBe(true);
      }
    }
    fc.assert(
      fc.property(fc.nat(), fc.string({ minLength: 1, maxLength: 3 }), (at, s) => {
        const pos = at % text.length;
        try {
          importPrivateKey(text.slice(0, pos) + s + text.slice(pos + 1));
        } catch (e) {
          expect(e instanceof KeyImportError || e instanceof KeyEncryptionError).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
