/**
 * The standard algorithm table: every algorithm of the spec, in its preference order.
 * @module
 */

import type { AlgorithmKind, AlgorithmTable, Registry } from './registry.ts';
import { createRegistry } from './registry.ts';
import { cipherAlgorithms } from './cipher/index.ts';
import { macAlgorithms } from './mac/index.ts';
import { kexAlgorithms } from './kex/index.ts';
import { compressionAlgorithms } from './compression/index.ts';

/** Every algorithm this package implements, defaults flagged as in the spec. */
export const standardAlgorithms: AlgorithmTable = /* @__PURE__ */ {
  kex: kexAlgorithms,
  cipher: cipherAlgorithms,
  mac: macAlgorithms,
  compression: compressionAlgorithms,
};

/** A registry holding `standardAlgorithms`. */
export function createStandardRegistry(): Registry {
  return createRegistry(standardAlgorithms);
}

/** What `ssh -Q` can be asked about here: the four kinds plus `cipher-auth` (AEAD ciphers). */
export type ListQuery = AlgorithmKind | 'cipher-auth';

/** Every available algorithm of a kind, in preference order, like `ssh -Q <kind>`. */
export function listAlgorithms(query: ListQuery, registry: Registry = createStandardRegistry()): string[] {
  if (query === 'cipher-auth') return registry.names('cipher').filter((n) => registry.get('cipher', n)?.impl.aead === true);
  return registry.names(query);
}
