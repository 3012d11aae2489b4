/**
 * zlib and zlib@openssh.com: one zlib (RFC 1950) stream per direction, each packet's payload
 * compressed with a partial flush so it can be decompressed on arrival. RFC 4253 §6.2. The
 * @openssh.com form is the same stream started after user authentication (the transport decides
 * when; `delayed` tells it). Runs on pako (pure JavaScript, synchronous: node:zlib's streaming API
 * is asynchronous, which a sans-I/O core cannot use).
 * @module
 */

import { Deflate, Inflate, Z_OK, Z_PARTIAL_FLUSH, Z_STREAM_END, Z_SYNC_FLUSH } from 'pako';
import { CompressionError } from '../errors.ts';
import type { CompressionImpl, Compressor, Decompressor, DecompressorOptions } from './types.ts';

/** Default per-packet inflate limit: the largest packet OpenSSH accepts. */
export const DEFAULT_MAX_INFLATED_LENGTH = 256 * 1024;

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function compressor(level: number): Compressor {
  const d = new Deflate({ level });
  let chunks: Uint8Array[] = [];
  let total = 0;
  d.onData = (chunk: Uint8Array) => {
    chunks.push(chunk);
    total += chunk.length;
  };
  return {
    compress(payload) {
      chunks = [];
      total = 0;
      d.push(payload, Z_PARTIAL_FLUSH);
      if (d.err !== Z_OK) throw new CompressionError(`deflate failed: ${d.msg}`);
      return concat(chunks, total);
    },
  };
}

function decompressor(options: DecompressorOptions = {}): Decompressor {
  const limit = options.maxInflatedLength ?? DEFAULT_MAX_INFLATED_LENGTH;
  const inf = new Inflate({ windowBits: 15, chunkSize: 16 * 1024 });
  let chunks: Uint8Array[] = [];
  let total = 0;
  let broken = false;
  inf.onData = (chunk: Uint8Array) => {
    total += chunk.length;
    if (total > limit) throw new CompressionError(`inflated packet exceeds ${limit} bytes`);
    chunks.push(chunk);
  };
  return {
    decompress(payload) {
      if (broken) throw new CompressionError('decompressor is unusable after an earlier error');
      chunks = [];
      total = 0;
      try {
        inf.push(payload, Z_SYNC_FLUSH);
      } catch (e) {
        broken = true;
        if (e instanceof CompressionError) throw e;
        throw new CompressionError('inflate failed', { cause: e });
      }
      if ((inf.err !== Z_OK && inf.err !== Z_STREAM_END) || inf.ended) {
        broken = true;
        throw new CompressionError(`inflate failed: ${inf.msg || 'stream ended'}`);
      }
      return concat(chunks, total);
    },
  };
}

/** Identity, for `none`. */
export const noCompression: CompressionImpl = {
  delayed: false,
  createCompressor: () => ({ compress: (p) => p }),
  createDecompressor: (options) => {
    const limit = options?.maxInflatedLength ?? Number.MAX_SAFE_INTEGER;
    return {
      decompress(p) {
        if (p.length > limit) throw new CompressionError(`packet exceeds ${limit} bytes`);
        return p;
      },
    };
  },
};

/** zlib (RFC 4253): compression from the first NEWKEYS. Level 6, zlib's default. */
export const zlibCompression: CompressionImpl = {
  delayed: false,
  createCompressor: () => compressor(6),
  createDecompressor: (options) => decompressor(options),
};

/** zlib@openssh.com: the same stream, started after user authentication. */
export const zlibOpensshCompression: CompressionImpl = {
  delayed: true,
  createCompressor: () => compressor(6),
  createDecompressor: (options) => decompressor(options),
};
