/**
 * The standard algorithm table: every algorithm of the spec, in its preference order.
 * @module
 */

import type { AlgorithmTable, Registry } from './registry.ts';
import { createRegistry } from './registry.ts';
import { cipherAlgorithms } from './cipher/index.ts';
import { macAlgorithms } from './mac/index.ts';

/** Every algorithm this package implements, defaults flagged as in the spec. */
export const standardAlgorithms: AlgorithmTable = /* @__PURE__ */ {
  cipher: cipherAlgorithms,
  mac: macAlgorithms,
};

/** A registry holding `standardAlgorithms`. */
export function createStandardRegistry(): Registry {
  return createRegistry(standardAlgorithms);
}
