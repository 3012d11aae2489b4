/**
 * The AES-256 CTR_DRBG of NIST's PQC KAT generator (rng.c of the NIST submission package):
 * every randombytes() call ends with an Update, so call boundaries matter.
 */
import { createCipheriv } from 'node:crypto';

export class NistKatDrbg {
  private key = new Uint8Array(32);
  private v = new Uint8Array(16);

  constructor(entropy: Uint8Array) {
    this.update(entropy);
  }

  private increment(): void {
    for (let j = 15; j >= 0; j--) {
      if (this.v[j] === 0xff) this.v[j] = 0;
      else {
        this.v[j] = (this.v[j] as number) + 1;
        break;
      }
    }
  }

  private block(): Uint8Array {
    this.increment();
    const c = createCipheriv('aes-256-ecb', this.key, null);
    c.setAutoPadding(false);
    return new Uint8Array(c.update(this.v));
  }

  private update(data?: Uint8Array): void {
    const temp = new Uint8Array(48);
    for (let i = 0; i < 3; i++) temp.set(this.block(), 16 * i);
    if (data !== undefined) for (let i = 0; i < 48; i++) temp[i] = (temp[i] as number) ^ (data[i] as number);
    this.key = temp.slice(0, 32);
    this.v = temp.slice(32, 48);
  }

  /** randombytes(n) */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let at = 0; at < n; at += 16) out.set(this.block().subarray(0, Math.min(16, n - at)), at);
    this.update();
    return out;
  }
}
