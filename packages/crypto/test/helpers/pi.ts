/** Hexadecimal digits of pi's fractional part (Machin's formula in BigInt fixed point). */
export function piFractionBits(bits: number): bigint {
  const b = BigInt(bits + 64);
  const one = 1n << b;
  const arctanInv = (x: bigint): bigint => {
    let term = one / x;
    let sum = term;
    for (let k = 1n; term !== 0n; k++) {
      term /= x * x;
      const t = term / (2n * k + 1n);
      sum += k % 2n === 1n ? -t : t;
    }
    return sum;
  };
  const pi = 16n * arctanInv(5n) - 4n * arctanInv(239n);
  return pi >> 64n; // floor(pi * 2^bits)
}

export function piHex(n: number): string {
  const v = piFractionBits(n * 4) - (3n << BigInt(n * 4));
  return v.toString(16).padStart(n, '0');
}
