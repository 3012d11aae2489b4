/**
 * Import-time validation of EC and EdDSA keys, which hands keys to OpenSSL as JWKs and derives
 * public keys with OpenSSL's ECDH/EdDSA code: a private key must match its public key, points must
 * lie on their curve, scalars must be in range; generated keys come out whole and consistent.
 */
import { createPrivateKey, createPublicKey, sign as nodeSign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Reader, Writer } from '@ssh/wire';
import { generatePrivateKey, importPrivateKey, importPublicKey, KeyImportError, readPrivateKeyFields, type SSHKey } from '../src/index.ts';

const data = new TextEncoder().encode('data to sign');

/** The openssh-key-v1 private fields of `key` with `edit` applied to the field list. */
function fields(key: SSHKey, edit: (w: Writer, parts: Reader) => void): Reader {
  const out = new Writer();
  edit(out, new Reader(key.encodePrivateFields()));
  return new Reader(out.finish());
}

describe('EdDSA', () => {
  for (const type of ['ssh-ed25519', 'ssh-ed448']) {
    const size = type === 'ssh-ed25519' ? 32 : 57;
    it(`${type}: generated keys are whole, and import rederives the same public key`, () => {
      const key = generatePrivateKey(type);
      const again = importPrivateKey(key.exportPrivateKey('openssh'));
      expect(again.equals(key)).toBe(true);
      expect(importPublicKey(key.exportPublicKey()).verify(data, again.sign(data))).toBe(true);
      // OpenSSL reads our PKCS#8 export as the same key.
      const nodeKey = createPrivateKey({ key: Buffer.from(key.exportPrivateKey('pkcs8-der')), format: 'der', type: 'pkcs8' });
      const spki = createPublicKey(nodeKey).export({ format: 'der', type: 'spki' });
      expect(Buffer.from(spki).subarray(-size)).toEqual(Buffer.from(key.publicData.subarray(-size)));
    });

    it(`${type}: a seed that does not give the stored public key is refused`, () => {
      const key = generatePrivateKey(type);
      const other = generatePrivateKey(type);
      const otherPk = other.publicData.subarray(-size);
      // pk, then seed || pk with pk taken from another key throughout.
      const r = fields(key, (w, f) => {
        f.bytes('pk');
        const sk = f.bytes('sk');
        const forged = new Uint8Array(2 * size);
        forged.set(sk.subarray(0, size), 0);
        forged.set(otherPk, size);
        w.bytes(otherPk).bytes(forged);
      });
      expect(() => readPrivateKeyFields(type, r)).toThrow(/does not match/);
    });
  }
});

describe('ECDSA', () => {
  for (const [type, size] of [['ecdsa-sha2-nistp256', 32], ['ecdsa-sha2-nistp384', 48], ['ecdsa-sha2-nistp521', 66]] as const) {
    it(`${type}: generated keys are whole and sign as OpenSSL's keys do`, () => {
      const key = generatePrivateKey(type);
      const again = importPrivateKey(key.exportPrivateKey('openssh'));
      expect(again.equals(key)).toBe(true);
      expect(importPublicKey(key.exportPublicKey()).verify(data, again.sign(data))).toBe(true);
      const nodeKey = createPrivateKey({ key: Buffer.from(key.exportPrivateKey('pkcs8-der')), format: 'der', type: 'pkcs8' });
      expect(nodeSign('sha256', data, nodeKey).length).toBeGreaterThan(0);
      const jwk = createPublicKey(nodeKey).export({ format: 'jwk' });
      const q = key.publicData.subarray(-(1 + 2 * size));
      expect(Buffer.from(q.subarray(1, 1 + size)).toString('base64url')).toBe(jwk.x);
    });

    it(`${type}: a scalar that does not give the stored point is refused`, () => {
      const key = generatePrivateKey(type);
      const other = generatePrivateKey(type);
      const r = fields(key, (w, f) => {
        w.utf8(f.utf8('curve'));
        f.bytes('Q');
        w.bytes(other.publicData.subarray(-(1 + 2 * size)));
        w.mpint(f.mpint('d'));
      });
      expect(() => readPrivateKeyFields(type, r)).toThrow(/does not match/);
    });

    it(`${type}: scalars 0 and >= 2^bits are refused`, () => {
      const key = generatePrivateKey(type);
      for (const d of [0n, (1n << BigInt(size * 8)) - 1n]) {
        const r = fields(key, (w, f) => {
          w.utf8(f.utf8('curve')).bytes(f.bytes('Q'));
          w.mpint(d);
        });
        expect(() => readPrivateKeyFields(type, r)).toThrow(KeyImportError);
      }
    });

    it(`${type}: public points off the curve or at infinity are refused, compressed ones decompressed`, () => {
      const key = generatePrivateKey(type);
      const blob = key.publicData;
      const offCurve = blob.slice();
      offCurve[offCurve.length - 1] = (offCurve[offCurve.length - 1] as number) ^ 1;
      expect(() => importPublicKey(offCurve)).toThrow(KeyImportError);
      const r = new Reader(blob);
      const name = r.utf8('type');
      const curve = r.utf8('curve');
      const q = r.bytes('Q');
      const infinity = new Writer().utf8(name).utf8(curve).bytes(Uint8Array.of(0)).finish();
      expect(() => importPublicKey(infinity)).toThrow(KeyImportError);
      const y = q[q.length - 1] as number;
      const compressed = Uint8Array.from([2 + (y & 1), ...q.subarray(1, 1 + size)]);
      const imported = importPublicKey(new Writer().utf8(name).utf8(curve).bytes(compressed).finish());
      expect(imported.equals(key)).toBe(true);
      expect(imported.verify(data, key.sign(data))).toBe(true);
    });
  }
});
