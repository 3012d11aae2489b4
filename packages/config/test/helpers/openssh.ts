/**
 * Running OpenSSH's own config dumpers for comparison: `ssh -G` and `sshd -T`, with a time
 * limit, bounded parallelism, and output parsed into keyword -> lines.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface DumpResult {
  readonly ok: boolean;
  readonly lines: ReadonlyMap<string, string[]>;
  readonly stderr: string;
}

export function parseDump(stdout: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const sp = line.indexOf(' ');
    const k = (sp < 0 ? line : line.slice(0, sp)).toLowerCase();
    const v = sp < 0 ? '' : line.slice(sp + 1);
    out.set(k, [...(out.get(k) ?? []), v]);
  }
  return out;
}

export function runDump(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 10_000): Promise<DumpResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      resolve({ ok: err === null, lines: parseDump(stdout), stderr });
    });
  });
}

/** Runs tasks with at most `limit` in flight. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** A small deterministic PRNG (mulberry32). */
export function rng(seed: number): { next(): number; int(n: number): number; pick<T>(a: readonly T[]): T; chance(p: number): boolean } {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (a) => a[Math.floor(next() * a.length)] as (typeof a)[number],
    chance: (p) => next() < p,
  };
}

/**
 * Writes a case's files under `dir` (`$D` in their text stands for `dir`); the first one named is
 * the main config, whose path is returned.
 */
export function writeCaseFiles(dir: string, files: Readonly<Record<string, string>>): string {
  const names = Object.keys(files);
  for (const name of names) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, (files[name] as string).replaceAll('$D', dir));
  }
  return join(dir, names[0] as string);
}

/** Algorithm lists as ssh and sshd check them: the names, and the `+`, `-` and `^` forms. */
export const ALGORITHM_LIST_CASES: readonly (readonly [keyword: string, value: string])[] = (() => {
  const kinds: readonly (readonly [string[], string, string])[] = [
    [['Ciphers'], 'aes128-ctr', 'aes'],
    [['MACs'], 'hmac-sha2-256', 'hmac'],
    [['KexAlgorithms'], 'curve25519-sha256', 'ecdh'],
    [['HostKeyAlgorithms', 'PubkeyAcceptedAlgorithms', 'HostbasedAcceptedAlgorithms', 'CASignatureAlgorithms'], 'ssh-ed25519', 'ecdsa'],
  ];
  const out: [string, string][] = [];
  for (const [keywords, v, prefix] of kinds) {
    const values = [v, 'bogus', '+bogus', '-bogus', '^bogus', `${v},bogus`, `${v},`, `${v},,bogus`, `,${v}`, ',bogus', ',', '-', '+', '^', '-*', `+${v}`, `^${v}`, `-${v}`, `${prefix}*`, `+${prefix}*`, `-${prefix}*`, `!${v}`, `${v},!${v}`, `+!${v}`, `^,`, `+,${v}`, `-${v},bogus`, `+${v},bogus`, v.toUpperCase(), '*', `"${v}"`, `${v} ${v}`, '""'];
    for (const k of keywords) for (const value of values) out.push([k, value]);
  }
  const keyValues = ['rsa', 'RSA', 'ECDSA-SK', 'ed25519-cert', 'ssh-rsa-cert-v01@openssh.com', 'rsa-sha2-256-cert-v01@openssh.com', '!ssh-rsa', '!bogus', 'ssh-*', 'bogus*', 'ssh-*,!ssh-rsa', 'ssh-ed25519,rsa', '+rsa', '^rsa', 'xmss', 'SSH-RSA', 'webauthn-sk-ecdsa-sha2-nistp256@openssh.com', 'ssh-rsa,!bogus', 'ssh-ed25519,,bogus'];
  for (const k of ['HostKeyAlgorithms', 'PubkeyAcceptedAlgorithms', 'HostbasedAcceptedAlgorithms', 'CASignatureAlgorithms']) for (const value of keyValues) out.push([k, value]);
  return out;
})();
