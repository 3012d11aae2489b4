/** Spawns OpenSSH's sftp-server on stdio in a temp directory, for client interop tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SFTPClient, type SFTPClientOptions } from '../../src/index.ts';
import { fromNodeStreams, startSftpClient } from '../../src/node/index.ts';

export const SFTP_SERVER = '/usr/lib/openssh/sftp-server';

export interface OpenSshSession {
  readonly client: SFTPClient;
  readonly dir: string;
  readonly child: ChildProcess;
  close(): Promise<void>;
}

/** A temp dir and a client talking to a fresh sftp-server whose working directory is that dir. */
export async function openSshSession(options: SFTPClientOptions = {}, args: string[] = []): Promise<OpenSshSession> {
  const dir = mkdtempSync(join(tmpdir(), 'sftp-openssh-'));
  const child = spawn(SFTP_SERVER, ['-d', dir, '-e', '-l', 'QUIET', ...args], { cwd: dir, stdio: ['pipe', 'pipe', 'ignore'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (!child.stdout || !child.stdin) throw new Error('no pipes');
  const client = await startSftpClient(fromNodeStreams(child.stdout, child.stdin), options);
  return {
    client,
    dir,
    child,
    async close() {
      client.exit();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
