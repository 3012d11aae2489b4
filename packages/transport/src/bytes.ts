/**
 * Byte helpers of the transport. The copying ones make memory of their own (Buffer#slice would
 * only make a view, and received chunks may be views of a buffer their owner reuses).
 * @module
 */

/**
 * A new array of `n` bytes with undefined contents, for one whose every byte is written before it
 * is read: zero-filling first costs about what the copy itself does (a received packet that
 * straddles two reads took 2-5 % of a stream's CPU in memset).
 */
export function uninitializedBytes(n: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(n);
  return new Uint8Array(b.buffer, b.byteOffset, n);
}

/** `a` then `b`, in a new array. */
export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = uninitializedBytes(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** A copy of `chunk` in a new array. */
export function copyBytes(chunk: Uint8Array): Uint8Array {
  const out = uninitializedBytes(chunk.length);
  out.set(chunk);
  return out;
}

/** Equal byte arrays. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
