/**
 * SFTP throughput over loopback SSH (issue 10): download (get) and upload (put) of one large file,
 * in MiB/s, best of a few rounds.
 *
 * - Our client (@ssh/asyncssh connect() + startSftpClient()) against sshd's sftp-server, versus
 *   OpenSSH `sftp -b` and AsyncSSH's SFTP client against the same sshd.
 * - Our server (listen() with sftpFactory) serving OpenSSH `sftp -b`, versus sshd serving it.
 *
 * Every connection uses aes128-gcm@openssh.com without compression. Clients that run in process
 * (ours, AsyncSSH) are timed around the transfer alone; `sftp -b` is a process, so it is timed as
 * the batch doing the transfer minus a batch doing nothing but `pwd` (start, key exchange, login).
 * Rounds alternate between ours and OpenSSH's, and each figure is the best round; OpenSSH's
 * figures against sshd are the best of both phases (they are the reference of both).
 *
 * The file is 256 MiB; SFTP_BENCH_MIB sets another size and SFTP_BENCH_ROUNDS the rounds (3).
 * @module
 */

import { randomFillSync } from 'node:crypto';
import { closeSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, listen, type SSHAcceptor, type SSHClientConnection } from '@ssh/asyncssh';
import { defaultClientKey, generateKey, makeTempDir, removeTempDir, runSftp, startSshd, type KeyPair, type SshTarget } from '@ssh/interop';
import type { BenchRunOptions } from '../peers/options.ts';
import { runPythonJson } from '../python.ts';
import type { Benchmark, BenchResult } from '../types.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const MiB = 1024 * 1024;
const CIPHER = 'aes128-gcm@openssh.com';

/** The file size in MiB: 256, or SFTP_BENCH_MIB. */
export function sftpBenchMiB(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env['SFTP_BENCH_MIB'] ?? 256);
  return Number.isFinite(n) && n > 0 ? n : 256;
}

function benchRounds(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env['SFTP_BENCH_ROUNDS'] ?? 3);
  return Number.isInteger(n) && n > 0 ? n : 3;
}

export interface SftpBenchOptions extends BenchRunOptions {
  /** File size in MiB (default sftpBenchMiB(); 1 in quick mode). */
  readonly mib?: number;
  readonly rounds?: number;
}

