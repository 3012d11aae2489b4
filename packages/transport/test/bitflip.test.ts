/**
 * Bit flips after key exchange, for every cipher and MAC of the registry: one corrupted byte at any
 * offset of a packet (length field, padding length, payload, padding, tag) always ends in a MAC
 * error, never in a distinguishable "bad length" error, and never in more buffering than one
 * maximum-size packet.
 *
 * What we do with a corrupted length (documented here, asserted below): once keys are set, a length
 * that is out of range or misaligned is reported at once as a MAC error with the same DISCONNECT
 * description as a failed tag. A length that happens to decrypt to a plausible value makes us wait
 * for that many bytes (at most the maximum packet size, never more), after which the MAC or tag
 * check fails. Unlike OpenSSH we do not then keep discarding up to the maximum size before reporting
 * a bad length in the non-ETM ("classic") layouts, so there the number of bytes read before the
 * error still differs between the two cases; CBC modes, where that matters, are not offered by
 * default.
 */
import { MacError, createStandardRegistry } from '@ssh/crypto';
import { Ignore, ServiceRequest } from '@ssh/wire';
import { describe, expect, it } from 'vitest';
import { MACError, PacketReader, PacketWriter } from '../src/index.ts';
import { buffered, connected, deliver, drain, inject, ownDisconnect } from './helpers/hostile.ts';

const registry = createStandardRegistry();
const ciphers = registry.names('cipher');
const macs = registry.names('mac');
const isAead = (cipher: string): boolean => registry.require('cipher', cipher).impl.aead === true;
const MAX = 35_000;

/** Every cipher with every MAC; an AEAD cipher ignores the MAC, so it comes once. */
const combos: readonly (readonly [string, string])[] = ciphers.flatMap((c) => (isAead(c) ? [[c, macs[0] as string] as const] : macs.map((m) => [c, m] as const)));

function keys(cipherName: string, macName: string, seed: number) {
  const cipher = registry.require('cipher', cipherName).impl;
  const mac = cipher.aead ? undefined : registry.require('mac', macName).impl;
  const fill = (n: number, v: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + v + seed) & 0xff);
  return { cipher, key: fill(cipher.keyLength, 1), iv: fill(cipher.ivLength, 2), mac, macKey: fill(mac?.keyLength ?? 0, 3) };
}

const payload = ServiceRequest.encode({ serviceName: 'ssh-userauth-with-a-longer-name' });
const filler = Ignore.encode({ data: new Uint8Array(1000) });

/**
 * Flips `mask` in byte `offset` of the second packet of a keyed stream and reads on, feeding the
 * writer's later packets while the reader waits. Returns what the reader threw and the most it held.
 */
function flipAtReader(cipher: string, mac: string, offset: number, mask: number): { error: unknown; maxBuffered: number; offsetUsed: number } {
  const writer = new PacketWriter();
  const reader = new PacketReader(MAX);
  writer.setKeys(keys(cipher, mac, 0));
  reader.setKeys(keys(cipher, mac, 0));
  reader.push(writer.write(payload));
  expect(reader.next()).toBeDefined();
  const packet = writer.write(payload).slice();
  const at = offset % packet.length;
  packet[at] = (packet[at] as number) ^ mask;
  let maxBuffered = 0;
  try {
    reader.push(packet);
    for (let i = 0; i < 100; i++) {
      maxBuffered = Math.max(maxBuffered, reader.buffered);
      const p = reader.next();
      if (p) throw new Error(`a corrupted packet was accepted (${cipher}, ${mac}, offset ${at})`);
      reader.push(writer.write(filler));
    }
  } catch (error) {
    return { error, maxBuffered, offsetUsed: at };
  }
  throw new Error(`no error after 100 more packets (${cipher}, ${mac}, offset ${at})`);
}

describe('bit flips at the packet reader, every cipher x MAC, every byte', () => {
  for (const [cipher, mac] of combos) {
    it(`${cipher}${isAead(cipher) ? '' : ` + ${mac}`}`, () => {
      // The corrupted packet's size: flip each of its bytes in turn, with a varying bit.
      const probe = new PacketWriter();
      probe.setKeys(keys(cipher, mac, 0));
      const size = probe.write(payload).length;
      for (let offset = 0; offset < size; offset++) {
        const { error, maxBuffered } = flipAtReader(cipher, mac, offset, 1 << (offset % 8));
        expect(error, `offset ${offset}`).toBeInstanceOf(MacError);
        // Never more than one maximum-size packet (plus its length field and tag) held.
        expect(maxBuffered).toBeLessThanOrEqual(MAX + 4 + 64 + filler.length + 64);
      }
    });
  }
});

describe('bit flips through the transport, every cipher x MAC', () => {
  combos.forEach(([cipher, mac], index) => {
    it(`${cipher}${isAead(cipher) ? '' : ` + ${mac}`}: MACError, a DISCONNECT the peer reads, the same description for a bad length`, () => {
      const descriptions = new Set<string>();
      // One flip in the length field, one elsewhere (rotating over the packet with the combo index).
      for (const offset of [index % 4, 4 + ((index * 7) % 40)]) {
        const opts = { kexAlgorithms: ['curve25519-sha256'], encryptionAlgorithms: [cipher], macAlgorithms: [mac] };
        const [c, s] = connected(opts, { ...opts, maxPacketLength: MAX });
        inject(c.transport, payload);
        const packet = c.transport.takeOutput() as Uint8Array;
        const at = offset % packet.length;
        packet[at] = (packet[at] as number) ^ 0x10;
        s.transport.receive(packet);
        let maxBuffered = buffered(s.transport);
        // A plausible corrupted length makes the server wait: the client keeps talking.
        for (let i = 0; i < 60 && !s.transport.isClosed; i++) {
          inject(c.transport, filler);
          deliver(c, s);
          maxBuffered = Math.max(maxBuffered, buffered(s.transport));
        }
        drain(s);
        const error = ownDisconnect(s);
        expect(error, `offset ${at}`).toBeInstanceOf(MACError);
        descriptions.add((error as MACError).reason);
        expect(maxBuffered).toBeLessThanOrEqual(MAX + 4 + 64 + filler.length + 64);
        deliver(s, c);
        expect(drain(c).find((e) => e.type === 'disconnect')).toMatchObject({ byPeer: true, error: { reasonCode: 5 } });
      }
      expect([...descriptions]).toEqual(['message authentication code incorrect']);
    });
  });
});
