/**
 * Packet protection: the binary packet of RFC 4253 §6 sealed and opened with a negotiated cipher
 * and MAC. Three layouts:
 * - AEAD (aes*-gcm@openssh.com, chacha20-poly1305@openssh.com): the cipher owns the length field
 *   and the tag; the MAC is not used. RFC 5647, OpenSSH PROTOCOL §1.6, PROTOCOL.chacha20poly1305.
 * - encrypt-then-MAC (*-etm@openssh.com): length in clear, the MAC covers seq || length ||
 *   ciphertext. OpenSSH PROTOCOL §1.5.
 * - classic: everything encrypted, the MAC covers seq || plaintext packet. RFC 4253 §6.4.
 *
 * Sequence numbers are explicit (the caller counts them, wrapping at 2^32).
 * @module
 */

import { randomFillSync, timingSafeEqual } from 'node:crypto';
import { CryptoParameterError, MacError, PacketLengthError } from './errors.ts';
import type { AeadCipher, CipherImpl, CipherStream } from './cipher/types.ts';
import { isRoomy } from './cipher/node-stream.ts';
import type { Mac, MacImpl } from './mac/types.ts';

/** Largest packet_length accepted by default (OpenSSH's PACKET_MAX_SIZE). */
export const DEFAULT_MAX_PACKET_LENGTH = 256 * 1024;

/** Keys and algorithms for one direction. `cipher` undefined means no encryption (before the first NEWKEYS). */
export interface PacketProtectionOptions {
  readonly cipher?: CipherImpl | undefined;
  readonly key?: Uint8Array;
  readonly iv?: Uint8Array;
  /** Ignored for AEAD ciphers. */
  readonly mac?: MacImpl | undefined;
  readonly macKey?: Uint8Array;
  /** Fills padding; defaults to node:crypto's randomFillSync. */
  readonly random?: (out: Uint8Array) => void;
  /** Largest packet_length accepted when opening (default 256 KiB). */
  readonly maxPacketLength?: number;
}

/** Outbound packet protection. */
export interface Sealer {
  /** Padding alignment in bytes. */
  readonly blockLength: number;
  /** Bytes of tag or MAC after each packet. */
  readonly tagLength: number;
  /** The complete wire packet carrying `payload`. */
  seal(seq: number, payload: Uint8Array): Uint8Array;
  /**
   * The same packet as consecutive chunks, for vectored writes: with OpenSSL-backed ciphers the
   * payload is encrypted where it lies instead of being copied into a packet buffer first. The
   * payload is `payload` followed by `tail` when given (a message header and the data it carries,
   * so that channel data is never copied into a message buffer). Once the chunks are written
   * out, `recyclePacketBuffer()` may take each back for later packets.
   */
  sealParts(seq: number, payload: Uint8Array, tail?: Uint8Array): Uint8Array[];
}

/** Inbound packet protection. */
export interface Opener {
  /** Bytes `decryptLength` needs. */
  readonly headLength: number;
  /** Bytes of tag or MAC after each packet. */
  readonly tagLength: number;
  /** From the first `headLength` bytes: the packet's total size on the wire (length field, body, tag). */
  decryptLength(seq: number, head: Uint8Array): number;
  /** Verifies and decrypts a whole wire packet (as sized by `decryptLength`) and returns its payload. */
  open(seq: number, packet: Uint8Array): Uint8Array;
}

type Layout =
  | { readonly kind: 'plain' }
  | { readonly kind: 'aead'; readonly aead: AeadCipher }
  | { readonly kind: 'etm'; readonly stream: CipherStream; readonly mac: Mac }
  | { readonly kind: 'classic'; readonly stream: CipherStream; readonly mac: Mac | undefined };

interface Resolved {
  readonly layout: Layout;
  readonly blockLength: number;
  readonly tagLength: number;
  /** Bytes before the padded region (4 when the length is outside the cipher's blocks). */
  readonly aad: number;
}

