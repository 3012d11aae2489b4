/**
 * aes128-gcm@openssh.com, aes256-gcm@openssh.com: AES-GCM as RFC 5647 defines it with OpenSSH's
 * rules (OpenSSH PROTOCOL §1.6): the packet length is associated data sent in clear, the 12-byte
 * nonce is a 4-byte fixed field and an 8-byte invocation counter incremented after every packet,
 * the MAC negotiation is skipped. OpenSSL either way: through @ssh/crypto-native's binding when it
 * is built (one long-lived context per direction, output written straight into one buffer per
 * packet), or through node:crypto, which makes a cipher object and two output buffers per call.
 *
 * Without the binding, sealing a whole packet into one buffer (`sealInRoom`) gets node to allocate
 * one buffer, the packet, instead of the ciphertext and then the packet, by running GCM (NIST SP
 * 800-38D §7.1) one counter block early, over a block of room, the body and the tag's room, and
 * then correcting the tag with GHASH's linearity. With the packet's IV, J0 = IV || 1 and the body
 * is encrypted from J0 + 1. A second pre-counter block J0' = IV || 0 is reached through a 16-byte
 * IV': IV' = (J0' + Liv·H)·H^-2 (a 16-byte IV is hashed: J0' = IV'·H^2 + Liv·H, Liv = [0]64 || [128]64,
 * H = AES_K(0^128); + is XOR in GF(2^128)). GCM under IV' encrypts the room block r with J0, the
 * body from J0 + 1 (the right ciphertext, in place) and the tag's room with the next counter,
 * giving e. With r = a + AES_K(J0), a = [length field || 0^96] (the packet's associated data as
 * its GHASH block), the room's ciphertext is a itself, and the two GHASH inputs differ only at
 * the end: the packet's is a, C, L and IV''s a, C, e, L' (L = [32]64 || [8n]64,
 * L' = [0]64 || [8(n + 32)]64). Hence, with T' the tag under IV':
 *   T = AES_K(J0) + (T' + AES_K(J0'))·H^-1 + e·H + L' + L·H.
 * AES_K(J0) and AES_K(J0') come from one long-lived ECB cipher, for 32 packets at a time (the
 * invocation counter is known in advance); the products take precomputed tables.
 * @module
 */

import { createCipheriv, createDecipheriv } from 'node:crypto';
import { nativeAesGcm, type AesGcmState, type NativeAesGcm } from '@ssh/crypto-native';
import { CryptoParameterError, MacError, PacketLengthError } from '../errors.ts';
import { checkLength } from './node-stream.ts';
import { takePacketBuffer } from '../packet-buffers.ts';
import { gfInverse, gfMultiply, gfMultiplyTable, gfTable, type Gf128 } from './gf128.ts';
import type { AeadCipher, AeadCipherImpl } from './types.ts';

const TAG = 16;
const BLOCK = 16;

/** Packets whose AES_K(J0) and AES_K(J0') one ECB call computes (see the module comment). */
const MASK_BATCH = 32;
/** Liv = [0]64 || [128]64, the lengths block GHASH appends to a 16-byte IV. */
const LIV: Gf128 = [0, 0, 0, 128];

/** A block's four big-endian words. */
function words(b: Uint8Array, at: number): Gf128 {
  return [word(b, at), word(b, at + 4), word(b, at + 8), word(b, at + 12)];
}

