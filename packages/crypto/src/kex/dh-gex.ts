/**
 * Diffie-Hellman group exchange (RFC 4419): the client asks for a group size, the server picks a
 * group (from moduli, default the RFC 3526 groups 14-18), then a DH exchange in that group.
 * Client checks: the group's size within the requested bounds, 1 < g < p-1. Server checks:
 * min <= n <= max.
 * @module
 */

import { bigintToUnsignedBytes, unsignedBytesToBigint, Writer } from '@ssh/wire';
import { KeyExchangeError } from '../errors.ts';
import type { HashName } from '../hash.ts';
import { digest, misuse, randomSource, readMessage, transcriptWriter } from './common.ts';
import { dhKeyPair, modpGroup } from './dh.ts';
import type { DhGroup, GexBounds, KexExchange, KexImpl, KexOptions, KexResult, KexStep } from './types.ts';

export const MSG_KEX_DH_GEX_REQUEST_OLD = 30;
export const MSG_KEX_DH_GEX_GROUP = 31;
export const MSG_KEX_DH_GEX_INIT = 32;
export const MSG_KEX_DH_GEX_REPLY = 33;
export const MSG_KEX_DH_GEX_REQUEST = 34;

/** Client defaults (OpenSSH's): at least 2048 bits, prefer 3072, at most 8192. */
export const DEFAULT_GEX_BOUNDS: GexBounds = { min: 2048, preferred: 3072, max: 8192 };
/** Largest modulus accepted from a server or requested by a client. */
export const GEX_MAX_BITS = 8192;
/** Smallest modulus a client accepts. */
export const GEX_MIN_BITS = 1024;

function bitLength(v: bigint): number {
  return v.toString(2).length;
}

/**
 * A server's choice for a request: groups whose size is within [min, max]; of those, the smallest
 * size at least `preferred`, else the largest; the first group of that size.
 */
/**
 * A client's checks on the group a server chose (RFC 4419 §3): its size within what was asked
 * (and our own bounds), an odd modulus (a safe prime's first property; an even one is a broken
 * moduli file, and a DH group over it leaks the secret), a generator in 2..p-2.
 */
export function checkGexGroup(algorithm: string, g: DhGroup, bounds: GexBounds): void {
  const bits = bitLength(g.p);
  if (g.p <= 0n || bits < Math.max(bounds.min, GEX_MIN_BITS) || bits > Math.min(bounds.max, GEX_MAX_BITS)) {
    throw new KeyExchangeError(algorithm, `server's group is ${bits} bits, outside the requested ${bounds.min}..${bounds.max}`);
  }
  if ((g.p & 1n) === 0n) throw new KeyExchangeError(algorithm, "server's modulus is even, not a prime");
  if (g.g <= 1n || g.g >= g.p - 1n) throw new KeyExchangeError(algorithm, 'server generator out of range');
}

export function chooseGexGroup(groups: readonly DhGroup[], bounds: GexBounds): DhGroup | undefined {
  const fit = groups.filter((g) => {
    const bits = bitLength(g.p);
    return bits >= bounds.min && bits <= bounds.max;
  });
  if (fit.length === 0) return undefined;
  const sizes = [...new Set(fit.map((g) => bitLength(g.p)))].sort((a, b) => a - b);
  const size = sizes.find((s) => s >= bounds.preferred) ?? (sizes[sizes.length - 1] as number);
  return fit.find((g) => bitLength(g.p) === size);
}

/** Groups from an OpenSSH moduli(5) file: safe primes (type 2) that passed Miller-Rabin. */
export function parseModuli(text: string): DhGroup[] {
  const out: DhGroup[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const f = t.split(/\s+/);
    if (f.length !== 7) continue;
    const [, type, tests, , size, gen, mod] = f as [string, string, string, string, string, string, string];
    if (type !== '2' || (Number.parseInt(tests, 10) & 0x04) === 0 || !/^[0-9a-fA-F]+$/.test(mod) || !/^[0-9]+$/.test(gen)) continue;
    const p = BigInt(`0x${mod}`);
    if (bitLength(p) !== Number.parseInt(size, 10) + 1) continue;
    out.push({ p, g: BigInt(gen) });
  }
  return out;
}

const defaultGroups = (): DhGroup[] => ([14, 15, 16, 17, 18] as const).map((n) => modpGroup(n));

