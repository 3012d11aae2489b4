/**
 * Packet protection throughput (issue 4): seal+open of 32 KiB payloads with sequence numbers
 * through @ssh/crypto's `createSealer`/`createOpener`, in MiB/s of payload, for each cipher and
 * MAC family that matters. Two forms of ours: `seal` (the whole wire packet in one buffer, the
 * stricter of the two, the one the targets are read from), and `sealParts` as the
 * transport sends channel data (a 9-byte message header and the data as two pieces, the chunks
 * it returns copied into one reused receive buffer as the socket would, opened there). Ours and the bare loop run interleaved in short
 * slices timed in CPU seconds (`measureInterleaved`), so that a busy machine slows both alike.
 * Each figure is printed against three references measured in the same run:
 * - the bare node:crypto loop: the same cryptography per packet with no SSH framing
 *   (createCipheriv/setAAD/update/final/getAuthTag and the matching decipher for AEAD; one
 *   long-lived CTR cipher per direction plus an HMAC over seq || data otherwise);
 * - `openssl speed -evp` (and `-hmac`) at the same block size: the machine's limit; a seal and an
 *   open each encrypt (or decrypt) and authenticate the bytes once, so the comparable rate is
 *   1 / (2/cipher + 2/mac);
 * - AsyncSSH's packet encryption objects (peers/asyncssh_crypto.py), framed as it frames packets.
 * @module
 */

import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createOpener, createSealer, createStandardRegistry, recyclePacketBuffer, type Opener, type Sealer } from '@ssh/crypto';
import type { MeasureOptions } from '../measure.ts';
import { opensslVersion, speedThroughput } from '../peers/openssl.ts';
import { measureSettings, peerArgs, type BenchRunOptions } from '../peers/options.ts';
import { runPythonJson } from '../python.ts';
import type { Benchmark, BenchResult } from '../types.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Payload bytes per packet. */
export const PACKET_PAYLOAD = 32 * 1024;
const MIB = 1024 * 1024;

/** One cipher (+ MAC) family, with what the references do for it. */
interface Family {
  readonly cipher: string;
  readonly mac?: string;
  /** Node's name of the bare cipher, and of the HMAC hash when there is one. */
  readonly nodeCipher: string;
  readonly nodeHmac?: string;
  /** `openssl speed` subjects whose time per byte adds up to this family's. */
  readonly openssl: readonly string[];
  /** Why a reference measures less than the family does. */
  readonly referenceNote?: string;
}

export const PACKET_FAMILIES: readonly Family[] = [
  { cipher: 'aes128-gcm@openssh.com', nodeCipher: 'aes-128-gcm', openssl: ['evp:aes-128-gcm'] },
  { cipher: 'aes256-gcm@openssh.com', nodeCipher: 'aes-256-gcm', openssl: ['evp:aes-256-gcm'] },
  {
    cipher: 'chacha20-poly1305@openssh.com',
    nodeCipher: 'chacha20-poly1305',
    openssl: ['evp:chacha20-poly1305'],
    referenceNote: "references run the IETF AEAD (RFC 8439), not OpenSSH's construction",
  },
  {
    cipher: 'aes128-ctr',
    mac: 'hmac-sha2-256-etm@openssh.com',
    nodeCipher: 'aes-128-ctr',
    nodeHmac: 'sha256',
    openssl: ['evp:aes-128-ctr', 'hmac:sha256'],
  },
  {
    cipher: 'aes256-ctr',
    mac: 'hmac-sha2-512',
    nodeCipher: 'aes-256-ctr',
    nodeHmac: 'sha512',
    openssl: ['evp:aes-256-ctr', 'hmac:sha512'],
  },
  {
    cipher: 'aes128-ctr',
    mac: 'umac-64-etm@openssh.com',
    nodeCipher: 'aes-128-ctr',
    openssl: ['evp:aes-128-ctr'],
    referenceNote: 'node and openssl have no UMAC: references are AES-CTR alone',
  },
];

export function familyName(f: Family): string {
  return f.mac === undefined ? f.cipher : `${f.cipher}+${f.mac}`;
}

const registry = createStandardRegistry();

/** A sealer and an opener of family `f` under the same fresh random keys. */
function keyedPair(f: Family): { sealer: Sealer; opener: Opener } {
  const cipher = registry.require('cipher', f.cipher).impl;
  const mac = f.mac === undefined ? undefined : registry.require('mac', f.mac).impl;
  const options = { cipher, key: randomBytes(cipher.keyLength), iv: randomBytes(cipher.ivLength), mac, macKey: randomBytes(mac?.keyLength ?? 0) };
  return { sealer: createSealer(options), opener: createOpener(options) };
}

