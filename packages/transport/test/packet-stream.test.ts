/** The binary packet protocol over every cipher and MAC pairing of the registry. */
import fc from 'fast-check';
import { createStandardRegistry, MacError, PacketLengthError, recyclePacketBuffer, takePacketBuffer } from '@ssh/crypto';
import { describe, expect, it } from 'vitest';
import { PacketReader, PacketWriter } from '../src/packet-stream.ts';

const registry = createStandardRegistry();
const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

function keysFor(cipherName: string, macName: string) {
  const cipher = registry.require('cipher', cipherName).impl;
  const mac = cipher.aead ? undefined : registry.require('mac', macName).impl;
  return {
    cipher,
    key: bytes(cipher.keyLength, 1),
    iv: bytes(cipher.ivLength, 2),
    mac,
    macKey: bytes(mac?.keyLength ?? 0, 3),
  };
}

function roundTrip(cipherName: string, macName: string, payloads: Uint8Array[], cuts: number[]): Uint8Array[] {
  const writer = new PacketWriter();
  const reader = new PacketReader(256 * 1024);
  writer.setKeys(keysFor(cipherName, macName));
  reader.setKeys(keysFor(cipherName, macName));
  const wire = payloads.map((p) => writer.write(p));
  const flat = new Uint8Array(wire.reduce((n, w) => n + w.length, 0));
  let off = 0;
  for (const w of wire) {
    flat.set(w, off);
    off += w.length;
  }
  const out: Uint8Array[] = [];
  let pos = 0;
  for (const cut of [...cuts, flat.length]) {
    const end = Math.min(flat.length, pos + cut);
    reader.push(flat.subarray(pos, end));
    pos = end;
    for (let p = reader.next(); p; p = reader.next()) out.push(p.slice());
  }
  return out;
}

const ciphers = registry.names('cipher');
const macs = registry.names('mac');