export function gexKex(algorithm: string, hash: HashName): KexImpl {
  return {
    hash,
    create(role, transcript, options?: KexOptions): KexExchange {
      const random = randomSource(options);
      let phase: 'idle' | 'requested' | 'group' | 'signing' | 'done' = 'idle';
      // What the client asked for, as hashed: [min, n, max] or [n] for the old request.
      let request: readonly number[] = [];
      let group: DhGroup | undefined;
      let client: ReturnType<typeof dhKeyPair> | undefined;
      let pending: { hostKey: Uint8Array; f: bigint; result: KexResult } | undefined;

      const hashOf = (hostKey: Uint8Array, e: bigint, f: bigint, k: Uint8Array): Uint8Array => {
        const w = transcriptWriter(transcript, hostKey);
        for (const v of request) w.u32(v);
        const g = group as DhGroup;
        w.mpint(g.p).mpint(g.g).mpint(e).mpint(f).raw(k);
        return digest(hash, w.bytesView());
      };
      const mpintOf = unsignedBytesToBigint;
      const unsigned = (v: bigint): Uint8Array => bigintToUnsignedBytes(v);

      return {
        algorithm,
        role,
        start() {
          if (phase !== 'idle') throw misuse(algorithm, 'start() called twice');
          if (role === 'server') {
            if (options?.hostKey === undefined) throw misuse(algorithm, 'the server needs options.hostKey');
            phase = 'requested';
            return [];
          }
          const b = options?.gexBounds ?? DEFAULT_GEX_BOUNDS;
          if (!(b.min <= b.preferred && b.preferred <= b.max)) throw misuse(algorithm, 'gexBounds must satisfy min <= preferred <= max');
          request = [b.min, b.preferred, b.max];
          phase = 'requested';
          return [new Writer(16).u8(MSG_KEX_DH_GEX_REQUEST).u32(b.min).u32(b.preferred).u32(b.max).finish()];
        },
        receive(payload): KexStep {
          if (role === 'client') {
            if (phase === 'requested') {
              const g = readMessage(algorithm, payload, MSG_KEX_DH_GEX_GROUP, 'DH GEX group', (r) => ({ p: r.mpint('p'), g: r.mpint('g') }));
              const [min, preferred, max] = request as [number, number, number];
              checkGexGroup(algorithm, g, { min, preferred, max });
              const bits = bitLength(g.p);
              group = g;
              client = dhKeyPair(g, random, algorithm);
              phase = 'group';
              return { type: 'send', messages: [new Writer(bits / 8 + 16).u8(MSG_KEX_DH_GEX_INIT).mpint(mpintOf(client.publicValue)).finish()] };
            }
            if (phase === 'group') {
              const reply = readMessage(algorithm, payload, MSG_KEX_DH_GEX_REPLY, 'DH GEX reply', (r) => ({
                hostKey: r.bytes('host key'),
                f: r.mpint('f'),
                signature: r.bytes('signature'),
              }));
              const c = client as ReturnType<typeof dhKeyPair>;
              if (reply.f <= 0n) throw new KeyExchangeError(algorithm, 'peer DH value out of range (must be 1 < v < p-1)');
              const k = new Writer(1100).mpint(mpintOf(c.complete(unsigned(reply.f)))).finish();
              phase = 'done';
              return {
                type: 'done',
                messages: [],
                result: {
                  sharedSecret: k,
                  exchangeHash: hashOf(reply.hostKey, mpintOf(c.publicValue), reply.f, k),
                  hostKey: Uint8Array.from(reply.hostKey),
                  signature: Uint8Array.from(reply.signature),
                  hash,
                },
              };
            }
            throw misuse(algorithm, `unexpected message in phase ${phase}`);
          }
          // server
          if (phase === 'requested') {
            const first = payload[0];
            let bounds: GexBounds;
            if (first === MSG_KEX_DH_GEX_REQUEST_OLD) {
              const n = readMessage(algorithm, payload, MSG_KEX_DH_GEX_REQUEST_OLD, 'DH GEX request (old)', (r) => r.u32('n'));
              request = [n];
              bounds = { min: Math.min(n, 2048), preferred: n, max: Math.max(n, GEX_MAX_BITS) };
            } else {
              const b = readMessage(algorithm, payload, MSG_KEX_DH_GEX_REQUEST, 'DH GEX request', (r) => ({
                min: r.u32('min'),
                preferred: r.u32('n'),
                max: r.u32('max'),
              }));
              if (!(b.min <= b.preferred && b.preferred <= b.max)) {
                throw new KeyExchangeError(algorithm, `bad DH GEX request: min ${b.min}, n ${b.preferred}, max ${b.max}`);
              }
              request = [b.min, b.preferred, b.max];
              bounds = b;
            }
            const chosen = chooseGexGroup(options?.gexGroups ?? defaultGroups(), bounds);
            if (chosen === undefined) throw new KeyExchangeError(algorithm, `no group between ${bounds.min} and ${bounds.max} bits`);
            group = chosen;
            phase = 'group';
            return { type: 'send', messages: [new Writer(1100).u8(MSG_KEX_DH_GEX_GROUP).mpint(chosen.p).mpint(chosen.g).finish()] };
          }
          if (phase === 'group') {
            const e = readMessage(algorithm, payload, MSG_KEX_DH_GEX_INIT, 'DH GEX init', (r) => r.mpint('e'));
            if (e <= 0n) throw new KeyExchangeError(algorithm, 'peer DH value out of range (must be 1 < v < p-1)');
            const kp = dhKeyPair(group as DhGroup, random, algorithm);
            const k = new Writer(1100).mpint(mpintOf(kp.complete(unsigned(e)))).finish();
            const hostKey = options?.hostKey as Uint8Array;
            const f = mpintOf(kp.publicValue);
            const h = hashOf(hostKey, e, f, k);
            pending = { hostKey, f, result: { sharedSecret: k, exchangeHash: h, hostKey, signature: undefined, hash } };
            phase = 'signing';
            return { type: 'sign', exchangeHash: h };
          }
          throw misuse(algorithm, `unexpected message in phase ${phase}`);
        },
        sign(signature): KexStep {
          const p = pending;
          if (phase !== 'signing' || p === undefined) throw misuse(algorithm, 'sign() without a pending signature request');
          phase = 'done';
          const msg = new Writer(2048).u8(MSG_KEX_DH_GEX_REPLY).bytes(p.hostKey).mpint(p.f).bytes(signature).finish();
          return { type: 'done', messages: [msg], result: p.result };
        },
      };
    },
  };
}