/**
 * Ours: seal then open one packet per call, sequence numbers counting up. The sealed packet and
 * the opened payload go back to the packet buffers afterwards, as the transport hands them back
 * once the socket wrote one and the channel took the other: left to the garbage collector, two
 * fresh 32 KiB buffers per call made ours pay for collections the transport never causes
 * (interleaved with the bare loop, 1.0-1.6k MiB/s recycled against 0.56-0.77k not).
 */
export function oursBody(f: Family, payload: Uint8Array): () => void {
  const { sealer, opener } = keyedPair(f);
  let seq = 0;
  const once = (): Uint8Array => {
    const packet = sealer.seal(seq, payload);
    const total = opener.decryptLength(seq, packet.subarray(0, opener.headLength));
    const out = opener.open(seq, packet.subarray(0, total));
    recyclePacketBuffer(packet);
    seq = (seq + 1) >>> 0;
    return out;
  };
  if (!Buffer.from(once()).equals(payload)) throw new Error(`${familyName(f)}: round trip failed`);
  return () => recyclePacketBuffer(once());
}

/** Bytes of an SSH_MSG_CHANNEL_DATA header (type, channel, data length): the transport's `sealParts` payload. */
const DATA_HEADER = 9;

/**
 * Ours as the transport moves channel data: `sealParts(seq, header, data)`, the chunks copied into
 * one reused buffer (what the socket write and read do between two peers), opened there.
 */
export function oursPartsBody(f: Family, payload: Uint8Array): () => void {
  const { sealer, opener } = keyedPair(f);
  const header = payload.subarray(0, DATA_HEADER);
  const data = payload.subarray(DATA_HEADER);
  const wire = new Uint8Array(payload.length + 1024);
  let seq = 0;
  const once = (): Uint8Array => {
    let at = 0;
    for (const part of sealer.sealParts(seq, header, data)) {
      wire.set(part, at);
      at += part.length;
      recyclePacketBuffer(part);
    }
    const total = opener.decryptLength(seq, wire.subarray(0, opener.headLength));
    const out = opener.open(seq, wire.subarray(0, total));
    seq = (seq + 1) >>> 0;
    return out;
  };
  if (!Buffer.from(once()).equals(payload)) throw new Error(`${familyName(f)}: sealParts round trip failed`);
  return () => recyclePacketBuffer(once());
}

/** The bare node:crypto loop: the same cryptography per packet, no framing, no sequence bookkeeping. */
export function bareBody(f: Family, payload: Uint8Array): () => void {
  const aad = Buffer.alloc(4);
  if (f.nodeCipher.endsWith('gcm') || f.nodeCipher === 'chacha20-poly1305') {
    const key = randomBytes(f.nodeCipher === 'aes-128-gcm' ? 16 : 32);
    const iv = randomBytes(12);
    return () => {
      const c = createCipheriv(f.nodeCipher as 'aes-128-gcm', key, iv, { authTagLength: 16 });
      c.setAAD(aad);
      const ct = c.update(payload);
      c.final();
      const tag = c.getAuthTag();
      const d = createDecipheriv(f.nodeCipher as 'aes-128-gcm', key, iv, { authTagLength: 16 });
      d.setAAD(aad);
      d.setAuthTag(tag);
      d.update(ct);
      d.final();
    };
  }
  const key = randomBytes(f.nodeCipher === 'aes-128-ctr' ? 16 : 32);
  const iv = randomBytes(16);
  const enc = createCipheriv(f.nodeCipher, key, iv);
  const dec = createDecipheriv(f.nodeCipher, key, iv);
  const hash = f.nodeHmac;
  if (hash === undefined) {
    return () => void dec.update(enc.update(payload));
  }
  const macKey = randomBytes(hash === 'sha256' ? 32 : 64);
  const seqBuf = Buffer.alloc(4);
  return () => {
    const ct = enc.update(payload);
    const tag = createHmac(hash, macKey).update(seqBuf).update(ct).digest();
    if (!timingSafeEqual(createHmac(hash, macKey).update(seqBuf).update(ct).digest(), tag)) throw new Error('bad MAC');
    dec.update(ct);
  };
}

