/**
 * Connection-layer benchmarks (issue 8), ours and the peers in the same run:
 *
 * - Stream throughput: reading N bytes (N = 256 MiB, CONNECTION_BENCH_MIB) of a remote command's
 *   stdout from sshd with aes128-gcm@openssh.com and no compression, our client versus OpenSSH `ssh` (stdout
 *   to /dev/null) and the `ssh2` npm client (with its native crypto binding when it is built).
 *   Our client reads stdout through chunks({ transient: true }), the way its README gives for
 *   streaming bulk data (each received buffer goes back to the packet pool once read); for `cat`
 *   it also reads with read() calls (every buffer the application's to keep), in the same rotation.
 *   In-process clients are timed from the first byte to EOF (the remote shell's start stays out);
 *   `ssh` is a process, timed whole minus an `ssh host true` run. Each figure is the best of
 *   5 rounds in rotation (CONNECTION_BENCH_ROUNDS): on the development VM one client's rounds
 *   spread over 10-15 %, more than the clients differ. Also our server (with the CLI's
 *   localShellFactory) serving the same to OpenSSH `ssh`, versus sshd serving it. Two commands:
 *   `cat` of an N-byte file, the workload, and `head -c N /dev/zero`, this bench's first
 *   one. They differ in what the clients compete with: head writes the pipe 4 KiB at a time, and
 *   on two vCPUs head and sshd then often share one CPU, taking turns (tens of thousands of
 *   preemptions per GiB), so that row depends on where the scheduler puts them as much as on
 *   the client; cat writes 128 KiB at a time. Our client and ssh2 run in a process of their own
 *   that spawns nothing (../peers/runner.ts: a fork makes the forking process's next writes
 *   fault), our server in another (../peers/our-server.ts), as sshd does. Before the timed
 *   rounds, our client, ssh2 and our server each stream a quarter of N once, untimed (JIT
 *   warm-up); and right before each of its timed rounds, an eighth of N (WARM_SHARE). A node
 *   process that sat idle through the other clients' rounds (5-10 s) comes back cold: V8's
 *   memory reducer shrinks its heap after a few idle seconds and malloc hands the freed memory
 *   back, and on the development VM each page touched again costs a host fault (~14 µs). Our
 *   client streaming 1 GiB after 8 s idle took 108-141k page faults and 2.5-2.9 CPU-s of user
 *   time, against 2-8k faults and 0.7-1.1 CPU-s when it streamed back to back. The figures are
 *   those of a client mid-transfer, which is what a throughput is; `ssh` and sshd's session
 *   process start fresh every round either way.
 * - Client CPU per byte of that stream: MiB per CPU second (user + system) of the client alone,
 *   the median round; ours and ssh2 from process.cpuUsage() over the same timed region, `ssh` from
 *   bash's `times` for the whole run minus an `ssh host true` run. On a machine whose cores the
 *   client shares with sshd and the command (two vCPUs here), this is what the throughput follows.
 * - Exec round trips per second on one connection: run('true') back to back and 100 in parallel,
 *   ours versus ssh2, against sshd with MaxSessions 1000; back to back, each client runs a
 *   round of 250 untimed first (JIT warm-up), then four timed rounds alternate between the
 *   clients and each client's median round counts. ssh2 leaves Nagle's algorithm on by default,
 *   which costs it a delayed-ACK wait per exec back to back, so that row is given twice: ssh2 as
 *   installed (rounds of a tenth as many execs), and ssh2 after setNoDelay(true).
 * - Memory per idle session: 1000 sessions open on one connection of our client to our server
 *   (both in this process): heap and RSS growth divided by the sessions. No peer: sshd's
 *   MaxSessions caps it, and a figure of ours alone is what the issue asks for.
 * @module
 */

