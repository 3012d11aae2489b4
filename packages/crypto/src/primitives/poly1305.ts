/**
 * Poly1305 (RFC 8439 §2.5), one-shot, in WebAssembly (src/primitives/poly1305.wat: 26-bit limbs
 * in 64-bit integer arithmetic, which JavaScript numbers cannot do exactly). The module is
 * compiled synchronously on first use (1.5 KB).
 * @module
 */

import { CryptoParameterError } from '../errors.ts';
import { POLY1305_WASM_BASE64 } from './poly1305-wasm.ts';
import { instantiate, type WasmMemory } from './wasm.ts';

const MSG_OFFSET = 64;
const PAGE = 65536;

interface Poly1305Module {
  readonly memory: WasmMemory;
  readonly mac: (offset: number, length: number) => void;
}

let mod: Poly1305Module | undefined;

function load(): Poly1305Module {
  mod ??= instantiate<Poly1305Module>(POLY1305_WASM_BASE64);
  return mod;
}

/** Poly1305 tag (16 bytes) of the concatenation of `parts` under the one-time `key` (32 bytes). */
export function poly1305Parts(parts: readonly Uint8Array[], key: Uint8Array): Uint8Array {
  if (key.length !== 32) throw new CryptoParameterError(`Poly1305 key must be 32 bytes, got ${key.length}`);
  const m = load();
  let length = 0;
  for (const p of parts) length += p.length;
  const needed = MSG_OFFSET + length;
  if (m.memory.buffer.byteLength < needed) m.memory.grow(Math.ceil((needed - m.memory.buffer.byteLength) / PAGE));
  const mem = new Uint8Array(m.memory.buffer);
  mem.set(key, 0);
  let at = MSG_OFFSET;
  for (const p of parts) {
    mem.set(p, at);
    at += p.length;
  }
  m.mac(MSG_OFFSET, length);
  return mem.slice(32, 48);
}

/** Poly1305 tag (16 bytes) of `message` under the one-time `key` (32 bytes). */
export function poly1305(message: Uint8Array, key: Uint8Array): Uint8Array {
  return poly1305Parts([message], key);
}