/** Writes `bytes` of random data (no compression anywhere can shrink it). */
function writeRandomFile(file: string, bytes: number): void {
  const chunk = Buffer.alloc(4 * MiB);
  const fd = openSync(file, 'w');
  try {
    for (let done = 0; done < bytes; ) {
      const n = Math.min(chunk.length, bytes - done);
      randomFillSync(chunk, 0, n);
      writeSync(fd, chunk, 0, n);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
}

function checkSize(file: string, bytes: number): void {
  const size = statSync(file).size;
  if (size !== bytes) throw new Error(`sftp bench: ${file} holds ${size} bytes, expected ${bytes}`);
}

async function timed(body: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await body();
  return (performance.now() - t0) / 1000;
}

interface Rates {
  get: number;
  put: number;
}

function best(a: Rates, b: Rates): Rates {
  return { get: Math.max(a.get, b.get), put: Math.max(a.put, b.put) };
}

/** MiB/s of the best (shortest) round. */
function rate(bytes: number, seconds: readonly number[]): number {
  const best = Math.min(...seconds);
  return bytes / MiB / Math.max(best, 1e-6);
}

interface Files {
  /** The source file, read by downloads (remote side) and uploads (local side). */
  src: string;
  /** Where downloads land and uploads are written. */
  got: string;
  put: string;
}

/** Our client against `port`: get and put, `rounds` times each, on one connection. */
async function ourClient(port: number, user: string, key: KeyPair, files: Files, bytes: number, rounds: number): Promise<Rates> {
  const conn: SSHClientConnection = await connect({
    host: '127.0.0.1',
    port,
    username: user,
    clientKeys: [key.privateKeyPath],
    knownHosts: null,
    agentPath: null,
    config: null,
    encryptionAlgs: [CIPHER],
    compressionAlgs: ['none'],
  });
  try {
    const sftp = await conn.startSftpClient();
    const get: number[] = [];
    const put: number[] = [];
    for (let r = 0; r < rounds; r++) {
      get.push(await timed(() => sftp.get(files.src, files.got)));
      checkSize(files.got, bytes);
      rmSync(files.got);
      put.push(await timed(() => sftp.put(files.src, files.put)));
      checkSize(files.put, bytes);
      rmSync(files.put);
    }
    sftp.exit();
    return { get: rate(bytes, get), put: rate(bytes, put) };
  } finally {
    conn.close();
    await conn.waitClosed();
  }
}

/** OpenSSH `sftp -b` against `target`: each transfer batch minus a no-op batch, best rounds. */
async function opensshClient(target: SshTarget, key: KeyPair, files: Files, bytes: number, rounds: number): Promise<Rates> {
  const options = { identity: key, timeoutMs: 600_000, args: ['-c', CIPHER, '-o', 'Compression=no'] };
  const batch = (lines: readonly string[]) => () => runSftp(target, lines, options);
  const noop: number[] = [];
  const get: number[] = [];
  const put: number[] = [];
  for (let r = 0; r < rounds; r++) {
    noop.push(await timed(batch(['pwd'])));
    get.push(await timed(batch([`get ${files.src} ${files.got}`])));
    checkSize(files.got, bytes);
    rmSync(files.got);
    put.push(await timed(batch([`put ${files.src} ${files.put}`])));
    checkSize(files.put, bytes);
    rmSync(files.put);
  }
  const base = Math.min(...noop);
  return { get: rate(bytes, get.map((s) => s - base)), put: rate(bytes, put.map((s) => s - base)) };
}

interface AsyncsshFigures {
  version: string;
  get: number[];
  put: number[];
}

export async function runSftpBench(options: SftpBenchOptions = {}): Promise<BenchResult[]> {
  const quick = options.quick === true;
  const mib = options.mib ?? (quick ? 1 : sftpBenchMiB());
  const rounds = options.rounds ?? (quick ? 1 : benchRounds());
  const bytes = Math.round(mib * MiB);
  const size = `${mib} MiB`;

  const dir = await makeTempDir('sftp-bench');
  const files: Files = { src: path.join(dir, 'src.bin'), got: path.join(dir, 'got.bin'), put: path.join(dir, 'put.bin') };
  writeRandomFile(files.src, bytes);
  const [clientKey, hostKey] = await Promise.all([defaultClientKey(), generateKey('ed25519', { label: 'sftp-bench-host' })]);
  const sshd = await startSshd({ config: [`Ciphers ${CIPHER}`, 'Compression no'], logLevel: 'ERROR' });
  let acceptor: SSHAcceptor | undefined;
  try {
    // Our client, OpenSSH's and AsyncSSH's against sshd.
    // Rounds alternate between the clients so that a busy moment of the machine hits both alike.
    let oursVsSshd: Rates = { get: 0, put: 0 };
    let opensshVsSshd: Rates = { get: 0, put: 0 };
    for (let r = 0; r < rounds; r++) {
      oursVsSshd = best(oursVsSshd, await ourClient(sshd.port, sshd.user, clientKey, files, bytes, 1));
      opensshVsSshd = best(opensshVsSshd, await opensshClient(sshd, clientKey, files, bytes, 1));
    }
    const py = runPythonJson<AsyncsshFigures>(
      path.join(here, '../peers/sftp_asyncssh.py'),
      ['127.0.0.1', String(sshd.port), sshd.user, clientKey.privateKeyPath, files.src, files.got, files.src, files.put, String(rounds)],
      600_000,
    );

    // OpenSSH's client against our server.
    acceptor = await listen('127.0.0.1', 0, {
      serverHostKeys: [hostKey.privateKeyPath],
      authorizedClientKeys: clientKey.publicKey,
      encryptionAlgs: [CIPHER],
      compressionAlgs: ['none'],
      sftpFactory: true,
    });
    const ours: SshTarget = { name: 'ours', host: '127.0.0.1', port: acceptor.getPort(), hostPublicKeys: [hostKey.publicKey] };
    let opensshVsOurs: Rates = { get: 0, put: 0 };
    for (let r = 0; r < rounds; r++) {
      opensshVsOurs = best(opensshVsOurs, await opensshClient(ours, clientKey, files, bytes, 1));
      opensshVsSshd = best(opensshVsSshd, await opensshClient(sshd, clientKey, files, bytes, 1));
    }

    const openssh = 'OpenSSH sftp';
    const asyncsshName = py.ok ? `AsyncSSH ${py.value.version}` : 'AsyncSSH';
    const asyncssh: Partial<Rates> = py.ok ? { get: rate(bytes, py.value.get), put: rate(bytes, py.value.put) } : {};
    const noPeer = py.ok ? {} : { note: py.error };
    const row = (name: string, ourFigure: number, peerName: string, peer: number | undefined, extra: { note?: string } = {}): BenchResult => ({
      name,
      unit: 'MiB/s',
      ours: ourFigure,
      peerName,
      peer,
      ...extra,
    });
    return [
      row(`sftp get ${size} from sshd (our client)`, oursVsSshd.get, openssh, opensshVsSshd.get),
      row(`sftp get ${size} from sshd (our client)`, oursVsSshd.get, asyncsshName, asyncssh.get, noPeer),
      row(`sftp put ${size} to sshd (our client)`, oursVsSshd.put, openssh, opensshVsSshd.put),
      row(`sftp put ${size} to sshd (our client)`, oursVsSshd.put, asyncsshName, asyncssh.put, noPeer),
      row(`sftp get ${size} by OpenSSH sftp (our server)`, opensshVsOurs.get, 'sshd sftp-server', opensshVsSshd.get),
      row(`sftp put ${size} by OpenSSH sftp (our server)`, opensshVsOurs.put, 'sshd sftp-server', opensshVsSshd.put),
    ];
  } finally {
    if (acceptor) {
      acceptor.close();
      await acceptor.waitClosed();
    }
    await sshd.stop();
    await removeTempDir(dir);
  }
}

export const sftpBenchmark: Benchmark = {
  id: 'sftp',
  description: `SFTP get/put of a ${sftpBenchMiB()} MiB file over loopback SSH (aes128-gcm), our client and server vs OpenSSH sftp/sshd and AsyncSSH`,
  run: () => runSftpBench(),
};
