/** Key exchange: hostile and malformed input ends in KeyExchangeError; group-exchange rules. */
import { Writer } from '@ssh/wire';
import { createECDH } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  chooseGexGroup,
  createStandardRegistry,
  KeyExchangeError,
  modpGroup,
  parseModuli,
  type KexOptions,
  type KexTranscript,
} from '../src/index.ts';
import { ecShared } from '../src/kex/ecdh.ts';
import { FAKE_HOST_KEY, serverOptions, transientRsaKey } from './helpers/kex-pump.ts';
import { hex, toHex } from './helpers/hex.ts';

const registry = createStandardRegistry();
const t: KexTranscript = { clientVersion: 'SSH-2.0-a', serverVersion: 'SSH-2.0-b', clientKexInit: Uint8Array.of(20), serverKexInit: Uint8Array.of(20) };
const server = (name: string, options: KexOptions = {}) => {
  const s = registry.require('kex', name).impl.create('server', t, { ...serverOptions(name), ...options });
  s.start();
  return s;
};
const client = (name: string, options: KexOptions = {}) => {
  const c = registry.require('kex', name).impl.create('client', t, options);
  c.start();
  return c;
};

describe('malformed kex messages', () => {
  it.each(registry.names('kex'))('%s: garbage and wrong message numbers are KeyExchangeErrors', (name) => {
    expect(() => server(name).receive(Uint8Array.of(99))).toThrow(KeyExchangeError);
    expect(() => server(name).receive(Uint8Array.of(30, 0, 0))).toThrow(KeyExchangeError);
    expect(() => server(name).receive(Uint8Array.of(30, 0, 0, 0, 1, 5, 9))).toThrow(KeyExchangeError);
    expect(() => client(name).receive(Uint8Array.of(31, 0, 0, 0, 200))).toThrow(KeyExchangeError);
    expect(() => client(name).receive(new Uint8Array(0))).toThrow(KeyExchangeError);
  });

  it('curve25519: a small-order client point is refused', () => {
    const init = new Writer().u8(30).bytes(new Uint8Array(32)).finish();
    expect(() => server('curve25519-sha256').receive(init)).toThrow(/small-order|all-zero/);
  });

  it('ecdh: a point not on the curve is refused', () => {
    const bad = new Uint8Array(65).fill(1);
    bad[0] = 4;
    expect(() => server('ecdh-sha2-nistp256').receive(new Writer().u8(30).bytes(bad).finish())).toThrow(/not on the curve/);
    expect(() => server('ecdh-sha2-nistp256').receive(new Writer().u8(30).bytes(Uint8Array.of(2, 1)).finish())).toThrow(
      KeyExchangeError,
    );
  });

  it('dh: e = 1, e = p-1 and e = p are refused', () => {
    const p = modpGroup(14).p;
    for (const e of [1n, p - 1n, p]) {
      expect(() => server('diffie-hellman-group14-sha256').receive(new Writer().u8(30).mpint(e).finish())).toThrow(/out of range/);
    }
    expect(() => server('diffie-hellman-group14-sha256').receive(new Writer().u8(30).mpint(-5n).finish())).toThrow(/not positive/);
  });

  it('hybrid: wrong lengths are refused', () => {
    expect(() => server('mlkem768x25519-sha256').receive(new Writer().u8(30).bytes(new Uint8Array(100)).finish())).toThrow(/1216 bytes/);
    expect(() => client('mlkem768x25519-sha256').receive(new Writer().u8(31).bytes(FAKE_HOST_KEY).bytes(new Uint8Array(5)).bytes(new Uint8Array(1)).finish())).toThrow(
      /1120 bytes/,
    );
  });

  it('calls out of order are KeyExchangeErrors', () => {
    const c = registry.require('kex', 'curve25519-sha256').impl.create('client', t);
    expect(() => c.receive(Uint8Array.of(31))).toThrow(KeyExchangeError);
    expect(() => c.sign(new Uint8Array(1))).toThrow(KeyExchangeError);
    c.start();
    expect(() => c.start()).toThrow(KeyExchangeError);
    expect(() => registry.require('kex', 'curve25519-sha256').impl.create('server', t).start()).toThrow(/hostKey/);
  });
});

describe('ECDH vectors', () => {
  // RFC 5903 §8.1 (256-bit random ECP group)
  it('P-256 shared x-coordinate (RFC 5903 §8.1)', () => {
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(hex('c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433'));
    const peer = hex(
      '04d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf6356fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab',
    );
    expect(toHex(ecShared(ecdh, peer, 'p256'))).toBe('d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de');
    expect(toHex(ecdh.getPublicKey()).slice(2, 66)).toBe('dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180');
  });
});

