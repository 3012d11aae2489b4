/**
 * Poly1305 (RFC 8439 §2.5), one-shot, in WebAssembly (src/primitives/poly1305.wat: 26-bit limbs
 * in 64-bit integer arithmetic, which JavaScript numbers cannot do exactly). The same module holds
 * the ChaCha20 block function and the per-packet work of chacha20-poly1305@openssh.com (see
 * `poly1305Wasm`). It is compiled synchronously on first use (2.5 KB) and instantiated once: calls
 * are synchronous, so one memory serves every caller.
 * @module
 */

import { CryptoParameterError } from '../errors.ts';
import { POLY1305_WASM_BASE64 } from './poly1305-wasm.ts';
import { instantiate, type WasmMemory } from './wasm.ts';

/** Offsets in the module's memory (see poly1305.wat). */
export const POLY_KEY = 0;
export const POLY_TAG = 32;
/** K_2, the payload key of chacha20-poly1305@openssh.com. */
export const CHACHA_MAIN_KEY = 64;
/** K_1, its length key. */
export const CHACHA_HEADER_KEY = 96;
/** Where messages go. */
export const MESSAGE = 256;

const PAGE = 65536;

interface Exports {
  readonly memory: WasmMemory;
  readonly mac: (offset: number, length: number) => void;
  readonly block: (key: number, counter: number, nonce: number, out: number) => void;
  readonly length: (offset: number, nonce: number) => void;
  readonly seal: (offset: number, length: number, aad: number, nonce: number) => void;
  readonly open: (offset: number, length: number, nonce: number) => number;
}

/** The instance, with a byte view of its memory kept current across growth. */
export interface Poly1305Wasm {
  readonly exports: Exports;
  /** A view of the whole memory, grown first to hold `MESSAGE + messageLength` bytes. */
  bytes(messageLength: number): Uint8Array;
}

let instance: Poly1305Wasm | undefined;

/** The shared instance (created on first use). */
export function poly1305Wasm(): Poly1305Wasm {
  if (instance !== undefined) return instance;
  const exports = instantiate<Exports>(POLY1305_WASM_BASE64);
  let view = new Uint8Array(exports.memory.buffer);
  instance = {
    exports,
    bytes(messageLength) {
      const needed = MESSAGE + messageLength + 16;
      if (view.length < needed) {
        exports.memory.grow(Math.ceil((needed - view.length) / PAGE));
        view = new Uint8Array(exports.memory.buffer);
      }
      return view;
    },
  };
  return instance;
}

/** Poly1305 tag (16 bytes) of the concatenation of `parts` under the one-time `key` (32 bytes). */
export function poly1305Parts(parts: readonly Uint8Array[], key: Uint8Array): Uint8Array {
  if (key.length !== 32) throw new CryptoParameterError(`Poly1305 key must be 32 bytes, got ${key.length}`);
  const w = poly1305Wasm();
  let length = 0;
  for (const p of parts) length += p.length;
  const mem = w.bytes(length);
  mem.set(key, POLY_KEY);
  let at = MESSAGE;
  for (const p of parts) {
    mem.set(p, at);
    at += p.length;
  }
  w.exports.mac(MESSAGE, length);
  return mem.slice(POLY_TAG, POLY_TAG + 16);
}

/** Poly1305 tag (16 bytes) of `message` under the one-time `key` (32 bytes). */
export function poly1305(message: Uint8Array, key: Uint8Array): Uint8Array {
  return poly1305Parts([message], key);
}
