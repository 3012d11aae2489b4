/** Name constants ⇔ registry entries: every constant is registered, every registered name has a constant. */
import { describe, expect, it } from 'vitest';
import { CIPHER, COMPRESSION, createStandardRegistry, KEX, MAC } from '../src/index.ts';

const registry = createStandardRegistry();

describe('name constants', () => {
  it.each([
    ['kex', KEX],
    ['cipher', CIPHER],
    ['mac', MAC],
    ['compression', COMPRESSION],
  ] as const)('%s constants match the registry', (kind, constants) => {
    const registered = registry.names(kind, { includeUnavailable: true }).filter((n) => !n.startsWith('gss-'));
    expect(new Set(Object.values(constants))).toEqual(new Set(registered));
  });
});
