/**
 * Instantiating the small WebAssembly modules of this package (compiled from the .wat files
 * beside them and embedded as base64). Typed locally: the ES2023 lib has no WebAssembly types.
 * @module
 */

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: object };
}

const modules = new Map<string, object>();

/** A new instance of the module in `base64` (compiled once per module). */
export function instantiate<T extends object>(base64: string): T {
  const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  let mod = modules.get(base64);
  if (mod === undefined) {
    mod = new wasm.Module(Uint8Array.from(Buffer.from(base64, 'base64')));
    modules.set(base64, mod);
  }
  return new wasm.Instance(mod, {}).exports as T;
}