import { rmSync } from 'node:fs';
import { mkdtemp, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { listen, type SSHServerProcess } from '@ssh/asyncssh';
import { defaultClientKey, generateKey, startSshd, type SshTarget } from '@ssh/interop';
import { WARM_SHARE, inRotation, median } from '../measure.ts';
import type { BenchRunOptions } from '../peers/options.ts';
import { startRunner, type Runner } from '../peers/runner.ts';
import { startServerProcess, type ServerProcess } from '../peers/server-process.ts';
import type { Benchmark, BenchResult } from '../types.ts';
import {
  CIPHER,
  MiB,
  envNumber,
  opensshRun,
  ourClose,
  ourConnect,
  ssh2Close,
  ssh2Connect,
  ssh2Run,
  type Endpoint,
} from './connection-common.ts';
import type * as streamClients from './stream-clients.ts';
import type { StreamTime } from './stream-clients.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Our client and ssh2 in a process of their own (see runner.ts for why). */
type StreamClients = Runner<typeof streamClients>;

/** Stream size in MiB: 256, or CONNECTION_BENCH_MIB. */
export function connectionBenchMiB(env: NodeJS.ProcessEnv = process.env): number {
  return envNumber(env, 'CONNECTION_BENCH_MIB', 256);
}

/** Rounds of each stream: 5, or CONNECTION_BENCH_ROUNDS. */
export function connectionBenchRounds(env: NodeJS.ProcessEnv = process.env): number {
  return Math.max(1, Math.round(envNumber(env, 'CONNECTION_BENCH_ROUNDS', 5)));
}

export interface ConnectionBenchOptions extends BenchRunOptions {
  readonly mib?: number;
  /** Rounds of each stream (default connectionBenchRounds(); 1 quick). */
  readonly rounds?: number;
  /** Sequential execs timed (default 1000; 5 quick). */
  readonly execs?: number;
  /** Idle sessions for the memory figure (default 1000; 200 quick). */
  readonly sessions?: number;
}

const PARALLEL = 100;

/** OpenSSH `ssh target command > /dev/null`, minus `ssh target true` (wall and ssh's CPU time). */
async function opensshStream(target: SshTarget, ep: Endpoint, command: string): Promise<StreamTime> {
  const base = await opensshRun(target, ep.key, 'true', { cpu: true });
  const whole = await opensshRun(target, ep.key, command, { cpu: true });
  return { seconds: Math.max(whole.seconds - base.seconds, 1e-6), cpuSeconds: Math.max((whole.cpuSeconds ?? 0) - (base.cpuSeconds ?? 0), 1e-6) };
}

/** The best round's throughput. */
function mibPerSecond(bytes: number, times: readonly StreamTime[]): number {
  return bytes / MiB / Math.max(Math.min(...times.map((t) => t.seconds)), 1e-6);
}

/**
 * The rounds' median throughputs, ours and the peer's, as a row's note: on a shared VM the best
 * round of each can differ by more than the clients do, and the medians show the spread.
 */
function medians(bytes: number, ours: readonly StreamTime[], peer: readonly StreamTime[]): string {
  const mid = (times: readonly StreamTime[]): string => (bytes / MiB / Math.max(median(times.map((t) => t.seconds)), 1e-6)).toFixed(0);
  return `medians ${mid(ours)} vs ${mid(peer)}`;
}

/** MiB moved per CPU second of the client, the median round (CPU time varies less than wall time). */
function mibPerCpuSecond(bytes: number, times: readonly StreamTime[]): number {
  return bytes / MiB / Math.max(median(times.map((t) => t.cpuSeconds)), 1e-6);
}

async function sequentialExecsPerSecond(count: number, run: () => Promise<unknown>): Promise<number> {
  await run();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await run();
  return count / ((performance.now() - t0) / 1000);
}

/** One client of the back-to-back exec rows, and how many execs a round of it times. */
interface ExecClient {
  readonly run: () => Promise<unknown>;
  readonly perRound: number;
}

/**
 * Sequential execs of several clients in alternating rounds, the median round of each, after an
 * untimed round of each (JIT warm-up, as the streams have). Rounds alternate because clients
 * measured one after the other ran on an sshd in different states (the first one on an sshd still
 * settling from the streams before it); rounds are hundreds of execs because the first few
 * hundred of a connection run slower for both clients (here ~220/s against ~380/s later) and
 * rounds of 50 swung by 20 %.
 */
async function alternatingExecsPerSecond(clients: readonly ExecClient[], rounds = 4): Promise<number[]> {
  for (const { run, perRound } of clients) for (let i = 0; i < perRound; i++) await run();
  const rates: number[][] = clients.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const [i, { run, perRound }] of clients.entries()) rates[i]?.push(await sequentialExecsPerSecond(perRound, run));
  }
  return rates.map((r) => median(r));
}

