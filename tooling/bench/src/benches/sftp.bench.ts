/**
 * SFTP throughput over loopback SSH (issue 10): download (get) and upload (put) of one large file,
 * in MiB/s, and a recursive upload and download of a tree of small files, in files/s; best of a
 * few rounds.
 *
 * - Our client (@ssh/asyncssh connect() + startSftpClient()) against sshd's sftp-server, versus
 *   OpenSSH `sftp -b`, the `ssh2` npm client's fastGet/fastPut (its defaults: 64 requests of
 *   32 KiB) and AsyncSSH's SFTP client against the same sshd.
 * - A second upload on the same connection: ours and ssh2's again, OpenSSH's as the second `put`
 *   of one batch, timed between two `!date` lines of the batch (the difference of two batches'
 *   times, used before, carried both batches' noise and its best round was the luckiest). The first upload of a
 *   connection pays for sshd growing its channel buffer when the client sends faster than
 *   sftp-server writes; the second shows the transfer without it.
 * - The tree: our client's `put(dir, dst, { recurse: true })` (mput -r) versus OpenSSH
 *   `sftp -b` running `put -r dir dst`, both creating `dst` afresh each round; and the same tree
 *   downloaded, our `get(dir, dst, { recurse: true })` versus `get -r dir dst`.
 * - Our server (listen() with sftpFactory, in a process of its own as sshd is): our client's get
 *   and put from it versus OpenSSH `sftp -b`'s and ssh2's; and OpenSSH `sftp -b` served by it
 *   versus served by sshd.
 *
 * Every connection uses aes128-gcm@openssh.com without compression. Clients that run in process
 * (ours, ssh2, AsyncSSH) are timed around the transfer alone, on a connection opened before;
 * ours and ssh2 download a file an eighth of the size on it first, untimed, as OpenSSH's client
 * does through our server before each of its rounds there: a node process that sat idle through
 * the other clients' rounds comes back cold (V8's memory reducer shrinks its heap after a few
 * idle seconds, malloc hands the memory back, and on the development VM each page touched again
 * costs a host fault: our connection client streaming 1 GiB after 8 s idle took 108-141k faults
 * and 2.5-2.9 CPU-s, against 2-8k and 0.7-1.1 back to back). OpenSSH's client and sshd's
 * session processes start fresh every round either way;
 * ours and ssh2's in a process of their own that spawns nothing (../peers/runner.ts: a fork
 * makes the forking process's next writes fault, and this one spawns `sftp`);
 * `sftp -b` is a process, so it is timed as the batch doing the transfer minus a batch doing
 * nothing but `pwd` (start, key exchange, login). Rounds alternate between the clients, and each
 * figure is the best round; each row notes both sides' median rounds beside it. Each comparison takes its reference from the rounds it alternated
 * with: the clients' rows OpenSSH's rounds against sshd in the first phase, our server's rows
 * sshd's rounds in the second, so that both sides of a ratio are the best of as many rounds.
 *
 * The file is 256 MiB; SFTP_BENCH_MIB sets another size (1024 for the 1 GiB) and
 * SFTP_BENCH_ROUNDS the rounds (5: one client's rounds spread over 10-15 % on the development
 * VM). The tree holds 10,000 files of 1 to 8 KiB in directories of 100; SFTP_BENCH_FILES sets
 * another count. Before the second phase OpenSSH's client gets and puts the file through our
 * fresh server once, untimed.
 * @module
 */

import { randomFillSync } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultClientKey, generateKey, makeTempDir, removeTempDir, runSftp, startSshd, type KeyPair, type SshTarget } from '@ssh/interop';
import type { BenchRunOptions } from '../peers/options.ts';
import { startRunner, type Runner } from '../peers/runner.ts';
import { startServerProcess, type ServerProcess } from '../peers/server-process.ts';
import { WARM_SHARE, inRotation, timedSeconds } from '../measure.ts';
import { runPythonJson } from '../python.ts';
import type { Benchmark, BenchResult } from '../types.ts';
import type * as sftpClients from './sftp-clients.ts';
import { CIPHER, MiB, bestOf, checkSize, checkTreeAndRemove, medianOf, rate, type Files, type Rates } from './sftp-common.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The file size in MiB: 256, or SFTP_BENCH_MIB. */
export function sftpBenchMiB(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env['SFTP_BENCH_MIB'] ?? 256);
  return Number.isFinite(n) && n > 0 ? n : 256;
}

