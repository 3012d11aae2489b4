/**
 * Poly1305 (RFC 8439 §2.5), one-shot, in WebAssembly (src/primitives/poly1305.wat: 26-bit limbs
 * in 64-bit integer arithmetic, which JavaScript numbers cannot do exactly). The module is
 * compiled synchronously on first use (1.5 KB).
 * @module
 */

import { CryptoParameterError } from '../errors.ts';
import { POLY1305_WASM_BASE64 } from './poly1305-wasm.ts';

const MSG_OFFSET = 64;
const PAGE = 65536;

interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface Poly1305Module {
  readonly memory: WasmMemory;
  readonly mac: (offset: number, length: number) => void;
}

/** The part of the WebAssembly global used here (the ES2023 lib has no WebAssembly types). */
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: object };
}

let mod: Poly1305Module | undefined;

function load(): Poly1305Module {
  if (mod === undefined) {
    const bytes = Uint8Array.from(Buffer.from(POLY1305_WASM_BASE64, 'base64'));
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const instance = new wasm.Instance(new wasm.Module(bytes), {});
    mod = instance.exports as unknown as Poly1305Module;
  }
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