describe('PacketReader/PacketWriter', () => {
  it('carries payloads unencrypted before the first NEWKEYS', () => {
    const writer = new PacketWriter();
    const reader = new PacketReader(35000);
    reader.push(writer.write(Uint8Array.of(20, 1, 2, 3)));
    expect([...(reader.next() ?? [])]).toEqual([20, 1, 2, 3]);
    expect(reader.seq).toBe(1);
    expect(writer.seq).toBe(1);
  });

  for (const cipher of ciphers) {
    it(`round-trips with ${cipher} under any chunking`, () => {
      const mac = macs[0] as string;
      fc.assert(
        fc.property(
          fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 5 }),
          fc.array(fc.integer({ min: 1, max: 97 }), { maxLength: 30 }),
          (payloads, cuts) => {
            expect(roundTrip(cipher, mac, payloads, cuts).map((p) => [...p])).toEqual(payloads.map((p) => [...p]));
          },
        ),
        { numRuns: 20 },
      );
    });
  }

  for (const mac of macs) {
    it(`round-trips with aes128-ctr and ${mac}`, () => {
      const payloads = [bytes(1, 5), bytes(1000, 6), bytes(33, 7)];
      expect(roundTrip('aes128-ctr', mac, payloads, [3, 50, 7]).map((p) => p.length)).toEqual([1, 1000, 33]);
    });
  }

  it('refuses an oversized length field before buffering the packet', () => {
    const reader = new PacketReader(35000);
    reader.push(Uint8Array.of(0x7f, 0xff, 0xff, 0xf0, 4, 0, 0, 0));
    expect(() => reader.next()).toThrow(PacketLengthError);
  });

  it('detects a corrupted packet', () => {
    const writer = new PacketWriter();
    const reader = new PacketReader(35000);
    const keys = keysFor('aes256-ctr', 'hmac-sha2-256');
    writer.setKeys(keys);
    reader.setKeys(keysFor('aes256-ctr', 'hmac-sha2-256'));
    const packet = writer.write(bytes(64, 9));
    packet[20] = (packet[20] as number) ^ 1;
    reader.push(packet);
    expect(() => reader.next()).toThrow(MacError);
  });

  for (const cipher of ['aes128-gcm@openssh.com', 'chacha20-poly1305@openssh.com', 'aes128-ctr']) {
    it(`reads packets that straddle reads of a reused buffer, keeping none of it, with ${cipher}`, () => {
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 6 }),
          fc.array(fc.integer({ min: 1, max: 7000 }), { minLength: 1, maxLength: 20 }),
          (sizes, cuts) => {
            const writer = new PacketWriter();
            const reader = new PacketReader(256 * 1024);
            writer.setKeys(keysFor(cipher, 'hmac-sha2-256'));
            reader.setKeys(keysFor(cipher, 'hmac-sha2-256'));
            const payloads = sizes.map((n, i) => bytes(n, i + 1));
            const packets = payloads.map((p) => writer.write(p));
            const wire = Buffer.concat(packets);
            const scratch = Buffer.alloc(7000);
            const out: Uint8Array[] = [];
            let pos = 0;
            for (let k = 0; pos < wire.length; k++) {
              const n = Math.min(cuts[k % cuts.length] as number, wire.length - pos);
              scratch.set(wire.subarray(pos, pos + n));
              reader.push(scratch.subarray(0, n), true);
              pos += n;
              for (let p = reader.next(); p; p = reader.next()) out.push(p);
              reader.release();
              scratch.fill(0xee); // the caller reuses its buffer
              // Buffered: exactly the bytes received and not yet framed.
              const framed = packets.slice(0, out.length).reduce((sum, p) => sum + p.length, 0);
              expect(reader.buffered).toBe(pos - framed);
            }
            expect(out.map((p) => Buffer.from(p).toString('hex'))).toEqual(payloads.map((p) => Buffer.from(p).toString('hex')));
            expect(reader.buffered).toBe(0);
          },
        ),
        { numRuns: 25 },
      );
    });
  }

  it('hands over the bytes of a packet still being received', () => {
    const writer = new PacketWriter();
    const reader = new PacketReader(256 * 1024);
    writer.setKeys(keysFor('aes128-gcm@openssh.com', 'hmac-sha2-256'));
    reader.setKeys(keysFor('aes128-gcm@openssh.com', 'hmac-sha2-256'));
    const first = writer.write(bytes(100, 1));
    const second = writer.write(bytes(5000, 2));
    const wire = Buffer.concat([first, second]);
    const scratch = Buffer.alloc(wire.length);
    const cut = first.length + 1000;
    for (const [from, to] of [[0, cut], [cut, cut + 1500]] as const) {
      scratch.set(wire.subarray(from, to));
      reader.push(scratch.subarray(0, to - from), true);
      expect(reader.next()?.length ?? 0).toBe(from === 0 ? 100 : 0);
      expect(reader.next()).toBeUndefined();
      reader.release();
      scratch.fill(0xee);
    }
    expect(reader.buffered).toBe(2500);
    expect(Buffer.from(reader.drain()).equals(second.subarray(0, 2500))).toBe(true);
    expect(reader.buffered).toBe(0);
  });

  for (const cipher of ['aes128-gcm@openssh.com', 'aes128-ctr']) {
    it(`carries a straddling packet in a pooled buffer and hands it back once opened, with ${cipher}`, () => {
      const writer = new PacketWriter();
      const reader = new PacketReader(256 * 1024);
      writer.setKeys(keysFor(cipher, 'hmac-sha2-256'));
      reader.setKeys(keysFor(cipher, 'hmac-sha2-256'));
      const packet = writer.write(bytes(20_000, 7));
      // The pool's most recently freed buffer of the packet's class is the one the carry takes.
      const marker = takePacketBuffer(packet.length);
      const pooled = marker.buffer;
      recyclePacketBuffer(marker);
      const scratch = Buffer.alloc(packet.length);
      scratch.set(packet.subarray(0, 9000));
      reader.push(scratch.subarray(0, 9000), true);
      expect(reader.next()).toBeUndefined();
      reader.release();
      scratch.fill(0xee);
      // In use by the carry: the pool hands out another buffer meanwhile.
      const meanwhile = takePacketBuffer(packet.length);
      expect(meanwhile.buffer).not.toBe(pooled);
      recyclePacketBuffer(meanwhile);
      scratch.set(packet.subarray(9000));
      reader.push(scratch.subarray(0, packet.length - 9000), true);
      const payload = reader.next();
      reader.release();
      expect(payload && Buffer.from(payload).equals(Buffer.from(bytes(20_000, 7)))).toBe(true);
      // Back in the pool, and the payload does not live in it: a later packet cannot overwrite it.
      expect(payload?.buffer).not.toBe(pooled);
      const after = takePacketBuffer(packet.length);
      expect(after.buffer).toBe(pooled);
      recyclePacketBuffer(after);
    });
  }

  it('keeps a carried packet that opens after a rekey to no cipher, whose payload is a view of it', () => {
    const writer = new PacketWriter();
    const reader = new PacketReader(256 * 1024);
    writer.setKeys(keysFor('aes128-gcm@openssh.com', 'hmac-sha2-256'));
    reader.setKeys(keysFor('aes128-gcm@openssh.com', 'hmac-sha2-256'));
    const first = writer.write(bytes(100, 1));
    writer.setKeys({});
    const second = writer.write(bytes(20_000, 2));
    const wire = Buffer.concat([first, second]);
    const scratch = Buffer.alloc(wire.length);
    const cut = first.length + 9000;
    scratch.set(wire.subarray(0, cut));
    reader.push(scratch.subarray(0, cut), true);
    expect(reader.next()?.length).toBe(100);
    reader.setKeys({});
    expect(reader.next()).toBeUndefined();
    reader.release();
    scratch.fill(0xee);
    scratch.set(wire.subarray(cut));
    reader.push(scratch.subarray(0, wire.length - cut), true);
    const payload = reader.next();
    reader.release();
    // Whatever the pool hands out next for a packet of that size, the payload stays as it came.
    const later = takePacketBuffer(second.length);
    later.fill(0xee);
    recyclePacketBuffer(later);
    expect(payload && Buffer.from(payload).equals(Buffer.from(bytes(20_000, 2)))).toBe(true);
  });

  it('wraps sequence numbers at 2^32', () => {
    const writer = new PacketWriter();
    writer.seq = 0xffffffff;
    writer.write(Uint8Array.of(2));
    expect(writer.seq).toBe(0);
  });
});