/** Files in the tree of the recursive upload: 10,000, or SFTP_BENCH_FILES. */
export function sftpBenchFiles(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env['SFTP_BENCH_FILES'] ?? 10_000);
  return Number.isInteger(n) && n > 0 ? n : 10_000;
}

function benchRounds(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env['SFTP_BENCH_ROUNDS'] ?? 5);
  return Number.isInteger(n) && n > 0 ? n : 5;
}

export interface SftpBenchOptions extends BenchRunOptions {
  /** File size in MiB (default sftpBenchMiB(); 1 in quick mode). */
  readonly mib?: number;
  /** Files in the tree (default sftpBenchFiles(); 100 in quick mode). */
  readonly files?: number;
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

/** `files` files of 1 to 8 KiB of random bytes under `root`, 100 to a directory. */
function writeTree(root: string, files: number): void {
  mkdirSync(root);
  const data = Buffer.alloc(8 * 1024);
  for (let i = 0; i < files; i++) {
    const dir = path.join(root, `d${Math.floor(i / 100)}`);
    if (i % 100 === 0) mkdirSync(dir);
    const size = 1024 + (Math.imul(i + 1, 2654435761) >>> 0) % (7 * 1024);
    randomFillSync(data, 0, size);
    writeFileSync(path.join(dir, `f${i}.bin`), data.subarray(0, size));
  }
}

/**
 * OpenSSH `sftp -b` against `target`: each transfer batch minus a no-op batch, best rounds. The
 * second upload of a batch and the recursive upload and download (`put -r`, `get -r`) only when
 * `full`. With `warmServer` (our server, a node process), each round starts with an untimed
 * download of the warm-up file.
 */
async function opensshClient(target: SshTarget, key: KeyPair, files: Files, bytes: number, rounds: number, full: boolean, warmServer = false): Promise<Rates> {
  const options = { identity: key, timeoutMs: 600_000, args: ['-c', CIPHER, '-o', 'Compression=no'] };
  const batch = (lines: readonly string[]) => () => runSftp(target, lines, options);
  const noop: number[] = [];
  const get: number[] = [];
  const put: number[] = [];
  const putAgain: number[] = [];
  const tree: number[] = [];
  const treeGet: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (warmServer) {
      await batch([`get ${files.warm} ${files.got}`])();
      rmSync(files.got);
    }
    noop.push(await timedSeconds(batch(['pwd'])));
    get.push(await timedSeconds(batch([`get ${files.src} ${files.got}`])));
    checkSize(files.got, bytes);
    rmSync(files.got);
    put.push(await timedSeconds(batch([`put ${files.src} ${files.put}`])));
    checkSize(files.put, bytes);
    rmSync(files.put);
    if (full) {
      // The second upload of a batch, timed from inside it: sftp runs each `!` line in a local
      // shell, whose `date` stamps the moments before and after that put.
      const stamps = path.join(path.dirname(files.put), 'put-again-stamps');
      rmSync(stamps, { force: true });
      const stamp = `!date +%s.%N >> ${stamps}`;
      await batch([`put ${files.src} ${files.put}`, stamp, `put ${files.src} ${files.got}`, stamp])();
      checkSize(files.put, bytes);
      checkSize(files.got, bytes);
      rmSync(files.put);
      rmSync(files.got);
      putAgain.push(stampedSeconds(stamps));
      tree.push(await timedSeconds(batch([`put -r ${files.tree} ${files.treeDst}`])));
      checkTreeAndRemove(files.treeDst, files.treeFiles);
      treeGet.push(await timedSeconds(batch([`get -r ${files.tree} ${files.treeDst}`])));
      checkTreeAndRemove(files.treeDst, files.treeFiles);
    }
  }
  const base = Math.min(...noop);
  const treeRate = (s: readonly number[]): number => (full ? files.treeFiles / Math.max(Math.min(...s) - base, 1e-6) : 0);
  return {
    get: rate(bytes, get.map((s) => s - base)),
    put: rate(bytes, put.map((s) => s - base)),
    putAgain: full ? rate(bytes, putAgain) : 0,
    tree: treeRate(tree),
    treeGet: treeRate(treeGet),
  };
}

