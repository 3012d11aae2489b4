import type { Writer } from '@ssh/wire';
import { describe, expect, test } from 'vitest';
import { importPrivateKey, importPublicKey, SignatureError } from '../src/index.ts';
import { encodeOpensshPrivateBinary } from '../src/formats/openssh-private.ts';
import type { KeyImpl } from '../src/algs/impl.ts';

const LINES = {
  'sk-ecdsa-sha2-nistp256@openssh.com':
    'sk-ecdsa-sha2-nistp256@openssh.com AAAAInNrLWVjZHNhLXNoYTItbmlzdHAyNTZAb3BlbnNzaC5jb20AAAAIbmlzdHAyNTYAAABBBKDVa5jRcT5V7E6ysmwVi7HJWh7p5D+hebLPakQcpnD2ajJZ6G/4WzuhlYWnclWY63JspDp299Rlhq5AT86/g8AAAAAEc3NoOg== ECDSA-SK test key',
  'sk-ssh-ed25519@openssh.com':
    'sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIJsaDYXQYruc6bilCYDIK4YSOeG+zmrRO2M9t03//7LHAAAABHNzaDo= ED25519-SK test key',
};

describe.each(Object.entries(LINES))('%s', (type, line) => {
  const pub = importPublicKey(line);

  test('public key metadata', () => {
    expect(pub.algorithm).toBe(type);
    expect(pub.bits).toBe(256);
    expect(pub.label).toBe(type.startsWith('sk-ecdsa') ? 'ECDSA-SK' : 'ED25519-SK');
    expect(pub.sigAlgorithms).toContain(type);
    expect(() => pub.exportPublicKey('pkcs8-pem')).toThrow();
    expect(new TextDecoder().decode(pub.exportPublicKey()).trim()).toBe(line);
  });

  test('token-held private keys import and export but do not sign', () => {
    // Build the openssh-key-v1 private fields: public fields, flags, key handle, reserved.
    const withHandle = {
      algorithm: pub.algorithm,
      writePrivate: (w: Writer) => {
        pub.impl.writePublic(w);
        w.u8(0x01).bytes(new Uint8Array([1, 2, 3, 4])).bytes(new Uint8Array(0));
      },
    } as unknown as KeyImpl;
    const file = encodeOpensshPrivateBinary(withHandle, pub.publicData, new TextEncoder().encode('token key'));
    const key = importPrivateKey(file);
    expect(key.equals(pub)).toBe(true);
    expect(key.hasPrivate).toBe(true);
    expect(key.getComment()).toBe('token key');
    expect(() => key.sign(new Uint8Array(1))).toThrow(SignatureError);
    expect(importPrivateKey(key.exportPrivateKey()).equals(pub)).toBe(true);
    expect(() => key.exportPrivateKey('pkcs8-pem')).toThrow();
  });
});
