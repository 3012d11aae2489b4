import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { importPrivateKey, importPublicKey, KeyEncryptionError } from '../src/index.ts';
import { derAlgorithm, derInteger, derOctetString, derSequence } from '../src/asn1.ts';
import { fromHex, toHex } from '../src/internal/bytes.ts';
import { Reader } from '@ssh/wire';

const DIR = join(import.meta.dirname, '../vectors/openssh-9.2');
const PASSPHRASES: Record<string, string> = { id_rsa_pem_enc: 'pem pass', id_ecdsa_pkcs8_enc: 'p8 pass' };

describe('ssh-keygen 9.2 fixtures', () => {
  const names = readdirSync(DIR).filter((f) => f.startsWith('id_') && !f.includes('.'));
  test.each(names)('%s', (name) => {
    const [sha, md5] = readFileSync(join(DIR, `${name}.fingerprints`), 'utf8').trim().split('\n') as [string, string];
    const encrypted = name.endsWith('_enc');
    const pass = PASSPHRASES[name] ?? (encrypted ? 'correct horse' : undefined);
    const key = importPrivateKey(readFileSync(join(DIR, name)), pass);
    const pub = importPublicKey(readFileSync(join(DIR, `${name}.pub`), 'utf8'));
    expect(key.equals(pub)).toBe(true);
    expect(`${pub.bits} ${pub.getFingerprint()} ${pub.getComment()} (${pub.label})`).toBe(sha);
    expect(`${pub.bits} ${pub.getFingerprint('md5')} ${pub.getComment()} (${pub.label})`).toBe(md5);
    if (encrypted) expect(() => importPrivateKey(readFileSync(join(DIR, name)), 'nope')).toThrow(KeyEncryptionError);
    if (!encrypted || !PASSPHRASES[name]) expect(key.getComment()).toBe(pub.getComment());
  });
});

function pkcs8Ed(oid: string, seed: Uint8Array): Uint8Array {
  return derSequence(derInteger(0), derAlgorithm(oid), derOctetString(derOctetString(seed)));
}

describe('RFC 8032 signatures through the SSH encoding', () => {
  const cases = [
    {
      name: 'Ed25519 TEST 1',
      oid: '1.3.101.112',
      secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
      public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
      signature:
        'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    },
    {
      name: 'Ed448 Blank',
      oid: '1.3.101.113',
      secret: '6c82a562cb808d10d632be89c8513ebf6c929f34ddfa8c9f63c9960ef6e348a3528c8a3fcc2f044e39a3fc5b94492f8f032e7549a20098f95b',
      public: '5fd7449b59b461fd2ce787ec616ad46a1da1342485a70e1f8a0ea75d80e96778edf124769b46c7061bd6783df1e50f6cd1fa1abeafe8256180',
      signature:
        '533a37f6bbe457251f023c0d88f976ae2dfb504a843e34d2074fd823d41a591f2b233f034f628281f2fd7a22ddd47d7828c59bd0a21bfd3980ff0d2028d4b18a9df63e006c5d1c2d345b925d8dc00b4104852db99ac5c7cdda8530a113a0f4dbb61149f05a7363268c71d95808ff2e652600',
    },
  ];
  test.each(cases)('$name', (c) => {
    const key = importPrivateKey(pkcs8Ed(c.oid, fromHex(c.secret) as Uint8Array));
    const blob = new Reader(key.publicData);
    blob.utf8();
    expect(toHex(blob.bytes())).toBe(c.public);
    const sig = new Reader(key.sign(new Uint8Array(0)));
    expect(sig.utf8()).toBe(key.algorithm);
    expect(toHex(sig.bytes())).toBe(c.signature);
  });
});