function resolve(options: PacketProtectionOptions, direction: 'encrypt' | 'decrypt'): Resolved {
  const { cipher, mac } = options;
  const need = (v: Uint8Array | undefined, what: string): Uint8Array => {
    if (v === undefined) throw new CryptoParameterError(`${what} is required`);
    return v;
  };
  if (cipher === undefined) {
    if (mac !== undefined) {
      const m = mac.create(need(options.macKey, 'macKey'));
      return {
        layout: mac.etm
          ? { kind: 'etm', stream: { update: (d) => d }, mac: m }
          : { kind: 'classic', stream: { update: (d) => d }, mac: m },
        blockLength: 8,
        tagLength: mac.tagLength,
        aad: mac.etm ? 4 : 0,
      };
    }
    return { layout: { kind: 'plain' }, blockLength: 8, tagLength: 0, aad: 0 };
  }
  const key = need(options.key, 'key');
  const iv = options.iv ?? new Uint8Array(0);
  const blockLength = Math.max(cipher.blockLength, 8);
  if (cipher.aead) {
    return { layout: { kind: 'aead', aead: cipher.createAead(key, iv) }, blockLength, tagLength: cipher.tagLength, aad: 4 };
  }
  const stream = cipher.createCipher(key, iv, direction);
  if (mac === undefined) return { layout: { kind: 'classic', stream, mac: undefined }, blockLength, tagLength: 0, aad: 0 };
  const m = mac.create(need(options.macKey, 'macKey'));
  if (mac.etm) return { layout: { kind: 'etm', stream, mac: m }, blockLength, tagLength: mac.tagLength, aad: 4 };
  return { layout: { kind: 'classic', stream, mac: m }, blockLength, tagLength: mac.tagLength, aad: 0 };
}

/** Payloads up to this size are copied next to the packet header by sealParts. */
const INLINE_PAYLOAD = 64;

/**
 * Bodies from this size on are sealed with the AEAD's `sealInRoom` by `seal` (one buffer from
 * node instead of two, for a second cipher object); smaller ones are joined from `sealParts`.
 */
const ROOMY_AEAD_MIN = 1024;
/** Room before the body for `sealInRoom` (AES-GCM: one block). */
const AEAD_ROOM = 16;

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * Plaintext staging for `updateInRoom` sealing, shared by every sealer (sealing is synchronous):
 * grown to the largest packet sealed, never shrunk.
 */
let staging = new Uint8Array(0);
function stagingFor(length: number): Uint8Array {
  if (staging.length < length) staging = new Uint8Array(Math.max(length, 2 * staging.length, 1024));
  return staging;
}

/** Writes padding_length, payload || tail and `padding` random bytes to `stage` from `at`. */
function stageBody(
  stage: Uint8Array,
  at: number,
  padding: number,
  payload: Uint8Array,
  tail: Uint8Array | undefined,
  random: (out: Uint8Array) => void,
): void {
  stage[at] = padding;
  stage.set(payload, at + 1);
  let end = at + 1 + payload.length;
  if (tail !== undefined) {
    stage.set(tail, end);
    end += tail.length;
  }
  random(stage.subarray(end, end + padding));
}

function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

