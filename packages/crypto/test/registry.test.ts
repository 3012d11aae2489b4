/** Registry: the spec's lists, defaults and order; lookups; typed errors; ssh -Q style listing. */
import { describe, expect, it } from 'vitest';
import {
  ALGORITHM_KINDS,
  AlgorithmListError,
  createRegistry,
  createStandardRegistry,
  listAlgorithms,
  standardAlgorithms,
  UnknownAlgorithmError,
} from '../src/index.ts';
import { SPEC } from './spec-lists.ts';

const registry = createStandardRegistry();

/** True when `sub` appears in `full` in the same relative order. */
function isSubsequence(sub: readonly string[], full: readonly string[]): boolean {
  let i = 0;
  for (const n of full) if (n === sub[i]) i++;
  return i === sub.length;
}

describe('standard registry', () => {
  it.each(ALGORITHM_KINDS)('%s: every registered name is in the spec, in its order, default as the spec says', (kind) => {
    const spec = SPEC[kind];
    const all = registry.names(kind, { includeUnavailable: true });
    expect(isSubsequence(all, [...spec.defaults, ...spec.others])).toBe(true);
    const defaults = registry.names(kind, { defaultsOnly: true, includeUnavailable: true });
    expect(defaults.every((n) => (spec.defaults as readonly string[]).includes(n))).toBe(true);
    expect(all.filter((n) => !defaults.includes(n)).every((n) => (spec.others as readonly string[]).includes(n))).toBe(true);
  });

  it.each(['cipher', 'mac', 'compression'] as const)('%s: registers every algorithm of the spec', (kind) => {
    expect(registry.names(kind, { includeUnavailable: true })).toEqual([...SPEC[kind].defaults, ...SPEC[kind].others]);
    expect(registry.names(kind, { defaultsOnly: true })).toEqual([...SPEC[kind].defaults]);
  });

  it('get/require resolve names and report unknown ones with the kind', () => {
    expect(registry.get('cipher', 'aes128-ctr')?.impl.keyLength).toBe(16);
    expect(registry.get('cipher', 'nope')).toBeUndefined();
    expect(() => registry.require('mac', 'hmac-sha3')).toThrow(UnknownAlgorithmError);
    expect(() => registry.require('mac', 'hmac-sha3')).toThrow(/unknown mac algorithm "hmac-sha3"/);
  });

  it('is immutable: use() returns a new registry', () => {
    const empty = createRegistry();
    const withCiphers = empty.use({ cipher: standardAlgorithms.cipher ?? [] });
    expect(empty.names('cipher')).toEqual([]);
    expect(withCiphers.names('cipher').length).toBeGreaterThan(0);
  });

  it('rejects a name registered twice', () => {
    const table = { cipher: standardAlgorithms.cipher ?? [] };
    expect(() => createRegistry(table, table)).toThrow(AlgorithmListError);
  });

  it('hides unavailable algorithms unless asked, and refuses to select them', () => {
    const impl = registry.require('cipher', 'aes128-ctr').impl;
    const r = createRegistry({ cipher: [{ name: 'x-cipher', default: true, available: () => false, impl }] });
    expect(r.names('cipher')).toEqual([]);
    expect(r.names('cipher', { includeUnavailable: true })).toEqual(['x-cipher']);
    expect(() => r.require('cipher', 'x-cipher')).toThrow(/not available/);
    expect(() => r.parseList('cipher', 'x-cipher')).toThrow(UnknownAlgorithmError);
  });

  it('listAlgorithms answers like ssh -Q', () => {
    expect(listAlgorithms('cipher')).toEqual(registry.names('cipher'));
    expect(listAlgorithms('cipher-auth')).toEqual(['chacha20-poly1305@openssh.com', 'aes256-gcm@openssh.com', 'aes128-gcm@openssh.com']);
    expect(listAlgorithms('mac', createRegistry())).toEqual([]);
  });
});
