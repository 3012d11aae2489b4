/** Key exchange: every method client-against-server, primitive vectors, key derivation, bad input. */
import { describe, expect, it } from 'vitest';
import {
  createStandardRegistry,
  deriveKey,
  deriveSessionKeys,
  KeyExchangeError,
  montgomeryPublicKey,
  montgomeryShared,
  type KexTranscript,
} from '../src/index.ts';
import { FAKE_HOST_KEY, FAKE_SIGNATURE, runKex, serverOptions } from './helpers/kex-pump.ts';
import { hex, loadVectors, toHex } from './helpers/hex.ts';

const registry = createStandardRegistry();
const transcript: KexTranscript = {
  clientVersion: 'SSH-2.0-client',
  serverVersion: 'SSH-2.0-server',
  clientKexInit: Uint8Array.of(20, 1, 2, 3),
  serverKexInit: Uint8Array.of(20, 4, 5, 6),
};
const HASH_LENGTH = { md5: 16, sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 } as const;
const pair = (name: string) => {
  const impl = registry.require('kex', name).impl;
  return {
    impl,
    client: impl.create('client', transcript),
    server: impl.create('server', transcript, serverOptions(name)),
  };
};

describe('key exchange, client against server', () => {
  it.each(registry.names('kex'))('%s agrees on K and H', (name) => {
    const { impl, client, server } = pair(name);
    const r = runKex(client, server);
    expect(toHex(r.client.sharedSecret)).toBe(toHex(r.server.sharedSecret));
    expect(toHex(r.client.exchangeHash)).toBe(toHex(r.server.exchangeHash));
    expect(r.client.exchangeHash.length).toBe(HASH_LENGTH[impl.hash]);
    expect(r.client.hostKey).toEqual(FAKE_HOST_KEY);
    expect(r.client.signature).toEqual(FAKE_SIGNATURE);
    expect(r.server.signature).toBeUndefined();
  });

  it('two runs of one method give different secrets', () => {
    const a = runKex(pair('curve25519-sha256').client, pair('curve25519-sha256').server);
    const b = runKex(pair('curve25519-sha256').client, pair('curve25519-sha256').server);
    expect(toHex(a.client.sharedSecret)).not.toBe(toHex(b.client.sharedSecret));
  });

  it('GSS-API methods are registered but unavailable', () => {
    expect(registry.get('kex', 'gss-curve25519-sha256')?.default).toBe(true);
    expect(registry.names('kex')).not.toContain('gss-curve25519-sha256');
    expect(() => registry.require('kex', 'gss-group14-sha1')).toThrow(/not available/);
  });
});

describe('primitive vectors', () => {
  // RFC 7748 §6.1
  it('X25519 (RFC 7748 §6.1)', () => {
    const a = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const b = hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
    expect(toHex(montgomeryPublicKey('x25519', a))).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(toHex(montgomeryPublicKey('x25519', b))).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    expect(toHex(montgomeryShared('x25519', a, montgomeryPublicKey('x25519', b)))).toBe(shared);
    expect(toHex(montgomeryShared('x25519', b, montgomeryPublicKey('x25519', a)))).toBe(shared);
  });

  // RFC 7748 §6.2
  it('X448 (RFC 7748 §6.2)', () => {
    const a = hex('9a8f4925d1519f5775cf46b04b5800d4ee9ee8bae8bc5565d498c28dd9c9baf574a9419744897391006382a6f127ab1d9ac2d8c0a598726b');
    const b = hex('1c306a7ac2a0e2e0990b294470cba339e6453772b075811d8fad0d1d6927c120bb5ee8972b0d3e21374c9c921b09d1b0366f10b65173992d');
    expect(toHex(montgomeryPublicKey('x448', a))).toBe(
      '9b08f7cc31b7e3e67d22d5aea121074a273bd2b83de09c63faa73d2c22c5d9bbc836647241d953d40c5b12da88120d53177f80e532c41fa0',
    );
    expect(toHex(montgomeryShared('x448', a, montgomeryPublicKey('x448', b)))).toBe(
      '07fff4181ac6cc95ec1c16a94a0f74d12da232ce40a77552281d282bb60c0b56fd2464c335543936521c24403085d59a449a5037514a879d',
    );
  });

  it('rejects small-order and wrong-length X25519 public keys', () => {
    const a = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    expect(() => montgomeryShared('x25519', a, new Uint8Array(32))).toThrow(KeyExchangeError);
    expect(() => montgomeryShared('x25519', a, Uint8Array.of(1, ...new Uint8Array(31)))).toThrow(KeyExchangeError);
    expect(() => montgomeryShared('x25519', a, new Uint8Array(31))).toThrow(/32 bytes/);
  });
});

describe('key derivation (RFC 4253 §7.2) vs AsyncSSH', () => {
  interface V {
    hash: 'sha1' | 'sha256' | 'sha384' | 'sha512';
    k: string;
    h: string;
    sessionId: string;
    letter: 'A' | 'C' | 'E';
    length: number;
    key: string;
  }
  it.each(loadVectors<V[]>('kex-kdf.json').map((v) => [v.hash, v.letter, v] as const))('%s key %s', (_h, _l, v) => {
    expect(toHex(deriveKey(v.hash, hex(v.k), hex(v.h), v.letter, hex(v.sessionId), v.length))).toBe(v.key);
  });

  it('deriveSessionKeys uses A..F', () => {
    const k = hex('0000000101');
    const h = hex('aa');
    const keys = deriveSessionKeys('sha256', k, h, h, { ivLength: 12, keyLength: 32, macKeyLength: 0 }, { ivLength: 16, keyLength: 16, macKeyLength: 32 });
    expect(keys.clientToServer.iv).toEqual(deriveKey('sha256', k, h, 'A', h, 12));
    expect(keys.serverToClient.iv).toEqual(deriveKey('sha256', k, h, 'B', h, 16));
    expect(keys.clientToServer.key).toEqual(deriveKey('sha256', k, h, 'C', h, 32));
    expect(keys.serverToClient.key).toEqual(deriveKey('sha256', k, h, 'D', h, 16));
    expect(keys.clientToServer.macKey.length).toBe(0);
    expect(keys.serverToClient.macKey).toEqual(deriveKey('sha256', k, h, 'F', h, 32));
  });
});