/** A plain Uint8Array over the same memory (node hands back Buffers). */
function view(b: Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Padding bytes from a 4 KiB pool refilled by node:crypto: one randomFillSync call per packet
 * costs more than encrypting a small packet.
 */
function pooledRandom(): (out: Uint8Array) => void {
  const pool = new Uint8Array(4096);
  let at = pool.length;
  return (out) => {
    if (out.length > pool.length) {
      randomFillSync(out);
      return;
    }
    if (at + out.length > pool.length) {
      randomFillSync(pool);
      at = 0;
    }
    out.set(pool.subarray(at, at + out.length));
    at += out.length;
  };
}

/** Creates the outbound side. */
export function createSealer(options: PacketProtectionOptions): Sealer {
  const r = resolve(options, 'encrypt');
  const random = options.random ?? pooledRandom();
  const { layout, blockLength, tagLength, aad } = r;
  const paddingFor = (payloadLength: number): number => {
    // padding_length >= 4 and (length field unless aad) + 1 + payload + padding ≡ 0 mod block.
    const unpadded = 5 + payloadLength - aad;
    let padding = blockLength - (unpadded % blockLength);
    if (padding < 4) padding += blockLength;
    return padding;
  };
  const partial = (layout.kind === 'etm' && layout.stream.acceptsPartial === true) || layout.kind === 'aead';
  const roomy = layout.kind !== 'plain' && layout.kind !== 'aead' && isRoomy(layout.stream);
  const sealParts = (seq: number, payload: Uint8Array, tail?: Uint8Array): Uint8Array[] => {
    // A roomy stream (CTR) seals the whole packet with one cipher call into one buffer: cheaper
    // than a call per piece (copying the payload costs less than a cipher call).
    if (roomy) return [sealWhole(seq, payload, tail)];
    if (!partial) return [seal(seq, tail === undefined ? payload : concat(payload, tail))];
    const bodyLength = payload.length + (tail?.length ?? 0);
    const padding = paddingFor(bodyLength);
    const packetLength = 1 + bodyLength + padding;
    // A short payload (a message header) shares one buffer with the length and padding length, so
    // that the cipher is called once for it instead of twice.
    const inline = payload.length <= INLINE_PAYLOAD;
    const head = Buffer.allocUnsafe(inline ? 5 + payload.length : 5);
    head.writeUInt32BE(packetLength, 0);
    head[4] = padding;
    if (inline) head.set(payload, 5);
    const pad = Buffer.allocUnsafe(padding);
    random(pad);
    const lengthField = head.subarray(0, 4);
    const body = inline ? [head.subarray(4)] : [head.subarray(4), payload];
    if (tail !== undefined && tail.length > 0) body.push(tail);
    body.push(pad);
    if (layout.kind === 'aead') return layout.aead.sealParts(seq, lengthField, body);
    const etm = layout as Extract<Layout, { kind: 'etm' }>;
    const out: Uint8Array[] = [lengthField];
    for (const p of body) out.push(etm.stream.update(p));
    out.push(etm.mac.computeParts(seq, out));
    return out;
  };
  const seal = (seq: number, payload: Uint8Array): Uint8Array => sealWhole(seq, payload, undefined);
  // The packet carrying payload || tail in one buffer.
  const sealWhole = (seq: number, payload: Uint8Array, tail: Uint8Array | undefined): Uint8Array => {
    const bodyLength = payload.length + (tail?.length ?? 0);
    if (layout.kind === 'aead' && layout.aead.sealInRoom !== undefined && bodyLength >= ROOMY_AEAD_MIN) {
      // One buffer out of node for the whole packet (AES-GCM, see aes-gcm.ts): the body staged
      // after AEAD_ROOM bytes of room, the tag's room after it.
      const padding = paddingFor(bodyLength);
      const packetLength = 1 + bodyLength + padding;
      const end = AEAD_ROOM + packetLength;
      const stage = stagingFor(end + tagLength);
      stageBody(stage, AEAD_ROOM, padding, payload, tail, random);
      const out = layout.aead.sealInRoom(seq, stage.subarray(0, end + tagLength), AEAD_ROOM, end);
      return new Uint8Array(out.buffer, out.byteOffset + AEAD_ROOM - 4, 4 + packetLength + tagLength);
    }
    if (tail !== undefined && tail.length > 0 && !roomy) return seal(seq, concat(payload, tail));
    // AEAD: the cipher's chunks (one for chacha20-poly1305). Otherwise one buffer encrypted in one
    // cipher call (fewer calls and allocations than encrypting the pieces and joining them).
    if (layout.kind === 'aead') {
      const parts = sealParts(seq, payload);
      if (parts.length === 1) return parts[0] as Uint8Array; // chacha20-poly1305: already one buffer
      let n = 0;
      for (const p of parts) n += p.length;
      const out = Buffer.allocUnsafe(n); // no zero fill: every byte is written below
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      return view(out);
    }
    if (layout.kind !== 'plain' && isRoomy(layout.stream)) {
      // One cipher call whose output buffer is the packet (CTR): the plaintext packet is staged
      // so that its encrypted part starts one block in, with room after it for the MAC; the clear
      // length field (etm) and the MAC are then written into OpenSSL's output.
      const padding = paddingFor(bodyLength);
      const packetLength = 1 + bodyLength + padding;
      const start = blockLength;
      const first = layout.kind === 'etm' ? start - 4 : start; // the packet's first byte
      const end = first + 4 + packetLength;
      const stage = stagingFor(end + tagLength);
      writeU32(stage, first, packetLength);
      stageBody(stage, first + 4, padding, payload, tail, random);
      const tag = layout.kind === 'classic' ? layout.mac?.compute(seq, stage.subarray(first, end)) : undefined;
      const out = layout.stream.updateInRoom(stage.subarray(0, end + tagLength), start, end);
      if (layout.kind === 'etm') {
        out.set(stage.subarray(first, start), first);
        out.set(layout.mac.compute(seq, out.subarray(first, end)), end);
      } else if (tag !== undefined) out.set(tag, end);
      return new Uint8Array(out.buffer, out.byteOffset + first, end + tagLength - first);
    }
    {
      const padding = paddingFor(payload.length);
      const packetLength = 1 + payload.length + padding;
      const total = 4 + packetLength;
      const buf = Buffer.allocUnsafe(total + tagLength);
      buf.writeUInt32BE(packetLength, 0);
      buf[4] = padding;
      buf.set(payload, 5);
      random(buf.subarray(total - padding, total));
      switch (layout.kind) {
        case 'plain':
          return view(buf);
        case 'etm': {
          buf.set(layout.stream.update(buf.subarray(4, total)), 4);
          buf.set(layout.mac.compute(seq, buf.subarray(0, total)), total);
          return view(buf);
        }
        case 'classic': {
          if (layout.mac !== undefined) buf.set(layout.mac.compute(seq, buf.subarray(0, total)), total);
          buf.set(layout.stream.update(buf.subarray(0, total)), 0);
          return view(buf);
        }
      }
    }
  };
  return { blockLength, tagLength, seal, sealParts };
}

/** Creates the inbound side. */
export function createOpener(options: PacketProtectionOptions): Opener {
  const r = resolve(options, 'decrypt');
  const { layout, blockLength, tagLength, aad } = r;
  const maxLength = options.maxPacketLength ?? DEFAULT_MAX_PACKET_LENGTH;
  const headLength = layout.kind === 'classic' ? blockLength : 4;
  // classic: the decrypted first block, kept between decryptLength and open.
  let firstBlock: Uint8Array | undefined;
  let expectedTotal = -1;

  const checkLength = (packetLength: number): number => {
    if (packetLength < 5) throw new PacketLengthError(packetLength, 'shorter than the smallest packet');
    if (packetLength > maxLength) throw new PacketLengthError(packetLength, `exceeds the maximum ${maxLength}`);
    if ((packetLength + 4 - aad) % blockLength !== 0) {
      throw new PacketLengthError(packetLength, `not a multiple of the block size ${blockLength}`);
    }
    return 4 + packetLength + tagLength;
  };
  const payloadOf = (plain: Uint8Array, packetLength: number): Uint8Array => {
    // plain starts at padding_length.
    const padding = plain[0] as number;
    if (padding < 4 || padding > packetLength - 1) throw new PacketLengthError(packetLength, `bad padding length ${padding}`);
    // A plain Uint8Array view (node hands back Buffers): no copy.
    return new Uint8Array(plain.buffer, plain.byteOffset + 1, packetLength - padding - 1);
  };
  const readU32 = (b: Uint8Array): number =>
    (((b[0] as number) << 24) | ((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number)) >>> 0;

  return {
    headLength,
    tagLength,
    decryptLength(seq, head) {
      if (head.length < headLength) throw new PacketLengthError(head.length, `need ${headLength} bytes of packet header`);
      switch (layout.kind) {
        case 'plain':
        case 'etm':
          return (expectedTotal = checkLength(readU32(head)));
        case 'aead':
          return (expectedTotal = checkLength(layout.aead.decryptLength(seq, head)));
        case 'classic': {
          firstBlock = layout.stream.update(head.subarray(0, blockLength));
          return (expectedTotal = checkLength(readU32(firstBlock)));
        }
      }
    },
    open(seq, packet) {
      if (expectedTotal < 0 || packet.length !== expectedTotal) {
        throw new PacketLengthError(packet.length, 'open() needs the whole packet sized by decryptLength()');
      }
      expectedTotal = -1;
      const total = packet.length - tagLength;
      switch (layout.kind) {
        case 'plain':
          return payloadOf(packet.subarray(4), total - 4);
        case 'aead': {
          const plain = layout.aead.open(seq, packet, 4);
          return payloadOf(plain, total - 4);
        }
        case 'etm': {
          if (!layout.mac.verify(seq, packet.subarray(0, total), packet.subarray(total))) throw new MacError();
          const plain = layout.stream.update(packet.subarray(4, total));
          return payloadOf(plain, total - 4);
        }
        case 'classic': {
          const head = firstBlock;
          firstBlock = undefined;
          if (head === undefined) throw new PacketLengthError(packet.length, 'open() before decryptLength()');
          let plain: Uint8Array;
          if (total === blockLength) plain = head;
          else {
            const restPlain = layout.stream.update(packet.subarray(blockLength, total));
            plain = Buffer.allocUnsafe(total);
            plain.set(head, 0);
            plain.set(restPlain, blockLength);
          }
          if (layout.mac !== undefined) {
            const expected = layout.mac.compute(seq, plain);
            if (!timingSafeEqual(expected, packet.subarray(total))) throw new MacError();
          }
          return payloadOf(plain.subarray(4), total - 4);
        }
      }
    },
  };
}
