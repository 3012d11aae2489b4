/**
 * Compression algorithms: name constants and the registration table, spec order.
 * @module
 */

import type { AlgorithmSpec } from '../registry.ts';
import type { CompressionImpl } from './types.ts';
import { noCompression, zlibCompression, zlibOpensshCompression } from './zlib.ts';

export const COMPRESSION = {
  ZLIB_OPENSSH: 'zlib@openssh.com',
  NONE: 'none',
  ZLIB: 'zlib',
} as const;

export const compressionAlgorithms: readonly AlgorithmSpec<CompressionImpl>[] = /* @__PURE__ */ [
  { name: COMPRESSION.ZLIB_OPENSSH, default: true, impl: zlibOpensshCompression },
  { name: COMPRESSION.NONE, default: true, impl: noCompression },
  { name: COMPRESSION.ZLIB, default: false, impl: zlibCompression },
];

export type { CompressionImpl, Compressor, Decompressor, DecompressorOptions } from './types.ts';
