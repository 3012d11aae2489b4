/**
 * Byte helpers of the transport. The copying ones make memory of their own (Buffer#slice would
 * only make a view, and received chunks may be views of a buffer their owner reuses).
 * @module
 */

/** `a` then `b`, in a new array. */
export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** A copy of `chunk` in a new array. */
export function copyBytes(chunk: Uint8Array): Uint8Array {
  const out = new Uint8Array(chunk.length);
  out.set(chunk);
  return out;
}

/** Equal byte arrays. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