/** CPU seconds this process has used (user + system, all threads). */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * Calls per CPU second of each body, the bodies interleaved in short slices (ours, bare, bare,
 * ours, ... about 20 ms each) until each has run `rounds * roundMs`; the rate is the total calls
 * over the total CPU time of each. CPU time, as `openssl speed` measures by default, since on this
 * shared 2-core box wall time also counts the time other processes hold the core; and fine
 * interleaving, since what runs on the other core (another bench's AES, say) changes the CPU
 * time of ours and the bare loop alike only if both run under it for the same share of time:
 * sequential rounds, best or median, moved one ratio by 2.5x from run to run. Each body first
 * warms up and finds a batch that fills a slice.
 */
export function measureInterleaved(bodies: readonly (() => void)[], options: MeasureOptions = {}): number[] {
  const totalSeconds = ((options.roundMs ?? 250) * (options.rounds ?? 8)) / 1000;
  const slice = Math.min(0.02, totalSeconds / 8);
  const batches = bodies.map((body) => {
    let batch = 1;
    for (;;) {
      const t0 = cpuSeconds();
      for (let i = 0; i < batch; i++) body();
      const elapsed = cpuSeconds() - t0;
      if (elapsed >= slice / 4) return Math.max(1, Math.round((batch * slice) / Math.max(elapsed, 1e-6)));
      batch *= 4;
    }
  });
  const calls = bodies.map(() => 0);
  const seconds = bodies.map(() => 0);
  for (let r = 0; Math.min(...seconds) < totalSeconds; r++) {
    for (let k = 0; k < bodies.length; k++) {
      const i = r % 2 === 0 ? k : bodies.length - 1 - k;
      const body = bodies[i] as () => void;
      const batch = batches[i] as number;
      const t0 = cpuSeconds();
      for (let n = 0; n < batch; n++) body();
      seconds[i] = (seconds[i] as number) + cpuSeconds() - t0;
      calls[i] = (calls[i] as number) + batch;
    }
  }
  return calls.map((c, i) => c / Math.max(seconds[i] as number, 1e-6));
}

interface PeerFigures {
  version: string;
  packets: Record<string, number>;
  errors: Record<string, string>;
}

export async function runCryptoPacketBench(options: BenchRunOptions = {}): Promise<BenchResult[]> {
  const settings = measureSettings(options);
  const payload = Uint8Array.from({ length: PACKET_PAYLOAD }, (_, i) => i & 0xff);
  const toMiB = (opsPerSecond: number): number => (opsPerSecond * PACKET_PAYLOAD) / MIB;

  const ours = new Map<string, number>();
  const oursParts = new Map<string, number>();
  const bare = new Map<string, number>();
  for (const f of PACKET_FAMILIES) {
    const [o, b, p] = measureInterleaved([oursBody(f, payload), bareBody(f, payload), oursPartsBody(f, payload)], settings);
    ours.set(familyName(f), toMiB(o ?? 0));
    bare.set(familyName(f), toMiB(b ?? 0));
    oursParts.set(familyName(f), toMiB(p ?? 0));
  }

  const peer = runPythonJson<PeerFigures>(path.join(here, '../peers/asyncssh_crypto.py'), [
    ...peerArgs(options),
    ...PACKET_FAMILIES.map((f) => `packet=${familyName(f)}`),
  ]);
  const asyncsshName = peer.ok ? `AsyncSSH ${peer.value.version}` : 'AsyncSSH';

  const subjects = [...new Set(PACKET_FAMILIES.flatMap((f) => f.openssl))];
  const speeds = await speedThroughput(subjects, PACKET_PAYLOAD, { parallel: options.quick === true });
  const opensslName = `openssl speed (${opensslVersion() ?? 'OpenSSL'})`;

  const results: BenchResult[] = [];
  for (const f of PACKET_FAMILIES) {
    const id = familyName(f);
    const name = `seal+open 32 KiB ${id}`;
    const value = ours.get(id) ?? 0;
    const refNote = f.referenceNote === undefined ? {} : { note: f.referenceNote };
    results.push({ name, unit: 'MiB/s', ours: value, peerName: 'node:crypto bare loop', peer: bare.get(id), ...refNote });
    results.push({
      name: `${name} (sealParts, as the transport)`,
      unit: 'MiB/s',
      ours: oursParts.get(id) ?? 0,
      peerName: 'node:crypto bare loop',
      peer: bare.get(id),
      ...refNote,
    });

    // Seal+open passes each byte through every subject twice.
    let secondsPerByte = 0;
    let failure: string | undefined;
    for (const s of f.openssl) {
      const r = speeds.get(s);
      if (r === undefined || !r.ok) failure ??= r?.error ?? `no figure for ${s}`;
      else secondsPerByte += 2 / r.value;
    }
    results.push(
      failure === undefined
        ? { name, unit: 'MiB/s', ours: value, peerName: opensslName, peer: 1 / secondsPerByte / MIB, ...refNote }
        : { name, unit: 'MiB/s', ours: value, peerName: opensslName, peer: undefined, note: failure },
    );

    const figure = peer.ok ? peer.value.packets[id] : undefined;
    const why = peer.ok ? (peer.value.errors[id] ?? 'no figure') : peer.error;
    results.push({ name, unit: 'MiB/s', ours: value, peerName: asyncsshName, peer: figure, ...(figure === undefined ? { note: why } : {}) });
  }
  return results;
}

export const cryptoPacketBenchmark: Benchmark = {
  id: 'crypto-packet',
  description: 'seal+open of 32 KiB packets per cipher/MAC, vs bare node:crypto, openssl speed and AsyncSSH',
  run: () => runCryptoPacketBench(),
};
