/**
 * mpint: multiple precision integers in two's complement, big-endian, minimal length. RFC 4251 §5.
 * @module
 */

/** Number of bytes of the minimal two's-complement encoding of `value` (0 for zero). */
export function mpintByteLength(value: bigint): number {
  if (value === 0n) return 0;
  // A non-negative value needs its magnitude's bytes plus a 0x00 when the top bit is set;
  // a negative value v needs as many bytes as the non-negative value -v-1 does.
  const magnitude = value > 0n ? value : -value - 1n;
  return Math.floor(bitLength(magnitude) / 8) + 1;
}

/** Number of significant bits of a non-negative integer (hex is far cheaper than binary text). */
function bitLength(v: bigint): number {
  if (v === 0n) return 0;
  const hex = v.toString(16);
  return (hex.length - 1) * 4 + (32 - Math.clz32(Number.parseInt(hex[0] as string, 16)));
}

/** Writes the `length`-byte two's-complement encoding of `value` into `out` at `offset`. */
export function encodeMpint(value: bigint, out: Uint8Array, offset: number, length: number): void {
  if (length === 0) return;
  const v = value < 0n ? (1n << BigInt(length * 8)) + value : value;
  const hex = v.toString(16);
  // Left-pad to `length` bytes; the padding byte is zero since `v` is already in range.
  let h = hex.length - 1;
  for (let i = offset + length - 1; i >= offset; i--) {
    const lo = h >= 0 ? HEX_VALUE[hex.charCodeAt(h)] as number : 0;
    const hi = h >= 1 ? HEX_VALUE[hex.charCodeAt(h - 1)] as number : 0;
    out[i] = (hi << 4) | lo;
    h -= 2;
  }
}

const HEX_VALUE: readonly number[] = (() => {
  const t = new Array<number>(128).fill(0);
  for (let i = 0; i < 16; i++) t['0123456789abcdef'.charCodeAt(i)] = i;
  return t;
})();
const BYTE_HEX: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

function hexOf(bytes: Uint8Array): string {
  let hex = '';
  for (let i = 0; i < bytes.length; i++) hex += BYTE_HEX[bytes[i] as number] as string;
  return hex;
}

/** The minimal two's-complement encoding of `value` (empty for zero). */
export function mpintToBytes(value: bigint): Uint8Array {
  const n = mpintByteLength(value);
  const out = new Uint8Array(n);
  encodeMpint(value, out, 0, n);
  return out;
}

/** The integer a two's-complement big-endian byte string denotes (no canonical check). */
export function bytesToMpint(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  const unsigned = BigInt(`0x${hexOf(bytes)}`);
  return (bytes[0] as number) & 0x80 ? unsigned - (1n << BigInt(bytes.length * 8)) : unsigned;
}

/** True when `bytes` is the minimal encoding: no redundant leading 0x00 or 0xff, and zero is empty. */
export function isCanonicalMpint(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return true;
  const first = bytes[0] as number;
  if (bytes.length === 1) return first !== 0;
  const second = bytes[1] as number;
  if (first === 0x00 && (second & 0x80) === 0) return false;
  if (first === 0xff && (second & 0x80) !== 0) return false;
  return true;
}

/** Unsigned big-endian bytes of a non-negative integer, minimal (used by key formats). */
export function bigintToUnsignedBytes(value: bigint, length?: number): Uint8Array {
  if (value < 0n) throw new RangeError('negative value has no unsigned encoding');
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (value === 0n) hex = '';
  const n = length ?? hex.length / 2;
  if (hex.length / 2 > n) throw new RangeError(`value does not fit in ${n} bytes`);
  const out = new Uint8Array(n);
  const start = n - hex.length / 2;
  for (let i = 0; i < hex.length / 2; i++) out[start + i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** The non-negative integer of unsigned big-endian bytes. */
export function unsignedBytesToBigint(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  return BigInt(`0x${hexOf(bytes)}`);
}
