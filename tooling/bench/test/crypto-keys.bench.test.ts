/**
 * The crypto and keys benchmarks in quick mode (one tiny round per figure, peers side by side):
 * every figure is produced with its references, the peers answer, and the openssl speed parsers
 * read real output. Timings are never checked, only the shape of the results.
 */
import { describe, expect, it } from 'vitest';
import { KEX_METHODS, runCryptoKexBench } from '../src/benches/crypto-kex.bench.ts';
import { PACKET_FAMILIES, familyName, runCryptoPacketBench } from '../src/benches/crypto-packet.bench.ts';
import { KEY_CASES, KNOWN_HOSTS_LINES, runKeysBench } from '../src/benches/keys.bench.ts';
import { parseSignatureRates, parseThroughput } from '../src/peers/openssl.ts';
import type { BenchResult } from '../src/types.ts';

const positive = (v: number | undefined): boolean => v !== undefined && Number.isFinite(v) && v > 0;

/** The rows of `results` named `name`, by peer family (the part of peerName before any version). */
function byPeer(results: readonly BenchResult[], name: string): Map<string, BenchResult> {
  const rows = results.filter((r) => r.name === name);
  return new Map(rows.map((r) => [r.peerName.split(' ')[0] ?? '', r]));
}

describe('openssl speed output', () => {
  it('reads the bytes per second of an -evp run', () => {
    const out = '+DT:AES-128-GCM:1:32768\n+R:143335:AES-128-GCM:1.000000\n+H:32768\n+F:25:AES-128-GCM:4696801280.00\n';
    expect(parseThroughput(out)).toBe(4696801280);
    expect(parseThroughput('+H:32768\n')).toBeUndefined();
  });

  it('reads RSA, ECDSA and EdDSA sign/verify rates', () => {
    const out = [
      '+R6:18917:256:0.99',
      '+F2:2:2048:3692.929293:60786.363636',
      '+F4:3:256:53238.888889:19108.080808',
      '+F6:0:253:Ed25519:33355.670103:12336.458333',
    ].join('\n');
    const rates = parseSignatureRates(out);
    expect(rates.get('rsa2048')).toEqual({ sign: 3692.929293, verify: 60786.363636 });
    expect(rates.get('ecdsap256')).toEqual({ sign: 53238.888889, verify: 19108.080808 });
    expect(rates.get('ed25519')).toEqual({ sign: 33355.670103, verify: 12336.458333 });
  });
});

describe('crypto-packet benchmark (quick)', () => {
  it('gives every family a figure against node:crypto, openssl speed and AsyncSSH', async () => {
    const results = await runCryptoPacketBench({ quick: true });
    expect(results).toHaveLength(PACKET_FAMILIES.length * 4);
    for (const f of PACKET_FAMILIES) {
      const parts = results.filter((r) => r.name === `seal+open 32 KiB ${familyName(f)} (sealParts, as the transport)`);
      expect(parts.map((r) => r.peerName)).toEqual(['node:crypto bare loop']);
      expect(positive(parts[0]?.ours) && positive(parts[0]?.peer)).toBe(true);
      const rows = byPeer(results, `seal+open 32 KiB ${familyName(f)}`);
      expect([...rows.keys()].sort()).toEqual(['AsyncSSH', 'node:crypto', 'openssl']);
      for (const [peer, r] of rows) {
        expect(r.unit).toBe('MiB/s');
        expect(positive(r.ours)).toBe(true);
        expect({ peer, figure: positive(r.peer), note: r.note }).toMatchObject({ peer, figure: true });
      }
      expect(rows.get('AsyncSSH')?.peerName).toMatch(/^AsyncSSH \d+\.\d+/);
      expect(rows.get('openssl')?.peerName).toMatch(/^openssl speed \(OpenSSL \d/);
    }
  }, 120_000);
});

describe('crypto-kex benchmark (quick)', () => {
  it('reports exchanges per second for every method, AsyncSSH where it has the method', async () => {
    const results = await runCryptoKexBench({ quick: true });
    expect(results.map((r) => r.name)).toEqual(KEX_METHODS.map((k) => `kex ${k} (client+server)`));
    for (const r of results) {
      expect(r.unit).toBe('kex/s');
      expect(positive(r.ours)).toBe(true);
      expect(r.peerName).toMatch(/^AsyncSSH \d+\.\d+/);
      // AsyncSSH 2.10 lacks the post-quantum hybrids: those carry the reason instead of a figure.
      if (r.peer === undefined && /sntrup|mlkem/.test(r.name)) expect(r.note).toMatch(/^not in AsyncSSH/);
      else expect({ name: r.name, figure: positive(r.peer), note: r.note }).toMatchObject({ figure: true });
    }
  }, 120_000);
});

describe('keys benchmark (quick)', () => {
  it('gives sign, verify, import and generation figures with their references', async () => {
    const results = await runKeysBench({ quick: true });
    for (const c of KEY_CASES) {
      for (const op of ['sign', 'verify']) {
        const name = results.find((r) => r.name.startsWith(`${op} ${c.id} (`))?.name ?? `${op} ${c.id}`;
        const rows = byPeer(results, name);
        expect([...rows.keys()].sort()).toEqual(['AsyncSSH', 'node:crypto', 'openssl']);
        for (const r of rows.values()) expect({ name, peer: r.peerName, ok: positive(r.ours) && positive(r.peer) }).toMatchObject({ ok: true });
      }
      for (const name of [`import openssh private ${c.id}`, `import openssh public ${c.id}`, ...(c.generate ? [`generate ${c.id}`] : [])]) {
        const rows = byPeer(results, name);
        expect([...rows.keys()].sort()).toEqual(['AsyncSSH', 'node:crypto']);
        for (const r of rows.values()) expect({ name, peer: r.peerName, ok: positive(r.ours) && positive(r.peer) }).toMatchObject({ ok: true });
      }
    }
    const kh = results.filter((r) => r.name.startsWith('import known_hosts'));
    expect(kh).toHaveLength(1);
    expect(kh[0]?.name).toContain(KNOWN_HOSTS_LINES.toLocaleString('en'));
    expect(kh[0]?.unit).toBe('lines/s');
    expect(positive(kh[0]?.ours) && positive(kh[0]?.peer)).toBe(true);
  }, 180_000);
});