/** The seconds between the two stamps `date +%s.%N` appended to `file`. */
function stampedSeconds(file: string): number {
  const lines = readFileSync(file, 'utf8').trim().split('\n').map(Number);
  const [before, after] = lines;
  if (lines.length !== 2 || !Number.isFinite(before) || !Number.isFinite(after) || (after as number) <= (before as number)) {
    throw new Error(`sftp bench: expected two increasing time stamps in ${file}, got ${JSON.stringify(lines)}`);
  }
  rmSync(file);
  return (after as number) - (before as number);
}

interface AsyncsshFigures {
  version: string;
  get: number[];
  put: number[];
}

export async function runSftpBench(options: SftpBenchOptions = {}): Promise<BenchResult[]> {
  const quick = options.quick === true;
  const mib = options.mib ?? (quick ? 1 : sftpBenchMiB());
  const treeFiles = options.files ?? (quick ? 100 : sftpBenchFiles());
  const rounds = options.rounds ?? (quick ? 1 : benchRounds());
  const bytes = Math.round(mib * MiB);
  const size = `${mib} MiB`;

  const dir = await makeTempDir('sftp-bench');
  const files: Files = {
    src: path.join(dir, 'src.bin'),
    warm: path.join(dir, 'warm.bin'),
    got: path.join(dir, 'got.bin'),
    put: path.join(dir, 'put.bin'),
    tree: path.join(dir, 'tree'),
    treeFiles,
    treeDst: path.join(dir, 'tree-copy'),
  };
  writeRandomFile(files.src, bytes);
  writeRandomFile(files.warm, Math.max(1, Math.round(bytes * WARM_SHARE)));
  writeTree(files.tree, treeFiles);
  const [clientKey, hostKey] = await Promise.all([defaultClientKey(), generateKey('ed25519', { label: 'sftp-bench-host' })]);
  const sshd = await startSshd({ config: [`Ciphers ${CIPHER}`, 'Compression no'], logLevel: 'ERROR' });
  let server: ServerProcess | undefined;
  let clients: Runner<typeof sftpClients> | undefined;
  try {
    // Our client and ssh2's in a process of their own that spawns nothing (see runner.ts).
    const runner = await startRunner<typeof sftpClients>(path.join(here, 'sftp-clients.ts'));
    clients = runner;
    // Our client, OpenSSH's, ssh2's and AsyncSSH's against sshd.
    // Rounds alternate between the clients, in rotation, so that a busy or cold moment of the
    // machine hits all alike.
    const oursVsSshd: Rates[] = [];
    const opensshVsSshd: Rates[] = [];
    const ssh2VsSshd: Rates[] = [];
    await inRotation(rounds, [
      async () => oursVsSshd.push(await runner.call('ourClient', sshd.port, sshd.user, clientKey, files, bytes, 1, true)),
      async () => opensshVsSshd.push(await opensshClient(sshd, clientKey, files, bytes, 1, true)),
      async () => ssh2VsSshd.push(await runner.call('ssh2Client', sshd.port, sshd.user, clientKey, files, bytes, 1, true)),
    ]);
    const py = runPythonJson<AsyncsshFigures>(
      path.join(here, '../peers/sftp_asyncssh.py'),
      ['127.0.0.1', String(sshd.port), sshd.user, clientKey.privateKeyPath, files.src, files.got, files.src, files.put, String(rounds)],
      600_000,
    );

    // The clients against our server (a process of its own, as sshd), and OpenSSH's against sshd
    // again as the server's reference.
    server = await startServerProcess('our-server.ts', ['sftp', hostKey.privateKeyPath, clientKey.publicKey]);
    const ours: SshTarget = { name: 'ours', host: '127.0.0.1', port: server.port, hostPublicKeys: [hostKey.publicKey] };
    const user = sshd.user;
    // One untimed get and put through the fresh server first, by OpenSSH's client (nothing of
    // ours to warm in it): uploads to a fresh server took it 4.9, then 1.9, then 1.2 CPU-s/GiB
    // (its JIT, and the VM's fresh memory), and whichever client met it first lost by that.
    if (!quick) await opensshClient(ours, clientKey, files, bytes, 1, false);
    const opensshVsOurs: Rates[] = [];
    const sshdServing: Rates[] = [];
    const oursVsOurs: Rates[] = [];
    const ssh2VsOurs: Rates[] = [];
    await inRotation(rounds, [
      async () => opensshVsOurs.push(await opensshClient(ours, clientKey, files, bytes, 1, false, true)),
      async () => sshdServing.push(await opensshClient(sshd, clientKey, files, bytes, 1, false)),
      async () => oursVsOurs.push(await runner.call('ourClient', ours.port, user, clientKey, files, bytes, 1, false)),
      async () => ssh2VsOurs.push(await runner.call('ssh2Client', ours.port, user, clientKey, files, bytes, 1, false)),
    ]);

    const openssh = 'OpenSSH sftp';
    const asyncsshName = py.ok ? `AsyncSSH ${py.value.version}` : 'AsyncSSH';
    const asyncssh: Partial<Rates> = py.ok ? { get: rate(bytes, py.value.get), put: rate(bytes, py.value.put) } : {};
    const noPeer = py.ok ? {} : { note: py.error };
    const row = (name: string, ourFigure: number, peerName: string, peer: number | undefined, extra: { note?: string; unit?: string } = {}): BenchResult => ({
      name,
      unit: 'MiB/s',
      ours: ourFigure,
      peerName,
      peer,
      ...extra,
    });
    /**
     * A row comparing two clients' (or servers') rounds of one figure: the best round of each, and
     * the rounds' medians as its note (one client's best round can differ from its median by more
     * than the clients differ: the medians show that spread).
     */
    const versus = (name: string, ourRounds: readonly Rates[], peerName: string, peerRounds: readonly Rates[], key: keyof Rates, unit = 'MiB/s'): BenchResult =>
      row(name, bestOf(ourRounds)[key], peerName, bestOf(peerRounds)[key], {
        unit,
        note: `medians ${medianOf(ourRounds, key).toFixed(0)} vs ${medianOf(peerRounds, key).toFixed(0)}`,
      });
    return [
      versus(`sftp get ${size} from sshd (our client)`, oursVsSshd, openssh, opensshVsSshd, 'get'),
      versus(`sftp get ${size} from sshd (our client)`, oursVsSshd, 'ssh2 fastGet', ssh2VsSshd, 'get'),
      row(`sftp get ${size} from sshd (our client)`, bestOf(oursVsSshd).get, asyncsshName, asyncssh.get, noPeer),
      versus(`sftp put ${size} to sshd (our client)`, oursVsSshd, openssh, opensshVsSshd, 'put'),
      versus(`sftp put ${size} to sshd (our client)`, oursVsSshd, 'ssh2 fastPut', ssh2VsSshd, 'put'),
      row(`sftp put ${size} to sshd (our client)`, bestOf(oursVsSshd).put, asyncsshName, asyncssh.put, noPeer),
      versus(`sftp put ${size} again on the connection (our client)`, oursVsSshd, openssh, opensshVsSshd, 'putAgain'),
      versus(`sftp put ${size} again on the connection (our client)`, oursVsSshd, 'ssh2 fastPut', ssh2VsSshd, 'putAgain'),
      versus(`sftp put -r ${treeFiles} files to sshd (our client)`, oursVsSshd, openssh, opensshVsSshd, 'tree', 'files/s'),
      versus(`sftp get -r ${treeFiles} files from sshd (our client)`, oursVsSshd, openssh, opensshVsSshd, 'treeGet', 'files/s'),
      versus(`sftp get ${size} from our server (our client)`, oursVsOurs, openssh, opensshVsOurs, 'get'),
      versus(`sftp get ${size} from our server (our client)`, oursVsOurs, 'ssh2 fastGet', ssh2VsOurs, 'get'),
      versus(`sftp put ${size} to our server (our client)`, oursVsOurs, openssh, opensshVsOurs, 'put'),
      versus(`sftp put ${size} to our server (our client)`, oursVsOurs, 'ssh2 fastPut', ssh2VsOurs, 'put'),
      versus(`sftp get ${size} by OpenSSH sftp (our server)`, opensshVsOurs, 'sshd sftp-server', sshdServing, 'get'),
      versus(`sftp put ${size} by OpenSSH sftp (our server)`, opensshVsOurs, 'sshd sftp-server', sshdServing, 'put'),
    ];
  } finally {
    await clients?.stop();
    await server?.stop();
    await sshd.stop();
    await removeTempDir(dir);
  }
}

export const sftpBenchmark: Benchmark = {
  id: 'sftp',
  description: `SFTP get/put of a ${sftpBenchMiB()} MiB file and put -r/get -r of ${sftpBenchFiles()} small files over loopback SSH (aes128-gcm), our client and server vs OpenSSH sftp/sshd, ssh2 and AsyncSSH`,
  run: () => runSftpBench(),
};
