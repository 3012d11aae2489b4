/**
 * Message framing of the agent protocol: `uint32 length` then `length` bytes of payload, the
 * payload starting with the message number. draft-miller-ssh-agent §3.
 *
 * The reader checks each length prefix against its maximum as soon as the four bytes are in,
 * before keeping any of the payload, and allocates a message only once all of it has arrived.
 * @module
 */

import { AGENT_MAX_MESSAGE_LENGTH } from './constants.ts';
import { AgentProtocolError } from './errors.ts';

/** The framed form of `payload`: its length, then the payload. */
export function frameAgentMessage(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length);
  out.set(payload, 4);
  return out;
}

/** Splits a byte stream into agent message payloads, whatever the chunking. */
export class AgentFrameReader {
  /** Largest payload accepted. */
  readonly maxLength: number;
  private readonly header = new Uint8Array(4);
  private headerFill = 0;
  /** Payload length of the message being read, or -1 while the header is incomplete. */
  private want = -1;
  private parts: Uint8Array[] = [];
  private have = 0;

  constructor(maxLength: number = AGENT_MAX_MESSAGE_LENGTH) {
    if (!Number.isSafeInteger(maxLength) || maxLength < 1) throw new RangeError(`maxLength must be a positive integer, got ${maxLength}`);
    this.maxLength = maxLength;
  }

  /** Bytes held of an incomplete message (header included). */
  get pending(): number {
    return this.headerFill + this.have;
  }

  /**
   * Consumes `chunk` and returns the payloads it completes (copies, not views on `chunk`).
   * Throws `AgentProtocolError` ('oversized' or 'empty') on a bad length prefix; the reader is then
   * unusable, as the stream has lost its framing.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.want < 0) {
        const n = Math.min(4 - this.headerFill, chunk.length - at);
        this.header.set(chunk.subarray(at, at + n), this.headerFill);
        this.headerFill += n;
        at += n;
        if (this.headerFill < 4) break;
        const length = new DataView(this.header.buffer).getUint32(0);
        if (length > this.maxLength) {
          throw new AgentProtocolError('oversized', `message of ${length} bytes exceeds the limit of ${this.maxLength}`);
        }
        if (length === 0) throw new AgentProtocolError('empty', 'message of length 0');
        this.want = length;
        continue;
      }
      const n = Math.min(this.want - this.have, chunk.length - at);
      // Copies (plain Uint8Arrays even from a Buffer, whose slice() is a view): the caller may
      // reuse its chunk once push returns.
      const part = new Uint8Array(n);
      part.set(chunk.subarray(at, at + n));
      this.parts.push(part);
      this.have += n;
      at += n;
      if (this.have === this.want) {
        out.push(this.parts.length === 1 ? (this.parts[0] as Uint8Array) : concat(this.parts, this.have));
        this.parts = [];
        this.have = 0;
        this.want = -1;
        this.headerFill = 0;
      }
    }
    return out;
  }

  /** At the end of the stream: throws `AgentProtocolError` ('truncated') when a message is incomplete. */
  end(): void {
    if (this.pending > 0) {
      const detail = this.want < 0 ? `${this.headerFill} bytes of a length prefix` : `${this.have} of ${this.want} bytes of a message`;
      throw new AgentProtocolError('truncated', `stream ended after ${detail}`);
    }
  }
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
