/**
 * `openssl speed` as a reference: the machine's own limit for a cipher, MAC or signature, parsed
 * from its machine-readable output (`-mr`).
 * @module
 */

import { spawn, spawnSync } from 'node:child_process';

export type OpensslResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** "OpenSSL 3.0.19" or the like; undefined when the command is missing. */
export function opensslVersion(): string | undefined {
  const proc = spawnSync('openssl', ['version'], { encoding: 'utf8', timeout: 10_000 });
  if (proc.error || proc.status !== 0) return undefined;
  return /^(\S+ \S+)/.exec(proc.stdout.trim())?.[1];
}

function runOpenssl(args: readonly string[], timeoutMs: number): Promise<OpensslResult<string>> {
  return new Promise((resolve) => {
    const child = spawn('openssl', ['speed', '-mr', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, error: e.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ ok: true, value: out });
      else resolve({ ok: false, error: `openssl speed ${args.join(' ')}: ${signal ?? `exit ${code}`} ${err.trim().split('\n').slice(-2).join(' ')}`.trim() });
    });
  });
}

/**
 * Bytes per second from `openssl speed -mr -bytes N` output (`+F:<n>:<name>:<rate>` lines hold one
 * rate per block size; with one `-bytes` size there is one).
 */
export function parseThroughput(output: string): number | undefined {
  for (const line of output.split('\n')) {
    const m = /^\+F:\d+:[^:]+:([\d.]+)/.exec(line.trim());
    if (m?.[1] !== undefined) return Number(m[1]);
  }
  return undefined;
}

/** Signatures and verifications per second, by `openssl speed` algorithm name (rsa2048, ecdsap256, ed25519). */
export interface SignatureRates {
  readonly sign: number;
  readonly verify: number;
}

/**
 * Signature rates from `openssl speed -mr` output: `+F2:<i>:<bits>:<sign>:<verify>` (RSA),
 * `+F4:<i>:<bits>:<sign>:<verify>` (ECDSA), `+F6:<i>:<bits>:<name>:<sign>:<verify>` (EdDSA).
 */
export function parseSignatureRates(output: string): Map<string, SignatureRates> {
  const rates = new Map<string, SignatureRates>();
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    let m = /^\+F2:\d+:(\d+):([\d.]+):([\d.]+)/.exec(line);
    if (m) rates.set(`rsa${m[1]}`, { sign: Number(m[2]), verify: Number(m[3]) });
    m = /^\+F4:\d+:(\d+):([\d.]+):([\d.]+)/.exec(line);
    if (m) rates.set(`ecdsap${m[1]}`, { sign: Number(m[2]), verify: Number(m[3]) });
    m = /^\+F6:\d+:\d+:([^:]+):([\d.]+):([\d.]+)/.exec(line);
    if (m?.[1] !== undefined) rates.set(m[1].toLowerCase(), { sign: Number(m[2]), verify: Number(m[3]) });
  }
  return rates;
}

export interface SpeedOptions {
  /** Seconds per figure (openssl's `-seconds`, whole seconds). */
  readonly seconds?: number;
  /** Run the invocations side by side (quick mode: the figures do not matter, only the time). */
  readonly parallel?: boolean;
}

async function each<K, V>(keys: readonly K[], parallel: boolean, run: (k: K) => Promise<V>): Promise<V[]> {
  if (parallel) return Promise.all(keys.map(run));
  const out: V[] = [];
  for (const k of keys) out.push(await run(k));
  return out;
}

/**
 * Bytes per second of each `openssl speed` subject at one block size: `evp:aes-128-gcm` for
 * `-evp aes-128-gcm`, `hmac:sha256` for `-hmac sha256`.
 */
export async function speedThroughput(
  subjects: readonly string[],
  blockSize: number,
  options: SpeedOptions = {},
): Promise<Map<string, OpensslResult<number>>> {
  const seconds = String(options.seconds ?? 1);
  const results = await each(subjects, options.parallel === true, async (subject) => {
    const [kind, name] = subject.split(':') as [string, string];
    const out = await runOpenssl(['-bytes', String(blockSize), '-seconds', seconds, `-${kind}`, name], 60_000);
    if (!out.ok) return [subject, out] as const;
    const rate = parseThroughput(out.value);
    return [subject, rate === undefined ? { ok: false as const, error: `no rate in openssl speed output for ${subject}` } : { ok: true as const, value: rate }] as const;
  });
  return new Map(results);
}

/** Sign and verify rates of `openssl speed` algorithms (ed25519, ecdsap256, rsa2048, rsa3072). */
export async function speedSignatures(
  algorithms: readonly string[],
  options: SpeedOptions = {},
): Promise<OpensslResult<Map<string, SignatureRates>>> {
  const seconds = String(options.seconds ?? 1);
  const outs = await each(algorithms, options.parallel === true, (alg) => runOpenssl(['-seconds', seconds, alg], 60_000));
  const rates = new Map<string, SignatureRates>();
  for (const out of outs) {
    if (!out.ok) return out;
    for (const [k, v] of parseSignatureRates(out.value)) rates.set(k, v);
  }
  return { ok: true, value: rates };
}
