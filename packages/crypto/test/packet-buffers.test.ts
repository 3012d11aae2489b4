/**
 * Buffers for sealed packets (packet-buffers.ts): size classes, reuse only of buffers handed
 * back once, and AES-GCM on the native binding sealing correct packets into reused buffers.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nativeStatus } from '@ssh/crypto-native';
import { aes128Gcm, aes128GcmNodeCrypto } from '../src/cipher/aes-gcm.ts';
import { recyclePacketBuffer, takePacketBuffer } from '../src/packet-buffers.ts';

const CLASS_32K = 2 ** 15 + 1024;

describe('takePacketBuffer / recyclePacketBuffer', () => {
  it('serves a packet of a class from a buffer of the class size, and reuses it once handed back', () => {
    const a = takePacketBuffer(20_000);
    expect(a.length).toBe(20_000);
    expect(a.buffer.byteLength).toBe(CLASS_32K);
    recyclePacketBuffer(a.subarray(5, 10));
    const b = takePacketBuffer(CLASS_32K);
    expect(b.buffer).toBe(a.buffer);
    expect(b.length).toBe(CLASS_32K);
    // The next class up for one byte more.
    expect(takePacketBuffer(CLASS_32K + 1).buffer.byteLength).toBe(2 ** 16 + 1024);
  });

  it('gives small and oversized packets buffers of their own, never pooled', () => {
    const classes = [13, 14, 15, 16, 17, 18].map((k) => 2 ** k + 1024);
    for (const n of [16, 4095, 2 ** 18 + 1025]) {
      const own = takePacketBuffer(n);
      expect(own.length).toBe(n);
      expect(classes).not.toContain(own.buffer.byteLength);
      recyclePacketBuffer(own);
      for (const size of classes) expect(takePacketBuffer(size).buffer).not.toBe(own.buffer);
    }
  });

  it('ignores foreign buffers and buffers handed back twice', () => {
    const foreign = new Uint8Array(CLASS_32K);
    recyclePacketBuffer(foreign);
    const a = takePacketBuffer(30_000);
    expect(a.buffer).not.toBe(foreign.buffer);
    recyclePacketBuffer(a);
    recyclePacketBuffer(a);
    const [x, y] = [takePacketBuffer(30_000), takePacketBuffer(30_000)];
    expect(x.buffer).toBe(a.buffer);
    expect(y.buffer).not.toBe(a.buffer);
  });

  it('clears a reused buffer beyond the packet, so that a view’s .buffer shows no earlier packet', () => {
    const a = takePacketBuffer(CLASS_32K);
    a.fill(0xab);
    recyclePacketBuffer(a);
    const b = takePacketBuffer(20_000);
    expect(b.buffer).toBe(a.buffer);
    expect(new Uint8Array(b.buffer, 20_000).every((x) => x === 0)).toBe(true);
  });
});

describe('AES-GCM on the native binding into reused buffers', () => {
  it('seals packets that open on node:crypto, the second in the first one’s buffer', () => {
    expect(nativeStatus().available).toBe(true);
    const key = randomBytes(16);
    const iv = randomBytes(12);
    const sealer = aes128Gcm.createAead(key, iv);
    const opener = aes128GcmNodeCrypto.createAead(key, iv);
    const lengthField = Uint8Array.of(0, 0, 0x80, 0x10);
    const bodies = [randomBytes(0x8010), randomBytes(0x8010)];
    const sealed: Uint8Array[] = [];
    for (const body of bodies) {
      const [packet] = sealer.sealParts(0, lengthField, [body.subarray(0, 100), body.subarray(100)]);
      if (packet === undefined) throw new Error('no packet');
      expect(Buffer.from(opener.open(0, packet, 4)).equals(body)).toBe(true);
      sealed.push(packet);
      recyclePacketBuffer(packet);
    }
    expect(sealed[1]?.buffer).toBe(sealed[0]?.buffer);
  });
});
