/**
 * Hostile input to every importer: random bytes, and valid exports with random corruption.
 * The only acceptable outcomes are a key or a typed error, quickly.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { importPrivateKey, importPublicKey, KeyEncryptionError, KeyImportError, type PrivateKeyFormat, type PublicKeyFormat } from '../src/index.ts';
import { testKey } from './helpers/keys.ts';

const TIME_LIMIT = 1000;

function expectTyped(run: () => unknown): void {
  try {
    run();
  } catch (e) {
    if (!(e instanceof KeyImportError || e instanceof KeyEncryptionError)) throw e;
  }
}

const TYPES = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-1.3.132.0.10', 'ssh-rsa', 'ssh-dss', 'ssh-ed448'];
const corpus: Uint8Array[] = [];
const publicCorpus: Uint8Array[] = [];
for (const t of TYPES) {
  const key = testKey(t);
  const priv: PrivateKeyFormat[] = ['openssh', 'pkcs8-der', 'pkcs8-pem'];
  if (t === 'ssh-rsa' || t === 'ssh-dss' || t.startsWith('ecdsa')) priv.push('pkcs1-der', 'pkcs1-pem');
  for (const f of priv) corpus.push(key.exportPrivateKey(f));
  corpus.push(key.exportPrivateKey('pkcs8-der', { passphrase: 'p', rounds: 1 }));
  for (const cipherName of ['blowfish-cbc', 'cast128-cbc']) corpus.push(key.exportPrivateKey('pkcs8-der', { passphrase: 'p', rounds: 1, cipherName }));
  for (const cipherName of ['rc4-128', 'des2-cbc', 'des-cbc']) corpus.push(key.exportPrivateKey('pkcs8-der', { passphrase: 'p', rounds: 1, cipherName, pbeVersion: 1 }));
  corpus.push(key.exportPrivateKey('openssh', { passphrase: 'p', rounds: 1 }));
  const pub: PublicKeyFormat[] = ['openssh', 'rfc4716', 'pkcs8-der', 'pkcs8-pem'];
  for (const f of pub) publicCorpus.push(key.exportPublicKey(f));
  publicCorpus.push(key.publicData);
}

/** A corrupted copy: a few bytes changed, or cut, or a slice duplicated. */
const mutation = (sources: Uint8Array[]) =>
  fc
    .tuple(fc.constantFrom(...sources), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.option(fc.nat()))
    .map(([src, edits, cut]) => {
      const out = src.slice();
      for (const [at, v] of edits) out[at % out.length] = v;
      return cut === null ? out : out.subarray(0, cut % out.length);
    });

describe('import fuzz', () => {
  test('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        expectTyped(() => importPrivateKey(bytes, 'p'));
        expectTyped(() => importPublicKey(bytes));
      }),
      { interruptAfterTimeLimit: TIME_LIMIT, numRuns: 5000 },
    );
  });

  test('random text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        expectTyped(() => importPrivateKey(`-----BEGIN OPENSSH PRIVATE KEY-----\n${text}\n-----END OPENSSH PRIVATE KEY-----`));
        expectTyped(() => importPublicKey(`ssh-ed25519 ${text}`));
        expectTyped(() => importPublicKey(`---- BEGIN SSH2 PUBLIC KEY ----\n${text}\n---- END SSH2 PUBLIC KEY ----`));
      }),
      { interruptAfterTimeLimit: TIME_LIMIT, numRuns: 3000 },
    );
  });

  test('corrupted private keys', () => {
    fc.assert(
      fc.property(mutation(corpus), (bytes) => {
        expectTyped(() => importPrivateKey(bytes, 'p'));
      }),
      { interruptAfterTimeLimit: TIME_LIMIT, numRuns: 3000 },
    );
  });

  test('corrupted public keys', () => {
    fc.assert(
      fc.property(mutation(publicCorpus), (bytes) => {
        expectTyped(() => importPublicKey(bytes));
      }),
      { interruptAfterTimeLimit: TIME_LIMIT, numRuns: 3000 },
    );
  });

  test('huge mpints and bogus points are refused', () => {
    const w = (parts: (string | Uint8Array)[]) => {
      const chunks: Uint8Array[] = [];
      for (const p of parts) {
        const b = typeof p === 'string' ? new TextEncoder().encode(p) : p;
        const len = new Uint8Array(4);
        new DataView(len.buffer).setUint32(0, b.length);
        chunks.push(len, b);
      }
      return Uint8Array.from(chunks.flatMap((c) => [...c]));
    };
    const huge = new Uint8Array(100_000).fill(0x7f);
    expect(() => importPublicKey(w(['ssh-rsa', Uint8Array.of(1, 0, 1), huge]))).toThrow(KeyImportError);
    expect(() => importPublicKey(w(['ssh-rsa', Uint8Array.of(2), Uint8Array.of(0x7f, 1)]))).toThrow(KeyImportError);
    const badPoint = new Uint8Array(65).fill(1);
    badPoint[0] = 4;
    expect(() => importPublicKey(w(['ecdsa-sha2-nistp256', 'nistp256', badPoint]))).toThrow(KeyImportError);
    expect(() => importPublicKey(w(['ecdsa-sha2-1.3.132.0.10', '1.3.132.0.10', badPoint]))).toThrow(KeyImportError);
    expect(() => importPublicKey(w(['ecdsa-sha2-nistp256', 'nistp384', badPoint]))).toThrow(KeyImportError);
    expect(() => importPublicKey(w(['ssh-ed25519', new Uint8Array(31)]))).toThrow(KeyImportError);
    expect(() => importPublicKey(w(['ssh-unknown', new Uint8Array(31)]))).toThrow(KeyImportError);
    expect(() => importPublicKey(w(['ssh-ed25519', new Uint8Array(32), 'trailing']))).toThrow(KeyImportError);
  });
});
