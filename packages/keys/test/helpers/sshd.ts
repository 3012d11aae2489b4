/**
 * A throwaway OpenSSH sshd on 127.0.0.1 that reads its authorized_keys from a file the test
 * rewrites, and the ssh client that logs in with one key: does sshd accept a line, and what does
 * a command see once it has. Bounded in time, no network beyond loopback.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { SSHKey } from '../../src/index.ts';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export interface Login {
  readonly ok: boolean;
  readonly stdout: string;
}

export class AuthorizedKeysSshd {
  private readonly dir: string;
  private readonly port: number;
  private readonly child: ChildProcess;
  private readonly clientKey: string;

  private constructor(dir: string, port: number, child: ChildProcess, clientKey: string) {
    this.dir = dir;
    this.port = port;
    this.child = child;
    this.clientKey = clientKey;
  }

  /**
   * Starts sshd; `client` is the key the client logs in with (written for ssh -i). With
   * `trustedUserCa`, sshd also takes user certificates that CA signed (TrustedUserCAKeys).
   */
  static async start(client: SSHKey, trustedUserCa?: SSHKey): Promise<AuthorizedKeysSshd> {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'keys-sshd-')));
    const hostKey = join(dir, 'host_key');
    writeFileSync(hostKey, client.exportPrivateKey('openssh'), { mode: 0o600 });
    const clientKey = join(dir, 'client_key');
    writeFileSync(clientKey, client.exportPrivateKey('openssh'), { mode: 0o600 });
    writeFileSync(join(dir, 'authorized_keys'), '');
    if (trustedUserCa) writeFileSync(join(dir, 'user_ca.pub'), trustedUserCa.convertToPublic().exportPublicKey());
    const port = await freePort();
    const config = join(dir, 'sshd_config');
    writeFileSync(
      config,
      [
        'ListenAddress 127.0.0.1',
        `Port ${port}`,
        `HostKey ${hostKey}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'PidFile none',
        'StrictModes no',
        'UsePAM no',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitUserEnvironment yes',
        `PermitRootLogin ${userInfo().uid === 0 ? 'prohibit-password' : 'no'}`,
        `AllowUsers ${userInfo().username}`,
        'LogLevel ERROR',
        'UseDNS no',
        ...(trustedUserCa ? [`TrustedUserCAKeys ${join(dir, 'user_ca.pub')}`] : []),
      ].join('\n') + '\n',
    );
    const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 10_000;
    while (!(await reachable(port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`sshd did not start: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return new AuthorizedKeysSshd(dir, port, child, clientKey);
  }

  /**
   * Makes `text` the authorized_keys file and runs `command` as the client key, or (given
   * `certificate`, an OpenSSH certificate line for it) as that certificate.
   */
  login(text: string, command = 'true', certificate?: Uint8Array): Promise<Login> {
    writeFileSync(join(this.dir, 'authorized_keys'), text);
    const certArgs: string[] = [];
    if (certificate) {
      writeFileSync(join(this.dir, 'client_cert.pub'), certificate);
      certArgs.push('-o', `CertificateFile=${join(this.dir, 'client_cert.pub')}`);
    }
    const args = [
      ...certArgs,
      '-F', '/dev/null', '-p', String(this.port), '-i', this.clientKey, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes',
      '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
      `${userInfo().username}@127.0.0.1`, command,
    ];
    return new Promise((resolve) => {
      execFile('/usr/bin/ssh', args, { timeout: 20_000 }, (err, stdout) => resolve({ ok: !err, stdout: stdout.toString() }));
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
