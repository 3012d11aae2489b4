/**
 * The binary packet protocol, RFC 4253 §6: frames payloads into packets and back, counts sequence
 * numbers (wrapping at 2^32, reset by strict kex), and switches keys at NEWKEYS. Sealing and
 * opening are @ssh/crypto's; this layer buffers, sizes and orders.
 * @module
 */

import { MacError, PacketLengthError, createOpener, createSealer, recyclePacketBuffer, takePacketBuffer, type Opener, type Sealer } from '@ssh/crypto';
import { ByteQueue } from './byte-queue.ts';
import { copyBytes } from './bytes.ts';

/**
 * A received payload (or any view of it, such as a CHANNEL_DATA message's data) that nothing
 * refers to any more, and never will: its buffer may receive a later packet, of any connection.
 * Optional, for consumers that copy what they keep; payloads not handed back are collected.
 */
export function releasePayload(payload: Uint8Array): void {
  recyclePacketBuffer(payload);
}

/** Inbound packets: bytes in, payloads out. */
export class PacketReader {
  private readonly queue = new ByteQueue();
  private opener: Opener;
  private readonly maxPacketLength: number;
  private pendingTotal = -1; // size of the packet whose head has been decrypted, or -1
  private keyed = false; // keys set: a bad length is reported as a bad MAC
  private encrypted = false; // a cipher is set: opened payloads are fresh memory, never views of the input
  private borrowed = false; // the queue holds views of a buffer the caller reuses
  // The packet being received when a reused buffer was released, in memory of its own sized to the
  // whole packet: its later bytes are copied straight in, rather than the part received so far
  // being copied out and then joined with the rest (two copies and two buffers per packet that
  // straddles two reads).
  private carry: Uint8Array | undefined;
  private carried = 0;
  /**
   * A carry whose bytes have all arrived, queued until its packet is opened. It is a pooled
   * packet buffer, handed back once opened: an encrypted packet opens into memory of its own. A
   * fresh carry per straddling packet of a bulk upload (one in ten to thirty of 32 KiB) made
   * tens of megabytes per GiB outside the heap, and the collections they trigger.
   */
  private queuedCarry: ArrayBufferLike | undefined;
  /** Sequence number of the next packet. */
  seq = 0;

  constructor(maxPacketLength: number) {
    this.maxPacketLength = maxPacketLength;
    this.opener = createOpener({ maxPacketLength });
  }

  /** Bytes received and not yet framed. */
  get buffered(): number {
    return this.queue.length + this.carried;
  }

  /**
   * Queues received bytes. A `transient` chunk is a view of a buffer the caller reuses once
   * `release()` is called: without a cipher (payloads would be views of it) it is copied now,
   * with one only what is left unread is, at `release()`.
   */
  push(chunk: Uint8Array, transient = false): void {
    let rest = chunk;
    // A carry takes its bytes first, with or without a cipher: one begun before a rekey to "none"
    // is completed after it.
    if (this.carry !== undefined) {
      const n = Math.min(rest.length, this.carry.length - this.carried);
      this.carry.set(rest.subarray(0, n), this.carried);
      this.carried += n;
      if (this.carried < this.carry.length) return;
      this.queue.push(this.carry);
      this.queuedCarry = this.carry.buffer;
      this.carry = undefined;
      this.carried = 0;
      rest = rest.subarray(n);
    }
    if (transient && !this.encrypted) {
      this.queue.push(copyBytes(rest));
      return;
    }
    this.queue.push(rest);
    this.borrowed ||= transient && rest.length > 0;
  }

  /** Copies the unread rest of transient chunks: their buffer may be reused from now on. */
  release(): void {
    if (!this.borrowed) return;
    this.borrowed = false;
    const queued = this.queue.length;
    if (queued > 0 && this.pendingTotal > queued) {
      // pendingTotal passed the opener's length checks: a bounded allocation. Every byte of it is
      // written (what is queued now, the rest as it arrives) before the packet is opened.
      this.carry = takePacketBuffer(this.pendingTotal);
      this.queue.moveInto(this.carry);
      this.carried = queued;
    } else {
      this.queue.detach();
    }
  }

  /**
   * The next payload, or undefined until its bytes have arrived. A length field beyond the maximum
   * is refused as soon as the first block is read, before the rest is buffered. Throws
   * @ssh/crypto's PacketLengthError or MacError on a corrupt packet; once keys are set, a length
   * field that does not decrypt to a valid length throws the same MacError as a bad MAC, so that a
   * peer (or a man in the middle flipping bits) cannot tell the two apart by the error.
   * A consumer done with a payload (and every view of it) may hand its buffer back with
   * `releasePayload()`.
   */
  next(): Uint8Array | undefined {
    if (this.pendingTotal < 0) {
      if (this.queue.length < this.opener.headLength) return undefined;
      try {
        this.pendingTotal = this.opener.decryptLength(this.seq, this.queue.peek(this.opener.headLength));
      } catch (err) {
        if (this.keyed && err instanceof PacketLengthError) throw new MacError(undefined, { cause: err });
        throw err;
      }
    }
    if (this.queue.length < this.pendingTotal) return undefined;
    const packet = this.queue.take(this.pendingTotal);
    const payload = this.opener.open(this.seq, packet);
    if (packet.buffer === this.queuedCarry) {
      this.queuedCarry = undefined;
      // Without a cipher (a rekey may negotiate "none") the payload is a view of the packet.
      if (this.encrypted) recyclePacketBuffer(packet);
    }
    this.pendingTotal = -1;
    this.seq = (this.seq + 1) >>> 0;
    return payload;
  }

  /** New keys take effect from the next packet (after NEWKEYS). */
  setKeys(options: Omit<Parameters<typeof createOpener>[0], 'maxPacketLength'>): void {
    this.opener = createOpener({ ...options, maxPacketLength: this.maxPacketLength });
    this.keyed = options.cipher !== undefined || options.mac !== undefined;
    this.encrypted = options.cipher !== undefined;
  }

  /** Bytes left after the transport stops reading packets (nothing is lost on a hand-over). */
  drain(): Uint8Array {
    // What is handed over is the caller's now, a queued carry too.
    this.queuedCarry = undefined;
    if (this.carry === undefined) return this.queue.takeAll();
    // While a packet is carried, every byte received since is in it.
    const rest = this.carry.subarray(0, this.carried);
    this.carry = undefined;
    this.carried = 0;
    return rest;
  }
}

/** Outbound packets: payloads in, bytes out. */
export class PacketWriter {
  private sealer: Sealer = createSealer({});
  /** Sequence number of the next packet. */
  seq = 0;

  write(payload: Uint8Array): Uint8Array {
    const packet = this.sealer.seal(this.seq, payload);
    this.seq = (this.seq + 1) >>> 0;
    return packet;
  }

  /**
   * The packet carrying `payload` then `tail`, as consecutive chunks for a vectored write: the
   * cipher output lands in them directly, with no copy into one packet buffer.
   */
  writeParts(payload: Uint8Array, tail?: Uint8Array): Uint8Array[] {
    const parts = this.sealer.sealParts(this.seq, payload, tail);
    this.seq = (this.seq + 1) >>> 0;
    return parts;
  }

  /** New keys take effect from the next packet (after our NEWKEYS). */
  setKeys(options: Parameters<typeof createSealer>[0]): void {
    this.sealer = createSealer(options);
  }
}
