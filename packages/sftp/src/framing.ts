/**
 * SFTP packet framing: `uint32 length` then that many bytes. filexfer-02 §3.
 *
 * The framer takes chunks cut anywhere and hands back whole payloads. A length above the limit
 * (or zero: every packet has a type byte) is refused as soon as its four bytes arrive, before any
 * of the body is buffered. Payloads that sit inside one chunk are returned as views, without a
 * copy, unless the chunks are transient (their memory reused once pushed): then every payload is
 * copied and nothing refers to a chunk after push() returns.
 * @module
 */

import { WireError } from '@ssh/wire';

export class PacketFramer {
  /** Largest payload accepted. */
  readonly maxLength: number;
  private header = new Uint8Array(4);
  private headerFill = 0;
  private body: Uint8Array | undefined;
  private bodyFill = 0;
  /** Bytes consumed so far, for error offsets. */
  private consumed = 0;
  private failed: WireError | undefined;
  private readonly alloc: (n: number) => Uint8Array;
  private readonly transient: boolean;

  /**
   * `alloc` gives the buffer of a payload that is copied (default: a new one each time): one that
   * spans chunks, or any payload when `transient`.
   */
  constructor(maxLength: number, alloc?: (n: number) => Uint8Array, transient = false) {
    this.maxLength = maxLength;
    this.alloc = alloc ?? ((n) => new Uint8Array(n));
    this.transient = transient;
  }

  /** The framing error, once one has occurred (the stream cannot be resynchronised after it). */
  get error(): WireError | undefined {
    return this.failed;
  }

  /**
   * Feeds `chunk` and returns the payloads it completes, in order. A framing error throws, unless
   * whole packets came before it in the chunk: those are returned and `error` is set (check it
   * after handling them). Every later call throws the error.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.failed) throw this.failed;
    const out: Uint8Array[] = [];
    try {
      this.pushInto(chunk, out);
    } catch (e) {
      if (out.length > 0 && e === this.failed) return out;
      throw e;
    }
    return out;
  }

  private pushInto(chunk: Uint8Array, out: Uint8Array[]): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.body === undefined) {
        // Fast path: a whole packet inside the chunk, no partial header pending.
        if (this.headerFill === 0 && chunk.length - pos >= 4) {
          const n = ((chunk[pos] as number) * 0x1000000 + (((chunk[pos + 1] as number) << 16) | ((chunk[pos + 2] as number) << 8) | (chunk[pos + 3] as number))) >>> 0;
          this.check(n, pos);
          if (chunk.length - pos - 4 >= n) {
            const payload = chunk.subarray(pos + 4, pos + 4 + n);
            if (this.transient) {
              const copy = this.alloc(n);
              copy.set(payload);
              out.push(copy);
            } else out.push(payload);
            pos += 4 + n;
            this.consumed += 4 + n;
            continue;
          }
          this.body = this.alloc(n);
          this.bodyFill = 0;
          pos += 4;
          this.consumed += 4;
          continue;
        }
        const take = Math.min(4 - this.headerFill, chunk.length - pos);
        this.header.set(chunk.subarray(pos, pos + take), this.headerFill);
        this.headerFill += take;
        pos += take;
        this.consumed += take;
        if (this.headerFill < 4) break;
        const h = this.header;
        const n = ((h[0] as number) * 0x1000000 + (((h[1] as number) << 16) | ((h[2] as number) << 8) | (h[3] as number))) >>> 0;
        this.headerFill = 0;
        this.check(n, -4);
        this.body = this.alloc(n);
        this.bodyFill = 0;
        continue;
      }
      const take = Math.min(this.body.length - this.bodyFill, chunk.length - pos);
      this.body.set(chunk.subarray(pos, pos + take), this.bodyFill);
      this.bodyFill += take;
      pos += take;
      this.consumed += take;
      if (this.bodyFill === this.body.length) {
        out.push(this.body);
        this.body = undefined;
      }
    }
  }

  /** True when no partial packet is buffered (a clean place for the stream to end). */
  get idle(): boolean {
    return this.body === undefined && this.headerFill === 0;
  }

  private check(n: number, at: number): void {
    if (n === 0 || n > this.maxLength) {
      const offset = at < 0 ? this.consumed + at : this.consumed;
      this.failed = new WireError(
        n === 0 ? 'invalid-value' : 'too-long',
        'packet-length',
        offset,
        n === 0 ? 'an SFTP packet cannot be empty' : `packet length ${n} exceeds the limit ${this.maxLength}`,
      );
      throw this.failed;
    }
  }
}
