/**
 * A throwaway OpenSSH sshd on 127.0.0.1 whose `sftp` subsystem is our server (through the stdio
 * launcher), with a fresh host key and a client key authorised for the current user.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { writeLauncher } from './sftp-batch.ts';

export interface Sshd {
  readonly port: number;
  readonly clientKey: string;
  /** The chroot our server uses. */
  readonly root: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startSshd(): Promise<Sshd> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'sftp-sshd-')));
  const root = join(dir, 'root');
  mkdirSync(root);
  const hostKey = join(dir, 'host_key');
  const clientKey = join(dir, 'client_key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', clientKey]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`));
  const launcher = writeLauncher(dir, [root]);
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `ListenAddress 127.0.0.1`,
      `Port ${port}`,
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile none`,
      `StrictModes no`,
      `UsePAM no`,
      `PasswordAuthentication no`,
      `KbdInteractiveAuthentication no`,
      `PermitRootLogin ${userInfo().uid === 0 ? 'prohibit-password' : 'no'}`,
      `AllowUsers ${userInfo().username}`,
      `Subsystem sftp ${launcher}`,
      `LogLevel ERROR`,
      `UseDNS no`,
    ].join('\n') + '\n',
  );
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  // Wait until the port accepts connections.
  const deadline = Date.now() + 10000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sshd exited: ${stderr}`);
    const ok = await new Promise<boolean>((resolve) => probe(port, resolve));
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`sshd did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    clientKey,
    root,
    async stop() {
      child.kill('SIGTERM');
      await waitExit(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Calls `done(true)` once a TCP connection to the port succeeds, `done(false)` on error. */
function probe(port: number, done: (ok: boolean) => void): void {
  const s = connect(port, '127.0.0.1');
  s.once('connect', () => {
    s.destroy();
    done(true);
  });
  s.once('error', () => done(false));
}
