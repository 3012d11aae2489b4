/**
 * The X25519 half of the hybrid exchanges (sntrup761x25519-sha512, mlkem768x25519-sha256) takes
 * its scalar from the random source and imports it without node's DER decoder: RFC 7748 §6.1
 * vectors through that path, and the same refusals as curve25519-sha256.
 */
import { describe, expect, it } from 'vitest';
import { KeyExchangeError } from '../src/index.ts';
import { x25519Classical } from '../src/kex/hybrid.ts';
import { toHex } from './helpers/hex.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const A = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
const B = hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
const SHARED = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';

describe('x25519Classical', () => {
  const classical = x25519Classical('sntrup761x25519-sha512');

  it('derives the RFC 7748 §6.1 public keys and shared secret from injected scalars', () => {
    const a = classical.keyPair(() => A);
    const b = classical.keyPair(() => B);
    expect(toHex(a.publicKey)).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(toHex(b.publicKey)).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    expect(toHex(a.shared(b.publicKey))).toBe(SHARED);
    expect(toHex(b.shared(a.publicKey))).toBe(SHARED);
  });

  it('agrees with itself without an injected source', () => {
    const a = classical.keyPair(undefined);
    const b = classical.keyPair(() => B);
    expect(toHex(a.shared(b.publicKey))).toBe(toHex(b.shared(a.publicKey)));
  });

  it('refuses wrong lengths and small-order points with KeyExchangeError', () => {
    const a = classical.keyPair(() => A);
    expect(() => a.shared(new Uint8Array(31))).toThrow(/32 bytes/);
    expect(() => a.shared(new Uint8Array(32))).toThrow(KeyExchangeError);
    expect(() => a.shared(Uint8Array.of(1, ...new Uint8Array(31)))).toThrow(KeyExchangeError);
  });
});
