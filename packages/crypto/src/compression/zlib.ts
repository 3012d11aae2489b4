/**
 * zlib and zlib@openssh.com: one zlib (RFC 1950) stream per direction, each packet's payload
 * compressed with a partial flush so it can be decompressed on arrival. RFC 4253 §6.2. The
 * @openssh.com form is the same stream started after user authentication (the transport decides
 * when; `delayed` tells it). Runs on node's own zlib through @ssh/crypto-native's binding when it
 * is built, otherwise on pako (pure JavaScript, about half as fast): node:zlib's streaming API is
 * asynchronous, which a sans-I/O core cannot use. Both write standard streams that either reads.
 * @module
 */

import { nativeZlib, ZLIB_BROKEN, ZLIB_OVER_LIMIT, ZLIB_STREAM_END, type NativeZlib } from '@ssh/crypto-native';
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

/** Compression level: zlib's default, as OpenSSH uses. */
const LEVEL = 6;

/** Where the streams run: node's zlib through the binding, or pako. */
export type ZlibBackend = 'native' | 'pako';

function pakoCompressor(level: number): Compressor {
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

function pakoDecompressor(options: DecompressorOptions = {}): Decompressor {
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

function nativeCompressor(z: NativeZlib, level: number): Compressor {
  const stream = z.create(true, level);
  return {
    compress(payload) {
      const out = z.deflate(stream, payload);
      if (typeof out === 'number') throw new CompressionError(out === ZLIB_BROKEN ? 'compressor is unusable after an earlier error' : `deflate failed (zlib error ${out})`);
      return out;
    },
  };
}

function nativeDecompressor(z: NativeZlib, options: DecompressorOptions = {}): Decompressor {
  const limit = options.maxInflatedLength ?? DEFAULT_MAX_INFLATED_LENGTH;
  if (limit < 1 || limit > NATIVE_MAX_LIMIT) return pakoDecompressor(options); // outside what the binding takes
  const stream = z.create(false, 0);
  return {
    decompress(payload) {
      const out = z.inflate(stream, payload, limit);
      if (typeof out !== 'number') return out;
      if (out === ZLIB_OVER_LIMIT) throw new CompressionError(`inflated packet exceeds ${limit} bytes`);
      if (out === ZLIB_BROKEN) throw new CompressionError('decompressor is unusable after an earlier error');
      throw new CompressionError(`inflate failed: ${out === ZLIB_STREAM_END ? 'stream ended' : `zlib error ${out}`}`);
    },
  };
}

/** The largest per-packet limit the binding's inflate takes. */
const NATIVE_MAX_LIMIT = 64 * 1024 * 1024;

/** zlib or zlib@openssh.com (`delayed`) on a backend; `native` falls back to pako when the binding is not there. */
export function zlibImpl(delayed: boolean, backend: ZlibBackend): CompressionImpl {
  const native = (): NativeZlib | undefined => (backend === 'native' ? nativeZlib() : undefined);
  return {
    delayed,
    createCompressor: () => {
      const z = native();
      return z === undefined ? pakoCompressor(LEVEL) : nativeCompressor(z, LEVEL);
    },
    createDecompressor: (options) => {
      const z = native();
      return z === undefined ? pakoDecompressor(options) : nativeDecompressor(z, options);
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
export const zlibCompression: CompressionImpl = zlibImpl(false, 'native');

/** zlib@openssh.com: the same stream, started after user authentication. */
export const zlibOpensshCompression: CompressionImpl = zlibImpl(true, 'native');