async function parallelExecsPerSecond(count: number, run: () => Promise<unknown>): Promise<number> {
  await run();
  const batches = Math.max(1, Math.round(count / PARALLEL));
  const t0 = performance.now();
  for (let b = 0; b < batches; b++) await Promise.all(Array.from({ length: PARALLEL }, run));
  return (batches * PARALLEL) / ((performance.now() - t0) / 1000);
}

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

interface MemoryFigure {
  heapKiB: number;
  rssKiB: number;
}

/** Opens `sessions` idle sessions on one connection of our client to our server. */
async function idleSessionMemory(sessions: number, key: Endpoint['key'], hostKeyPath: string): Promise<MemoryFigure> {
  const idle = async (proc: SSHServerProcess<string>): Promise<void> => {
    while ((await proc.stdin.read()).length > 0);
    proc.exit(0);
  };
  const acceptor = await listen('127.0.0.1', 0, {
    serverHostKeys: [hostKeyPath],
    authorizedClientKeys: key.publicKey,
    encryptionAlgs: [CIPHER],
    compressionAlgs: ['none'],
    processFactory: idle,
  });
  try {
    const conn = await ourConnect({ port: acceptor.getPort(), user: 'bench', key });
    try {
      // One session first, so that lazily created state is not counted per session.
      const first = await conn.createProcess('idle');
      first.stdin.writeEof();
      await first.waitClosed();
      collectGarbage();
      const before = process.memoryUsage();
      const procs = [];
      for (let i = 0; i < sessions; i += 50) {
        procs.push(...(await Promise.all(Array.from({ length: Math.min(50, sessions - i) }, () => conn.createProcess('idle')))));
      }
      collectGarbage();
      const after = process.memoryUsage();
      if (procs.length !== sessions) throw new Error(`connection bench: opened ${procs.length} sessions, expected ${sessions}`);
      for (const p of procs) p.stdin.writeEof();
      await Promise.all(procs.map((p) => p.waitClosed()));
      return { heapKiB: (after.heapUsed - before.heapUsed) / 1024 / sessions, rssKiB: (after.rss - before.rss) / 1024 / sessions };
    } finally {
      await ourClose(conn);
    }
  } finally {
    acceptor.close();
    await acceptor.waitClosed();
  }
}

function row(name: string, unit: string, ours: number, peerName: string, peer: number | undefined, note?: string): BenchResult {
  return { name, unit, ours, peerName, peer, ...(note === undefined ? {} : { note }) };
}

/** A file of `bytes` zeros in a fresh temporary directory (removed at exit), for `cat`. */
async function zeroFile(bytes: number): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ssh-bench-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'stream.bin');
  const handle = await open(file, 'w');
  try {
    const block = Buffer.alloc(Math.min(bytes, 4 * MiB));
    for (let at = 0; at < bytes; at += block.length) await handle.write(block, 0, Math.min(block.length, bytes - at));
  } finally {
    await handle.close();
  }
  return file;
}

/** The untimed stream before each timed round of a process that idled since its last one. */
function warmStream(bytes: number): { command: string; bytes: number } {
  const n = Math.max(1, Math.round(bytes * WARM_SHARE));
  return { command: `head -c ${n} /dev/zero`, bytes: n };
}

