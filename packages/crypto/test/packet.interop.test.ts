/**
 * Packet protection against AsyncSSH 2.10.1 (vectors/asyncssh-packets.json, see vectors/README.md):
 * our opener opens AsyncSSH's packets, and our sealer, given the same padding bytes, produces
 * AsyncSSH's exact wire bytes, for every cipher and (with aes128-ctr) every MAC.
 */
import { describe, expect, it } from 'vitest';
import { createOpener, createSealer, createStandardRegistry } from '../src/index.ts';
import { hex, loadVectors, toHex } from './helpers/hex.ts';

interface Case {
  cipher: string;
  mac: string | null;
  key: string;
  iv: string;
  macKey: string;
  packets: { seq: number; payload: string; wire: string }[];
}

const registry = createStandardRegistry();
const cases = loadVectors<Case[]>('asyncssh-packets.json').filter(
  (c) => registry.get('cipher', c.cipher) !== undefined && (c.mac === null || registry.get('mac', c.mac) !== undefined),
);

describe('packets vs AsyncSSH', () => {
  it.each(cases.map((c) => [c.cipher, c.mac ?? '(aead)', c] as const))('%s + %s', (_c, _m, c) => {
    const options = {
      cipher: registry.require('cipher', c.cipher).impl,
      key: hex(c.key),
      iv: hex(c.iv),
      mac: c.mac === null ? undefined : registry.require('mac', c.mac).impl,
      macKey: hex(c.macKey),
      random: (out: Uint8Array) => void out.fill(0x5a),
    };
    const sealer = createSealer(options);
    const opener = createOpener(options);
    for (const p of c.packets) {
      expect(toHex(sealer.seal(p.seq, hex(p.payload)))).toBe(p.wire);
      const wire = hex(p.wire);
      const total = opener.decryptLength(p.seq, wire.subarray(0, opener.headLength));
      expect(total).toBe(wire.length);
      expect(toHex(opener.open(p.seq, wire))).toBe(p.payload);
    }
  });
});
