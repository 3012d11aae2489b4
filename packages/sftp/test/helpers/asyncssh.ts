/**
 * An AsyncSSH SFTP server (v3 to v6, forced) reached through OpenSSH's `ssh -s sftp`: the ssh
 * process's stdin/stdout are the SFTP byte stream, so our client needs no SSH layer of its own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type SFTPClient } from '../../src/index.ts';
import { fromNodeStreams, startSftpClient } from '../../src/node/index.ts';

const script = join(dirname(fileURLToPath(import.meta.url)), 'asyncssh_sftp_server.py');

export interface AsyncSshServer {
  readonly port: number;
  readonly root: string;
  stop(): Promise<void>;
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts the AsyncSSH server (SFTP `version` forced) on a fresh temp root. */
export async function startAsyncSshServer(version: number): Promise<AsyncSshServer> {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'sftp-asyncssh-')));
  const child = spawn('/usr/bin/python3', [script, root, String(version)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`AsyncSSH server did not start: ${stderr}`)), 15000);
    child.stdout?.once('data', (d: Buffer) => {
      clearTimeout(timer);
      resolve(Number(d.toString().trim()));
    });
    child.once('exit', (code) => reject(new Error(`AsyncSSH server exited with ${code}: ${stderr}`)));
  });
  return {
    port,
    root,
    async stop() {
      child.kill('SIGTERM');
      await waitExit(child);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface SshSftpSession {
  readonly client: SFTPClient;
  close(): Promise<void>;
}

/** `ssh -s sftp` to the server, our client on its pipes. */
export async function connectSftp(server: AsyncSshServer, version: number): Promise<SshSftpSession> {
  const ssh = spawn(
    'ssh',
    [
      '-F', '/dev/null',
      '-p', String(server.port),
      '-o', 'StrictHostKeyChecking=no',
      '-o', 'UserKnownHostsFile=/dev/null',
      '-o', 'BatchMode=yes',
      '-o', 'LogLevel=ERROR',
      '-s', '127.0.0.1', 'sftp',
    ],
    { stdio: ['pipe', 'pipe', 'ignore'] },
  );
  if (!ssh.stdout || !ssh.stdin) throw new Error('no pipes');
  try {
    const client = await startSftpClient(fromNodeStreams(ssh.stdout, ssh.stdin), { version });
    return {
      client,
      async close() {
        client.exit();
        const timer = setTimeout(() => ssh.kill('SIGKILL'), 3000);
        await waitExit(ssh);
        clearTimeout(timer);
      },
    };
  } catch (e) {
    ssh.kill('SIGKILL');
    await waitExit(ssh);
    throw e;
  }
}
