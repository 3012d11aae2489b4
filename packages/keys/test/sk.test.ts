import type { Writer } from '@ssh/wire';
import { describe, expect, test } from 'vitest';
import { softSecurityKey } from '@ssh/interop';
import { generatePrivateKey, importPrivateKey, importPublicKey, SignatureError, SK_USER_PRESENCE_REQD, SK_USER_VERIFICATION_REQD, skSignatureFlags } from '../src/index.ts';
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

describe('signature flags (what the token attests)', () => {
  const token = softSecurityKey();
  const pub = importPublicKey(token.publicLine);
  const data = new TextEncoder().encode('session data');

  test.each([0x00, 0x01, 0x04, 0x05])('flags %i are read back from a signature that verifies', (flags) => {
    const sig = token.sign(data, flags);
    expect(pub.verify(data, sig)).toBe(true);
    expect(skSignatureFlags(sig)).toBe(flags);
    expect(SK_USER_PRESENCE_REQD).toBe(0x01);
    expect(SK_USER_VERIFICATION_REQD).toBe(0x04);
  });

  test('flags are signed: changing them breaks the signature', () => {
    const sig = token.sign(data, 0x00);
    const raised = sig.slice();
    raised[raised.length - 5] = 0x01;
    expect(skSignatureFlags(raised)).toBe(0x01);
    expect(pub.verify(data, raised)).toBe(false);
  });

  test('other and malformed signatures have no flags', () => {
    const ed = generatePrivateKey('ssh-ed25519');
    expect(skSignatureFlags(ed.sign(data))).toBeUndefined();
    const sig = token.sign(data, 0x01);
    // The flags byte is the fifth from the end (a 4-byte counter follows it).
    for (let cut = 0; cut < sig.length - 4; cut++) expect(skSignatureFlags(sig.subarray(0, cut))).toBeUndefined();
    expect(skSignatureFlags(new Uint8Array(0))).toBeUndefined();
    expect(skSignatureFlags(new Uint8Array([0xff, 0xff, 0xff, 0xff]))).toBeUndefined();
  });
});

describe('generation', () => {
  test.each(['sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com', 'ed25519-sk', 'ecdsa-sk'])(
    'generatePrivateKey(%s) points to generateSecurityKey: the authenticator makes those keys',
    (algorithm) => {
      expect(() => generatePrivateKey(algorithm)).toThrow(/made by a security key: use generateSecurityKey/);
    },
  );
});
