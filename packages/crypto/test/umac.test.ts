/** UMAC (RFC 4418): the Appendix inputs and more, against Nettle (vectors/umac.json). */
import { describe, expect, it } from 'vitest';
import { Umac } from '../src/primitives/umac.ts';
import { CryptoParameterError } from '../src/index.ts';
import { hex, loadVectors, toHex } from './helpers/hex.ts';

interface Row {
  label: string;
  message: string | null;
  repeat: { unit: string; count: number } | null;
  nonce?: string;
  umac32?: string;
  umac64?: string;
  umac96?: string;
  umac128?: string;
}
const v = loadVectors<{ key: string; nonce: string; cases: Row[] }>('umac.json');
const key = hex(v.key);
const SIZES = [
  ['umac32', 4],
  ['umac64', 8],
  ['umac96', 12],
  ['umac128', 16],
] as const;

describe('UMAC', () => {
  const instances = new Map(SIZES.map(([n, t]) => [n, new Umac(key, t)]));
  for (const row of v.cases) {
    const message = row.message !== null ? hex(row.message) : new TextEncoder().encode((row.repeat?.unit ?? '').repeat(row.repeat?.count ?? 0));
    const nonce = hex(row.nonce ?? v.nonce);
    for (const [name] of SIZES) {
      const expected = row[name];
      if (expected === undefined) continue;
      it(`${name} of ${row.label}`, () => {
        expect(toHex((instances.get(name) as Umac).tag(message, nonce))).toBe(expected);
      });
    }
  }

  it('RFC 4418 Appendix: UMAC-64 of the empty message is 6E155FAD26900BE1', () => {
    expect(toHex(new Umac(key, 8).tag(new Uint8Array(0), hex(v.nonce)))).toBe('6e155fad26900be1');
  });

  it('rejects bad key, tag and nonce sizes', () => {
    expect(() => new Umac(new Uint8Array(15), 8)).toThrow(CryptoParameterError);
    expect(() => new Umac(key, 10)).toThrow(CryptoParameterError);
    expect(() => new Umac(key, 8).tag(new Uint8Array(1), new Uint8Array(0))).toThrow(CryptoParameterError);
  });
});