/**
 * The stream rows for one remote command that writes `bytes` to stdout: our client, ssh2 and
 * OpenSSH `ssh` reading it from sshd (in rotation), and OpenSSH `ssh` reading it from our server
 * and from sshd. With `withReads`, our client also reads it with read() calls, in the same rotation.
 */
async function streamRows(
  clients: StreamClients,
  label: string,
  command: string,
  ep: Endpoint,
  sshd: SshTarget,
  ourServer: SshTarget,
  bytes: number,
  rounds: number,
  withReads = false,
): Promise<BenchResult[]> {
  const ours: StreamTime[] = [];
  const oursReads: StreamTime[] = [];
  const ssh2: StreamTime[] = [];
  const openssh: StreamTime[] = [];
  const warm = warmStream(bytes);
  await inRotation(rounds, [
    async () => {
      await clients.call('ourStream', ep, warm.command, warm.bytes);
      ours.push(await clients.call('ourStream', ep, command, bytes));
    },
    ...(withReads
      ? [
          async () => {
            await clients.call('ourStream', ep, warm.command, warm.bytes, 'read');
            oursReads.push(await clients.call('ourStream', ep, command, bytes, 'read'));
          },
        ]
      : []),
    async () => {
      await clients.call('ssh2Stream', ep, warm.command, warm.bytes);
      ssh2.push(await clients.call('ssh2Stream', ep, command, bytes));
    },
    async () => openssh.push(await opensshStream(sshd, ep, command)),
  ]);
  const fromOurs: StreamTime[] = [];
  const fromSshd: StreamTime[] = [];
  await inRotation(rounds, [
    async () => {
      await opensshStream(ourServer, ep, warm.command);
      fromOurs.push(await opensshStream(ourServer, ep, command));
    },
    async () => fromSshd.push(await opensshStream(sshd, ep, command)),
  ]);
  return [
    row(`stream ${label} from sshd (our client)`, 'MiB/s', mibPerSecond(bytes, ours), 'OpenSSH ssh', mibPerSecond(bytes, openssh), medians(bytes, ours, openssh)),
    row(`stream ${label} from sshd (our client)`, 'MiB/s', mibPerSecond(bytes, ours), 'ssh2', mibPerSecond(bytes, ssh2), medians(bytes, ours, ssh2)),
    row(`stream ${label} from sshd, client CPU`, 'MiB/CPU-s', mibPerCpuSecond(bytes, ours), 'OpenSSH ssh', mibPerCpuSecond(bytes, openssh)),
    row(`stream ${label} from sshd, client CPU`, 'MiB/CPU-s', mibPerCpuSecond(bytes, ours), 'ssh2', mibPerCpuSecond(bytes, ssh2)),
    ...(withReads
      ? [
          row(`stream ${label} from sshd (our client, read())`, 'MiB/s', mibPerSecond(bytes, oursReads), 'OpenSSH ssh', mibPerSecond(bytes, openssh), medians(bytes, oursReads, openssh)),
          row(`stream ${label} from sshd, client CPU (read())`, 'MiB/CPU-s', mibPerCpuSecond(bytes, oursReads), 'OpenSSH ssh', mibPerCpuSecond(bytes, openssh)),
        ]
      : []),
    row(`stream ${label} to OpenSSH ssh (our server)`, 'MiB/s', mibPerSecond(bytes, fromOurs), 'sshd', mibPerSecond(bytes, fromSshd), medians(bytes, fromOurs, fromSshd)),
  ];
}

