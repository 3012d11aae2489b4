/**
 * Peers and homes for the ssh-sftp / ssh-scp tests: our own server (listen() with sftpFactory
 * and allowScp, as embedded.ts does), a throwaway HOME holding the harness's client key as
 * ~/.ssh/id_ed25519 and a known_hosts for the servers, and captured program output.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { userInfo } from 'node:os';
import { defaultClientKey, knownHostsLines, makeTempDir, type SshTarget } from '@ssh/interop';
import { generatePrivateKey, listen, type SFTPServer, type SSHAcceptor, type SSHServerConnectionOptions, type SSHServerProcess } from '@ssh/asyncssh';

export interface OurServer extends SshTarget {
  readonly acceptor: SSHAcceptor;
  readonly user: string;
  stop(): Promise<void>;
}

/** Our server on 127.0.0.1 serving the local file system over SFTP and SCP to the harness's client key. */
export async function startOurServer(options: { sftpFactory?: (process: SSHServerProcess<string>) => SFTPServer; extra?: SSHServerConnectionOptions } = {}): Promise<OurServer> {
  const hostKey = generatePrivateKey('ssh-ed25519', { comment: 'cli test host key' });
  const client = await defaultClientKey();
  const acceptor = await listen('127.0.0.1', 0, {
    serverHostKeys: [hostKey],
    authorizedClientKeys: `${client.publicKey}\n`,
    sftpFactory: options.sftpFactory ?? true,
    allowScp: true,
    ...options.extra,
  });
  return {
    name: 'our server',
    acceptor,
    host: '127.0.0.1',
    port: acceptor.getPort(),
    user: userInfo().username,
    hostPublicKeys: [new TextDecoder().decode(hostKey.exportPublicKey('openssh')).trim()],
    stop: async () => {
      acceptor.close();
      await acceptor.waitClosed();
    },
  };
}

/** A HOME with ~/.ssh/id_ed25519 (the harness's client key) and known_hosts for `targets`. */
export async function clientHome(targets: readonly SshTarget[], options: { knownHosts?: boolean } = {}): Promise<string> {
  const home = await makeTempDir('cli-home');
  const key = await defaultClientKey();
  mkdirSync(path.join(home, '.ssh'), { mode: 0o700 });
  writeFileSync(path.join(home, '.ssh', 'id_ed25519'), key.privateKey, { mode: 0o600 });
  writeFileSync(path.join(home, '.ssh', 'id_ed25519.pub'), `${key.publicKey}\n`);
  if (options.knownHosts !== false) writeFileSync(path.join(home, '.ssh', 'known_hosts'), `${targets.flatMap((t) => knownHostsLines(t)).join('\n')}\n`);
  return home;
}

/** Runs `fn` with HOME set to `home` and no agent. */
export async function withHome<T>(home: string, fn: () => Promise<T>): Promise<T> {
  const saved = { HOME: process.env['HOME'], SSH_AUTH_SOCK: process.env['SSH_AUTH_SOCK'] };
  process.env['HOME'] = home;
  delete process.env['SSH_AUTH_SOCK'];
  try {
    return await fn();
  } finally {
    process.env['HOME'] = saved.HOME;
    if (saved.SSH_AUTH_SOCK !== undefined) process.env['SSH_AUTH_SOCK'] = saved.SSH_AUTH_SOCK;
  }
}

/** A server the programs are run against: sshd from the interop harness, or ours. */
export interface Peer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly hostPublicKeys?: readonly string[];
  stop(): Promise<void>;
}

export interface Captured {
  readonly out: () => string;
  readonly err: () => string;
}

/** Program io writing into strings; `stdin` lines for ssh-sftp. */
export function captureIo(options: { stdin?: readonly string[]; cwd?: string } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    out: (t: string) => void out.push(t),
    err: (t: string) => void err.push(t),
    stdin: Readable.from((options.stdin ?? []).map((l) => `${l}\n`)),
    stdinIsTty: false,
    stdoutIsTty: false,
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
  };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

/** `user@127.0.0.1` with `-P port` for a target. */
export function at(target: SshTarget & { readonly user: string }): { readonly port: string; readonly dest: string } {
  return { port: String(target.port), dest: `${target.user}@${target.host}` };
}