describe('group exchange', () => {
  const groups = ([14, 15, 16, 17, 18] as const).map((n) => modpGroup(n));
  it('chooses the smallest group at least the preferred size, else the largest that fits', () => {
    const bits = (g: { p: bigint } | undefined) => (g === undefined ? 0 : g.p.toString(2).length);
    expect(bits(chooseGexGroup(groups, { min: 2048, preferred: 3072, max: 8192 }))).toBe(3072);
    expect(bits(chooseGexGroup(groups, { min: 2048, preferred: 3500, max: 8192 }))).toBe(4096);
    expect(bits(chooseGexGroup(groups, { min: 2048, preferred: 7000, max: 6144 }))).toBe(6144);
    expect(chooseGexGroup(groups, { min: 1024, preferred: 1024, max: 1536 })).toBeUndefined();
  });

  it('server refuses inconsistent requests; client refuses groups outside its bounds and bad generators', () => {
    const req = (min: number, n: number, max: number) => new Writer().u8(34).u32(min).u32(n).u32(max).finish();
    expect(() => server('diffie-hellman-group-exchange-sha256').receive(req(4096, 2048, 8192))).toThrow(/bad DH GEX request/);
    expect(() => server('diffie-hellman-group-exchange-sha256').receive(req(1024, 1024, 1536))).toThrow(/no group/);
    const small = modpGroup(1);
    const group = (p: bigint, g: bigint) => new Writer().u8(31).mpint(p).mpint(g).finish();
    expect(() => client('diffie-hellman-group-exchange-sha256').receive(group(small.p, 2n))).toThrow(/1024 bits, outside/);
    const p2048 = modpGroup(14).p;
    expect(() => client('diffie-hellman-group-exchange-sha256').receive(group(p2048, 1n))).toThrow(/generator/);
    expect(() => client('diffie-hellman-group-exchange-sha256').receive(group(p2048, p2048 - 1n))).toThrow(/generator/);
    // An even modulus of the right size (a broken moduli file) is no prime.
    expect(() => client('diffie-hellman-group-exchange-sha256').receive(group(p2048 - 1n, 2n))).toThrow(/even/);
  });

  it('server answers the old request (message 30) and a client with custom bounds', () => {
    const s = server('diffie-hellman-group-exchange-sha1');
    const step = s.receive(new Writer().u8(30).u32(2048).finish());
    expect(step.type).toBe('send');
    const c = registry.require('kex', 'diffie-hellman-group-exchange-sha256').impl.create('client', t, { gexBounds: { min: 3072, preferred: 4096, max: 4096 } });
    const [request] = c.start();
    expect(toHex(request as Uint8Array)).toBe('22' + '00000c00' + '00001000' + '00001000');
  });

  it('parses moduli(5) lines, keeping tested safe primes of the declared size', () => {
    const p = modpGroup(14).p.toString(16).toUpperCase();
    const text = [
      '# Time Type Tests Tries Size Generator Modulus',
      `20230101000000 2 6 100 2047 2 ${p}`,
      `20230101000000 2 6 100 2047 5 ${p}`,
      `20230101000000 2 1 100 2047 2 ${p}`, // composite test only
      `20230101000000 1 6 100 2047 2 ${p}`, // not a safe prime
      `20230101000000 2 6 100 3071 2 ${p}`, // wrong size
      'garbage',
    ].join('\n');
    const groups = parseModuli(text);
    expect(groups.map((g) => g.g)).toEqual([2n, 5n]);
  });
});

describe('group exchange over moduli groups (BigInt path)', () => {
  it('a moduli(5) group from /etc/ssh/moduli style input completes quickly and agrees', async () => {
    const { readFileSync } = await import('node:fs');
    const { runKex } = await import('./helpers/kex-pump.ts');
    const groups = parseModuli(readFileSync('/etc/ssh/moduli', 'utf8')).filter((g) => g.p.toString(2).length === 3072).slice(0, 1);
    expect(groups.length).toBe(1);
    const impl = registry.require('kex', 'diffie-hellman-group-exchange-sha256').impl;
    const r = runKex(impl.create('client', t), impl.create('server', t, { hostKey: FAKE_HOST_KEY, gexGroups: groups }));
    expect(toHex(r.client.sharedSecret)).toBe(toHex(r.server.sharedSecret));
    expect(r.messages[1]?.length).toBeGreaterThan(384);
  });
});

describe('RSA key exchange (RFC 4432)', () => {
  it('client refuses a transient key below the method minimum', () => {
    const small = transientRsaKey(1024);
    const s = registry.require('kex', 'rsa2048-sha256').impl.create('server', t, { hostKey: FAKE_HOST_KEY, transientRsaKey: small });
    const [pubkey] = s.start();
    expect(() => client('rsa2048-sha256').receive(pubkey as Uint8Array)).toThrow(/1024 bits, needs 2048/);
  });

  it('server refuses a secret that does not decrypt', () => {
    const s = server('rsa1024-sha1');
    expect(() => s.receive(new Writer().u8(31).bytes(new Uint8Array(128).fill(7)).finish())).toThrow(/decryption failed/);
  });
});
