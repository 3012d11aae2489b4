/**
 * Handshake benchmarks (issues 7 and 8), ours and the peers in the same run, against sshd with an
 * ed25519 host key, ed25519 public key auth, aes128-gcm@openssh.com and no compression:
 *
 * - Latency of connect + auth + close (handshake), and of connect + auth + exec `true` + close,
 *   our client versus ssh2 and AsyncSSH (and OpenSSH `ssh host true`, a whole process, for the
 *   exec variant). Our client's defaults put sntrup761x25519-sha512 first, which sshd 9.2 takes,
 *   while ssh2 and AsyncSSH 2.10 know no post-quantum exchange and settle on curve25519-sha256; so
 *   both are also given with our client limited to curve25519-sha256, like for like. Each figure is 1 / the median of HANDSHAKE_BENCH_ITERATIONS (20) sequential
 *   connections, in connections per second, so that higher is better like every other row. The
 *   clients take turns, one connection each per round (the order rotating), so that load coming
 *   and going on a shared machine falls on all of them alike. Our client and ssh2 run, and are
 *   timed, in a process of their own that spawns nothing (../peers/runner.ts); `ssh` is spawned
 *   from this one.
 * - Our server's handshakes per second against CONCURRENCY clients at once (our client as the load
 *   generator, for 2 s, limited to curve25519-sha256, the exchange all three servers share),
 *   versus sshd and the ssh2 server under the same load, the 2 s taken in LOAD_ROUNDS turns per
 *   server for the same reason. Each server runs in a process of its own so that it does not
 *   share the load generator's event loop.
 * @module
 */

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultClientKey, generateKey, startSshd, type KeyPair } from '@ssh/interop';
import { median } from '../measure.ts';
import type { BenchRunOptions } from '../peers/options.ts';
import { startServerProcess, type ServerProcess } from '../peers/server-process.ts';
import { runPythonJson } from '../python.ts';
import type { Benchmark, BenchResult } from '../types.ts';
import { startRunner, type Runner } from '../peers/runner.ts';
import { CIPHER, envNumber, opensshRunSeconds, ourClose, ourConnect, type Endpoint } from './connection-common.ts';
import type * as handshakeClients from './handshake-clients.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const CONCURRENCY = 8;
/** Turns each server's load time is split into (taken in rotation with the other servers). */
const LOAD_ROUNDS = 4;
/** The key exchange ssh2 and AsyncSSH 2.10 negotiate with sshd 9.2. */
const SHARED_KEX = ['curve25519-sha256'];

/** Sequential connections timed per client: 20, or HANDSHAKE_BENCH_ITERATIONS. */
export function handshakeIterations(env: NodeJS.ProcessEnv = process.env): number {
  return Math.round(envNumber(env, 'HANDSHAKE_BENCH_ITERATIONS', 20));
}

export interface HandshakeBenchOptions extends BenchRunOptions {
  readonly iterations?: number;
  /** How long the load runs against each server, in ms (default 2000; 200 quick). */
  readonly loadMs?: number;
}

/** `keys` rotated left by `by`. */
function rotated<T>(keys: readonly T[], by: number): T[] {
  const n = by % keys.length;
  return [...keys.slice(n), ...keys.slice(0, n)];
}

/**
 * Connections per second of each body (which answers the seconds its run took): 1 / the median
 * of `iterations` runs, after a warm-up of each. The bodies take turns, one run each per round,
 * in an order that rotates every round.
 */
async function perSecondEach<K extends string>(iterations: number, bodies: Readonly<Record<K, () => Promise<number>>>): Promise<Record<K, number>> {
  const keys = Object.keys(bodies) as K[];
  const seconds = new Map<K, number[]>(keys.map((k) => [k, []]));
  for (const k of keys) await bodies[k]();
  for (let i = 0; i < iterations; i++) {
    for (const k of rotated(keys, i)) seconds.get(k)?.push(await bodies[k]());
  }
  return Object.fromEntries(keys.map((k) => [k, 1 / Math.max(median(seconds.get(k) ?? []), 1e-6)])) as Record<K, number>;
}

/** Handshakes that `concurrency` loops of our client complete against `ep` in `ms`, and the time taken. */
async function handshakeWindow(ep: Endpoint, ms: number, concurrency = CONCURRENCY): Promise<{ done: number; seconds: number }> {
  let done = 0;
  const t0 = performance.now();
  const end = t0 + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await ourClose(await ourConnect(ep));
        done++;
      }
    }),
  );
  return { done, seconds: (performance.now() - t0) / 1000 };
}

/** Handshakes per second against each endpoint: `ms` each, in `rounds` turns taken in rotation. */
async function handshakeLoadEach<K extends string>(endpoints: Readonly<Record<K, Endpoint>>, ms: number, rounds: number): Promise<Record<K, number>> {
  const keys = Object.keys(endpoints) as K[];
  const totals = new Map<K, { done: number; seconds: number }>(keys.map((k) => [k, { done: 0, seconds: 0 }]));
  for (const k of keys) await ourClose(await ourConnect(endpoints[k]));
  for (let r = 0; r < rounds; r++) {
    for (const k of rotated(keys, r)) {
      const w = await handshakeWindow(endpoints[k], ms / rounds);
      const t = totals.get(k) as { done: number; seconds: number };
      t.done += w.done;
      t.seconds += w.seconds;
    }
  }
  return Object.fromEntries(keys.map((k) => [k, (totals.get(k)?.done ?? 0) / Math.max(totals.get(k)?.seconds ?? 0, 1e-6)])) as Record<K, number>;
}

