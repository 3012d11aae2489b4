/**
 * Shared pieces of the connection and handshake benchmarks: our client's and ssh2's connections
 * with the same settings (aes128-gcm, no compression, ed25519 pubkey auth, host key unchecked),
 * and an OpenSSH `ssh` run whose output goes to /dev/null.
 * @module
 */

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type SSHClientConnection } from '@ssh/asyncssh';
import { prepareClient, type KeyPair, type SshTarget } from '@ssh/interop';
import { Client, type ClientChannel } from 'ssh2';

export const CIPHER = 'aes128-gcm@openssh.com';
export const MiB = 1024 * 1024;

export interface Endpoint {
  readonly port: number;
  readonly user: string;
  readonly key: KeyPair;
  /** Key exchange algorithms for our client (default: ours, which put sntrup761x25519 first). */
  readonly kexAlgs?: readonly string[];
}

export function ourConnect(ep: Endpoint): Promise<SSHClientConnection> {
  return connect({
    host: '127.0.0.1',
    port: ep.port,
    username: ep.user,
    clientKeys: [ep.key.privateKeyPath],
    knownHosts: null,
    agentPath: null,
    config: null,
    encryptionAlgs: [CIPHER],
    compressionAlgs: ['none'],
    ...(ep.kexAlgs === undefined ? {} : { kexAlgs: ep.kexAlgs }),
  });
}

export async function ourClose(conn: SSHClientConnection): Promise<void> {
  conn.close();
  await conn.waitClosed();
}

/** An ssh2 client connection, authenticated, with the same algorithms as ours (and its defaults otherwise). */
export function ssh2Connect(ep: Endpoint, options: { noDelay?: boolean } = {}): Promise<Client> {
  const privateKey = readFileSync(ep.key.privateKeyPath);
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.once('ready', () => {
      // ssh2 leaves Nagle's algorithm on unless asked; ours turns it off.
      if (options.noDelay === true) client.setNoDelay(true);
      resolve(client);
    });
    client.once('error', reject);
    client.connect({
      host: '127.0.0.1',
      port: ep.port,
      username: ep.user,
      privateKey,
      algorithms: { cipher: [CIPHER], compress: ['none'] },
      readyTimeout: 20_000,
    });
  });
}

export function ssh2Close(client: Client): Promise<void> {
  return new Promise((resolve) => {
    client.once('close', () => resolve());
    client.end();
  });
}

export function ssh2Exec(client: Client, command: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => client.exec(command, (err, stream) => (err ? reject(err) : resolve(stream))));
}

/**
 * Runs `command` on ssh2 to its end, discarding output; resolves with the exit code. The 'exit'
 * listener goes on inside exec's callback: ssh2 emits 'exit' as a plain event while parsing, and when
 * the request's success and the exit status arrive in one read, a listener added after an await
 * misses it.
 */
export function ssh2Run(client: Client, command: string): Promise<number | undefined> {
  return new Promise((resolve, reject) =>
    client.exec(command, (err, stream) => {
      if (err) {
        reject(err);
        return;
      }
      let code: number | undefined;
      stream.on('exit', (c: number | null) => (code = c ?? undefined));
      stream.once('error', reject);
      stream.on('close', () => resolve(code));
      stream.resume();
      stream.stderr.resume();
    }),
  );
}

/** Wall and CPU (user + system) seconds of one OpenSSH `ssh` run. */
export interface OpensshRun {
  readonly seconds: number;
  /** Undefined unless asked for. */
  readonly cpuSeconds: number | undefined;
}

/**
 * `ssh [args] target command` with stdout to /dev/null: seconds from spawn to exit, and with `cpu`
 * the CPU time ssh used, as bash's `times` reports for its child (bash runs ssh and adds its own
 * start-up to the wall time, so only differences of two such runs are meaningful).
 */
export async function opensshRun(target: SshTarget, key: KeyPair, command: string, options: { args?: readonly string[]; cpu?: boolean } = {}): Promise<OpensshRun> {
  const client = await prepareClient(target, { identity: key });
  try {
    const argv = ['/usr/bin/ssh', ...client.args, '-c', CIPHER, '-o', 'Compression=no', ...(options.args ?? []), client.destination, command];
    const [file, args] = options.cpu === true ? ['/bin/bash', ['-c', '"$@" > /dev/null || exit $?; times', 'bash', ...argv]] : [argv[0] as string, argv.slice(1)];
    const t0 = performance.now();
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(file, args, { env: { ...process.env, ...client.env }, stdio: ['ignore', options.cpu === true ? 'pipe' : 'ignore', 'pipe'] });
      let stdout = '';
      let err = '';
      child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
      child.once('error', reject);
      child.once('close', (c) => (c === 0 ? resolve(stdout) : reject(new Error(`ssh ${command}: exit ${c}: ${err.trim()}`))));
    });
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, cpuSeconds: options.cpu === true ? childCpuSeconds(out) : undefined };
  } finally {
    await client.dispose();
  }
}

/** `ssh [args] target command` with stdout to /dev/null; seconds from spawn to exit. */
export async function opensshRunSeconds(target: SshTarget, key: KeyPair, command: string, args: readonly string[] = []): Promise<number> {
  return (await opensshRun(target, key, command, { args })).seconds;
}

/** The children's user + system seconds from bash's `times` (its second line: "0m0.590s 0m0.320s"). */
export function childCpuSeconds(times: string): number {
  const line = times.trim().split('\n')[1] ?? '';
  const m = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(line.trim());
  if (!m) throw new Error(`cannot read bash times output: ${JSON.stringify(times)}`);
  return Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
}

/** CPU seconds (user + system) this process used since `since` (a process.cpuUsage() value). */
export function cpuSecondsSince(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
}

export function envNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const n = Number(env[name] ?? fallback);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}