function word(b: Uint8Array, at: number): number {
  return (((b[at] as number) << 24) | ((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number)) >>> 0;
}

function putWord(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

/** L' + L·H for a body of n bytes (see the module comment), cached per key and size. */
function lengthsTerm(rk: RoomKeys, n: number): Uint32Array {
  let t = rk.lengths.get(n);
  if (t !== undefined) return t;
  t = new Uint32Array(4);
  const bits = n * 8;
  gfMultiplyTable(rk.h, 0, 32, Math.floor(bits / 0x100000000), bits >>> 0, t);
  const bitsOut = bits + 256; // L' counts the room and the tag's room as ciphertext
  t[2] = ((t[2] as number) ^ Math.floor(bitsOut / 0x100000000)) >>> 0;
  t[3] = ((t[3] as number) ^ (bitsOut >>> 0)) >>> 0;
  if (rk.lengths.size >= MAX_LENGTHS) rk.lengths.clear();
  rk.lengths.set(n, t);
  return t;
}

/** Packet sizes whose `lengthsTerm` is kept per key. */
const MAX_LENGTHS = 64;

/** Per-key constants of `sealInRoom`. */
interface RoomKeys {
  /** Tables for ·H, ·H^-1 and ·H^-2. */
  readonly h: Uint32Array;
  readonly hInv: Uint32Array;
  readonly hInv2: Uint32Array;
  /** Liv·H. */
  readonly livH: Gf128;
  /** A long-lived AES-ECB cipher under the key (no padding). */
  readonly ecb: ReturnType<typeof createCipheriv>;
  /** `lengthsTerm` per body size. */
  readonly lengths: Map<number, Uint32Array>;
}

/** Parts the binding seals in one call; more are joined first. */
const NATIVE_MAX_PARTS = 8;

/**
 * AES-GCM on the native binding: a state per direction, made on first use from copies of the key
 * and IV (the caller's arrays may be reused or wiped meanwhile). Packets are sealed and opened
 * into buffers from packet-buffers.ts, which whoever is done with them may recycle.
 */
function nativeAead(native: NativeAesGcm, key0: Uint8Array, iv0: Uint8Array): AeadCipher {
  const key = Uint8Array.from(key0);
  const iv = Uint8Array.from(iv0);
  let sealer: AesGcmState | undefined;
  let opener: AesGcmState | undefined;
  const sealState = (): AesGcmState => (sealer ??= native.create(key, iv, true));
  return {
    seal(_seq, data, aadLength) {
      const out = takePacketBuffer(data.length + TAG); // every byte is written below
      const aad = data.subarray(0, aadLength);
      out.set(aad, 0);
      native.seal(sealState(), aad, data.subarray(aadLength), out, aadLength);
      return out;
    },
    sealParts(_seq, lengthField, parts) {
      let n = 0;
      for (const p of parts) n += p.length;
      const out = takePacketBuffer(lengthField.length + n + TAG);
      out.set(lengthField, 0);
      native.seal(sealState(), lengthField, parts.length <= NATIVE_MAX_PARTS ? parts : [Buffer.concat(parts)], out, lengthField.length);
      return [out];
    },
    decryptLength(_seq, head) {
      return lengthOf(head);
    },
    open(_seq, packet, aadLength) {
      if (packet.length < aadLength + TAG) throw new MacError('packet shorter than its authentication tag');
      const out = takePacketBuffer(packet.length - aadLength - TAG);
      if (!native.open((opener ??= native.create(key, iv, false)), packet, aadLength, out)) {
        throw new MacError('AES-GCM authentication tag mismatch');
      }
      return out;
    },
  };
}

function lengthOf(head: Uint8Array): number {
  if (head.length < 4) throw new PacketLengthError(head.length, 'need 4 bytes of packet header');
  return (((head[0] as number) << 24) | ((head[1] as number) << 16) | ((head[2] as number) << 8) | (head[3] as number)) >>> 0;
}

/** AES-GCM through node:crypto (the native binding's fallback; `sealInRoom` is its own). */
function gcm(keyLength: 16 | 32, useNative: boolean): AeadCipherImpl {
  const algo = keyLength === 16 ? 'aes-128-gcm' : 'aes-256-gcm';
  const ecbAlgo = keyLength === 16 ? 'aes-128-ecb' : 'aes-256-ecb';
  return {
    keyLength,
    ivLength: 12,
    blockLength: 16,
    tagLength: TAG,
    aead: true,
    createAead(key, iv0): AeadCipher {
      checkLength('key', key, keyLength);
      checkLength('iv', iv0, 12);
      const native = useNative ? nativeAesGcm() : undefined;
      if (native !== undefined) return nativeAead(native, key, iv0);
      const iv = Buffer.from(iv0);
      const k = Buffer.from(key);
      // sealInRoom's state: its constants (made on first use), AES_K(J0') || AES_K(J0) for
      // MASK_BATCH packets from the one whose IV the batch was made at, and where we are in it.
      let room: RoomKeys | undefined;
      const roomKeys = (): RoomKeys => {
        if (room !== undefined) return room;
        const ecb = createCipheriv(ecbAlgo, k, null);
        ecb.setAutoPadding(false);
        const h = words(ecb.update(new Uint8Array(BLOCK)), 0);
        const hInv = gfInverse(h);
        return (room = { h: gfTable(h), hInv: gfTable(hInv), hInv2: gfTable(gfMultiply(hInv, hInv)), livH: gfMultiply(LIV, h), ecb, lengths: new Map() });
      };
      const maskInput = Buffer.alloc(MASK_BATCH * 2 * BLOCK);
      let masks = new Uint8Array(0);
      let maskAt = MASK_BATCH;
      const ivPrime = Buffer.alloc(BLOCK);
      const acc = new Uint32Array(4);
      const term = new Uint32Array(4);
      const next = (): void => {
        // The invocation counter is the last 8 bytes, big-endian, wrapping modulo 2^64.
        for (let i = 11; i >= 4; i--) {
          iv[i] = ((iv[i] as number) + 1) & 0xff;
          if (iv[i] !== 0) break;
        }
        maskAt++;
      };
      return {
        seal(_seq, data, aadLength) {
          const c = createCipheriv(algo, k, iv, { authTagLength: TAG });
          if (aadLength > 0) c.setAAD(data.subarray(0, aadLength));
          const ct = c.update(data.subarray(aadLength));
          c.final();
          const out = Buffer.allocUnsafe(data.length + TAG);
          out.set(data.subarray(0, aadLength), 0);
          out.set(ct, aadLength);
          out.set(c.getAuthTag(), data.length);
          next();
          return out;
        },
        sealParts(_seq, lengthField, parts) {
          const c = createCipheriv(algo, k, iv, { authTagLength: TAG });
          c.setAAD(lengthField);
          const out: Uint8Array[] = [lengthField];
          if (parts.length === 1) out.push(c.update(parts[0] as Uint8Array));
          else if (parts.length > 1) {
            // One cipher call for the whole body: copying the pieces costs less than a call each.
            let n = 0;
            for (const p of parts) n += p.length;
            const stage = stagingFor(n);
            let at = 0;
            for (const p of parts) {
              stage.set(p, at);
              at += p.length;
            }
            out.push(c.update(stage.subarray(0, n)));
          }
          c.final();
          out.push(c.getAuthTag());
          next();
          return out;
        },
        sealInRoom(_seq, input, start, end) {
          if (start !== BLOCK || end < start || (end - start) % BLOCK !== 0 || input.length !== end + TAG) {
            throw new CryptoParameterError(`sealInRoom: bad range ${start}..${end} of ${input.length}`);
          }
          const n = end - start;
          const rk = roomKeys();
          if (maskAt >= MASK_BATCH) {
            // [IV || 0][IV || 1] for this packet and the next MASK_BATCH - 1 (IV counting up).
            const counter = Buffer.from(iv);
            for (let p = 0; p < MASK_BATCH; p++) {
              const at = p * 2 * BLOCK;
              counter.copy(maskInput, at);
              maskInput.writeUInt32BE(0, at + 12);
              counter.copy(maskInput, at + BLOCK);
              maskInput.writeUInt32BE(1, at + BLOCK + 12);
              for (let i = 11; i >= 4; i--) {
                counter[i] = ((counter[i] as number) + 1) & 0xff;
                if (counter[i] !== 0) break;
              }
            }
            masks = rk.ecb.update(maskInput);
            maskAt = 0;
          }
          const mJ0p = maskAt * 2 * BLOCK; // AES_K(J0') in masks
          const mJ0 = mJ0p + BLOCK; // AES_K(J0)
          // The room block r = a + AES_K(J0), a = [n]32 || 0^96.
          putWord(input, 0, (n ^ word(masks, mJ0)) >>> 0);
          input.set(masks.subarray(mJ0 + 4, mJ0 + BLOCK), 4);
          // IV' = (J0' + Liv·H)·H^-2, J0' = IV || 0.
          const livH = rk.livH;
          gfMultiplyTable(rk.hInv2, word(iv, 0) ^ livH[0], word(iv, 4) ^ livH[1], word(iv, 8) ^ livH[2], livH[3], acc);
          for (let w = 0; w < 4; w++) ivPrime.writeUInt32BE((acc[w] as number) >>> 0, 4 * w);
          const c = createCipheriv(algo, k, ivPrime, { authTagLength: TAG });
          const out = c.update(input);
          c.final();
          const tp = c.getAuthTag();
          // T = AES_K(J0) + (T' + AES_K(J0'))·H^-1 + e·H + (L' + L·H).
          gfMultiplyTable(
            rk.hInv,
            word(tp, 0) ^ word(masks, mJ0p),
            word(tp, 4) ^ word(masks, mJ0p + 4),
            word(tp, 8) ^ word(masks, mJ0p + 8),
            word(tp, 12) ^ word(masks, mJ0p + 12),
            acc,
          );
          gfMultiplyTable(rk.h, word(out, end), word(out, end + 4), word(out, end + 8), word(out, end + 12), term);
          const lengths = lengthsTerm(rk, n);
          for (let w = 0; w < 4; w++) {
            const t = (acc[w] as number) ^ (term[w] as number) ^ (lengths[w] as number) ^ word(masks, mJ0 + 4 * w);
            out.writeUInt32BE(t >>> 0, end + 4 * w);
          }
          out.writeUInt32BE(n, BLOCK - 4);
          next();
          return out;
        },
        decryptLength(_seq, head) {
          return lengthOf(head);
        },
        open(_seq, packet, aadLength) {
          if (packet.length < aadLength + TAG) throw new MacError('packet shorter than its authentication tag');
          const end = packet.length - TAG;
          const d = createDecipheriv(algo, k, iv, { authTagLength: TAG });
          if (aadLength > 0) d.setAAD(packet.subarray(0, aadLength));
          d.setAuthTag(packet.subarray(end));
          const pt = d.update(packet.subarray(aadLength, end));
          try {
            d.final();
          } catch (cause) {
            throw new MacError('AES-GCM authentication tag mismatch', { cause });
          }
          next();
          return pt;
        },
      };
    },
  };
}

/**
 * Body staging for `sealParts`, shared by every cipher (sealing is synchronous): grown to the
 * largest body sealed, never shrunk.
 */
let staging = new Uint8Array(0);
function stagingFor(length: number): Uint8Array {
  if (staging.length < length) staging = new Uint8Array(Math.max(length, 2 * staging.length, 1024));
  return staging;
}

/** The native binding when it is built (see @ssh/crypto-native), else node:crypto. */
export const aes128Gcm: AeadCipherImpl = /* @__PURE__ */ gcm(16, true);
export const aes256Gcm: AeadCipherImpl = /* @__PURE__ */ gcm(32, true);
/** node:crypto only, whatever is built: for tests and benchmarks of the fallback. */
export const aes128GcmNodeCrypto: AeadCipherImpl = /* @__PURE__ */ gcm(16, false);
export const aes256GcmNodeCrypto: AeadCipherImpl = /* @__PURE__ */ gcm(32, false);