export async function runConnectionBench(options: ConnectionBenchOptions = {}): Promise<BenchResult[]> {
  const quick = options.quick === true;
  const mib = options.mib ?? (quick ? 1 : connectionBenchMiB());
  const rounds = options.rounds ?? (quick ? 1 : connectionBenchRounds());
  const execs = options.execs ?? (quick ? 5 : 1000);
  // Enough sessions even when quick that their heap outweighs what a GC leaves behind by chance.
  const sessions = options.sessions ?? (quick ? 200 : 1000);
  const bytes = Math.round(mib * MiB);

  const [key, hostKey] = await Promise.all([defaultClientKey(), generateKey('ed25519', { label: 'connection-bench-host' })]);
  const sshd = await startSshd({ hostKeys: [hostKey], config: [`Ciphers ${CIPHER}`, 'Compression no', 'MaxSessions 1000'], logLevel: 'ERROR' });
  let server: ServerProcess | undefined;
  let clients: StreamClients | undefined;
  try {
    const ep: Endpoint = { port: sshd.port, user: sshd.user, key };
    server = await startServerProcess('our-server.ts', ['shell', hostKey.privateKeyPath, key.publicKey]);
    const ourServer: SshTarget = { name: 'ours', host: '127.0.0.1', port: server.port, hostPublicKeys: [hostKey.publicKey] };
    clients = await startRunner(path.join(here, 'stream-clients.ts'));
    if (!quick) {
      // One untimed stream each through our client, ssh2 and our server, so that no timed round
      // pays for the JIT compiling them: a cold first round ran a third slower than the next
      // ones. OpenSSH's processes have nothing to warm up.
      const warm = `head -c ${Math.round(bytes / 4)} /dev/zero`;
      await clients.call('ourStream', ep, warm, Math.round(bytes / 4));
      await clients.call('ssh2Stream', ep, warm, Math.round(bytes / 4));
      await opensshStream(ourServer, ep, warm);
    }
    const streams = [
      ...(await streamRows(clients, `cat of a ${mib} MiB file`, `cat ${await zeroFile(bytes)}`, ep, sshd, ourServer, bytes, rounds, true)),
      ...(await streamRows(clients, `head -c ${mib} MiB /dev/zero`, `head -c ${bytes} /dev/zero`, ep, sshd, ourServer, bytes, rounds)),
    ];

    // Exec round trips on one connection each.
    const conn = await ourConnect(ep);
    const client = await ssh2Connect(ep);
    const fastClient = await ssh2Connect(ep, { noDelay: true });
    let seq: [number, number, number];
    let par: [number, number];
    try {
      const ourRun = (): Promise<unknown> => conn.run('true');
      const theirRun = (): Promise<unknown> => ssh2Run(client, 'true');
      const theirFastRun = (): Promise<unknown> => ssh2Run(fastClient, 'true');
      // ssh2 with Nagle on waits for a delayed ACK per exec (~40 ms): a tenth of the execs tells its rate.
      const perRound = Math.max(1, Math.round(execs / 4));
      const [a = 0, b = 0, c = 0] = await alternatingExecsPerSecond([
        { run: ourRun, perRound },
        { run: theirRun, perRound: Math.max(1, Math.round(perRound / 10)) },
        { run: theirFastRun, perRound },
      ]);
      seq = [a, b, c];
      par = [await parallelExecsPerSecond(execs, ourRun), await parallelExecsPerSecond(execs, theirRun)];
    } finally {
      await ourClose(conn);
      await ssh2Close(client);
      await ssh2Close(fastClient);
    }

    const memory = await idleSessionMemory(sessions, key, hostKey.privateKeyPath);

    return [
      ...streams,
      row('exec true back to back, one connection', 'exec/s', seq[0], 'ssh2', seq[1]),
      row('exec true back to back, one connection', 'exec/s', seq[0], 'ssh2 setNoDelay(true)', seq[2]),
      row(`exec true ${PARALLEL} in parallel, one connection`, 'exec/s', par[0], 'ssh2', par[1]),
      row(`idle session heap (${sessions} sessions, client+server)`, 'KiB/session', memory.heapKiB, 'none', undefined, `RSS ${memory.rssKiB.toFixed(1)} KiB/session; lower is better`),
    ];
  } finally {
    await clients?.stop();
    await server?.stop();
    await sshd.stop();
  }
}

export const connectionBenchmark: Benchmark = {
  id: 'connection',
  description: `stream ${connectionBenchMiB()} MiB (aes128-gcm) vs OpenSSH ssh and ssh2, exec round trips vs ssh2, memory per idle session`,
  run: () => runConnectionBench(),
};
