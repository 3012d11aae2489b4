/**
 * Loads the binding built by scripts/build-native.mjs, once.
 * @module
 */

import { createRequire } from 'node:module';
import type { NativeAesGcm } from '../types.ts';

/** Where the binding is, relative to this file (src/node/ and dist/node/ are at the same depth). */
const BINDING = '../../build/Release/ssh_crypto_native.node';

let loaded: { readonly binding: NativeAesGcm | undefined; readonly reason: string } | undefined;

function load(): NonNullable<typeof loaded> {
  if (loaded !== undefined) return loaded;
  if (process.env['SSH_CRYPTO_NATIVE'] === '0') return (loaded = { binding: undefined, reason: 'disabled by SSH_CRYPTO_NATIVE=0' });
  try {
    const binding = createRequire(import.meta.url)(BINDING) as NativeAesGcm;
    return (loaded = { binding, reason: 'loaded' });
  } catch (cause) {
    return (loaded = { binding: undefined, reason: `not built (${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)})` });
  }
}

/** The native AES-GCM, when it is built and not disabled. Loaded once, on first call. */
export function nativeAesGcm(): NativeAesGcm | undefined {
  return load().binding;
}

/** Whether the binding is in use, and if not, why (for diagnostics and benchmarks). */
export function nativeStatus(): { readonly available: boolean; readonly reason: string } {
  const { binding, reason } = load();
  return { available: binding !== undefined, reason };
}
