/* global console, TextEncoder */
// A project that installed @ssh/keys alone: generate, export, import (also from a file, through
// @ssh/keys/node), sign and verify, certify.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { generatePrivateKey, importCertificate, importPrivateKey, importPublicKey } from '@ssh/keys';
import { readPrivateKey } from '@ssh/keys/node';

const key = generatePrivateKey('ssh-ed25519', { comment: 'packed@example.com' });
const ecdsa = generatePrivateKey('ecdsa-sha2-nistp256');
const encrypted = key.exportPrivateKey('openssh', { passphrase: 'secret' });
const back = importPrivateKey(encrypted, 'secret');
assert.equal(back.getFingerprint(), key.getFingerprint());
assert.equal(importPrivateKey(ecdsa.exportPrivateKey('pkcs8-pem')).getFingerprint(), ecdsa.getFingerprint());
await writeFile('id_ed25519', encrypted, { mode: 0o600 });
assert.equal((await readPrivateKey('id_ed25519', 'secret')).getFingerprint(), key.getFingerprint());
const pub = importPublicKey(key.exportPublicKey('openssh'));
const data = new TextEncoder().encode('signed data');
assert.ok(pub.verify(data, key.sign(data)));
const cert = ecdsa.generateUserCertificate(key, 'packed', { principals: ['packed'] });
assert.equal(importCertificate(cert.exportCertificate()).principals[0], 'packed');
console.log(`keys ok ${key.algorithm} ${key.getFingerprint()}`);