/** Starts src/peers/handshake-server.ts in a process of its own. */
function startServer(kind: 'ours' | 'ssh2', hostKey: KeyPair, clientKey: KeyPair): Promise<ServerProcess> {
  return startServerProcess('handshake-server.ts', [kind, hostKey.privateKeyPath, clientKey.publicKey]);
}

interface AsyncsshFigures {
  version: string;
  handshake: number[];
  exec: number[];
}

export async function runHandshakeBench(options: HandshakeBenchOptions = {}): Promise<BenchResult[]> {
  const quick = options.quick === true;
  const iterations = options.iterations ?? (quick ? 2 : handshakeIterations());
  const loadMs = options.loadMs ?? (quick ? 200 : 2000);

  const [key, hostKey] = await Promise.all([defaultClientKey(), generateKey('ed25519', { label: 'handshake-bench-host' })]);
  const sshd = await startSshd({ hostKeys: [hostKey], config: [`Ciphers ${CIPHER}`, 'Compression no'], logLevel: 'ERROR' });
  const servers: ServerProcess[] = [];
  let runner: Runner<typeof handshakeClients> | undefined;
  try {
    // Our client and ssh2 in a process of their own that spawns nothing (see runner.ts): this
    // one spawns `ssh` between their connections.
    const clients = await startRunner<typeof handshakeClients>(path.join(here, 'handshake-clients.ts'));
    runner = clients;
    const ep: Endpoint = { port: sshd.port, user: sshd.user, key };
    const shared: Endpoint = { ...ep, kexAlgs: SHARED_KEX };
    const handshakes = await perSecondEach(iterations, {
      ours: () => clients.call('ourHandshake', ep),
      oursShared: () => clients.call('ourHandshake', shared),
      ssh2: () => clients.call('ssh2Handshake', ep),
    });
    const execs = await perSecondEach(iterations, {
      ours: () => clients.call('ourExec', ep),
      oursShared: () => clients.call('ourExec', shared),
      ssh2: () => clients.call('ssh2Exec', ep),
      openssh: () => opensshRunSeconds(sshd, key, 'true'),
    });
    const ours = { handshake: handshakes.ours, sharedKex: handshakes.oursShared, exec: execs.ours, execSharedKex: execs.oursShared };
    const ssh2 = { handshake: handshakes.ssh2, exec: execs.ssh2 };
    const opensshExec = execs.openssh;
    const py = runPythonJson<AsyncsshFigures>(
      path.join(here, '../peers/handshake_asyncssh.py'),
      ['127.0.0.1', String(sshd.port), sshd.user, key.privateKeyPath, String(iterations)],
      300_000,
    );

    const ourServer = await startServer('ours', hostKey, key);
    servers.push(ourServer);
    const ssh2Server = await startServer('ssh2', hostKey, key);
    servers.push(ssh2Server);
    const load = await handshakeLoadEach({ ours: { ...shared, port: ourServer.port }, sshd: shared, ssh2: { ...shared, port: ssh2Server.port } }, loadMs, quick ? 1 : LOAD_ROUNDS);

    const asyncsshName = py.ok ? `AsyncSSH ${py.value.version}` : 'AsyncSSH';
    const pyRate = (k: 'handshake' | 'exec'): number | undefined => (py.ok ? 1 / Math.max(median(py.value[k]), 1e-6) : undefined);
    const note = py.ok ? {} : { note: py.error };
    const row = (name: string, unit: string, o: number, peerName: string, peer: number | undefined, extra: { note?: string } = {}): BenchResult => ({
      name,
      unit,
      ours: o,
      peerName,
      peer,
      ...extra,
    });
    const hs = 'connect+auth+close to sshd (our client, 1/median)';
    const hsShared = `connect+auth+close to sshd, ${SHARED_KEX.join(',')} (our client, 1/median)`;
    const ex = 'connect+auth+exec+close to sshd (our client, 1/median)';
    const exShared = `connect+auth+exec+close to sshd, ${SHARED_KEX.join(',')} (our client, 1/median)`;
    const srv = `handshakes by ${CONCURRENCY} concurrent clients, ${SHARED_KEX.join(',')} (our server)`;
    return [
      row(hs, 'conn/s', ours.handshake, 'ssh2', ssh2.handshake),
      row(hs, 'conn/s', ours.handshake, asyncsshName, pyRate('handshake'), note),
      row(hsShared, 'conn/s', ours.sharedKex, 'ssh2', ssh2.handshake),
      row(hsShared, 'conn/s', ours.sharedKex, asyncsshName, pyRate('handshake'), note),
      row(ex, 'conn/s', ours.exec, 'ssh2', ssh2.exec),
      row(ex, 'conn/s', ours.exec, asyncsshName, pyRate('exec'), note),
      row(ex, 'conn/s', ours.exec, 'OpenSSH ssh (process)', opensshExec),
      row(exShared, 'conn/s', ours.execSharedKex, 'ssh2', ssh2.exec),
      row(exShared, 'conn/s', ours.execSharedKex, asyncsshName, pyRate('exec'), note),
      row(srv, 'conn/s', load.ours, 'sshd', load.sshd),
      row(srv, 'conn/s', load.ours, 'ssh2 server', load.ssh2),
    ];
  } finally {
    await runner?.stop();
    await Promise.all(servers.map((s) => s.stop()));
    await sshd.stop();
  }
}

export const handshakeBenchmark: Benchmark = {
  id: 'handshake',
  description: 'connect+auth(+exec)+close latency vs ssh2, AsyncSSH and OpenSSH ssh; our server handshakes/s vs sshd and the ssh2 server',
  run: () => runHandshakeBench(),
};
