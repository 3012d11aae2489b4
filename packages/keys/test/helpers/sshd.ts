/**
 * @ssh/interop's throwaway sshd (startSshd), set up to judge authorized_keys lines and user
 * certificates: the test rewrites authorized_keys, logs in with one key (or a certificate for
 * it) through the real ssh client, and sees whether sshd let it in and what a command printed.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, removeTempDir, runSsh, startSshd, type SshdServer } from '@ssh/interop';
import type { SSHKey } from '../../src/index.ts';

export interface Login {
  readonly ok: boolean;
  readonly stdout: string;
}

export class AuthorizedKeysSshd {
  readonly server: SshdServer;
  /** Holds the client's key, its certificate and the trusted CA file; removed on stop. */
  private readonly dir: string;
  private readonly clientKey: string;

  private constructor(server: SshdServer, dir: string, clientKey: string) {
    this.server = server;
    this.dir = dir;
    this.clientKey = clientKey;
  }

  /**
   * Starts sshd; `client` is the key the client logs in with. With `trustedUserCa`, sshd also
   * takes user certificates that CA signed (TrustedUserCAKeys).
   */
  static async start(client: SSHKey, trustedUserCa?: SSHKey): Promise<AuthorizedKeysSshd> {
    const dir = await makeTempDir('keys-sshd');
    try {
      const clientKey = join(dir, 'client_key');
      const caFile = join(dir, 'user_ca.pub');
      await writeFile(clientKey, client.exportPrivateKey('openssh'), { mode: 0o600 });
      if (trustedUserCa) await writeFile(caFile, trustedUserCa.convertToPublic().exportPublicKey());
      const server = await startSshd({
        authorizedKeys: [],
        logLevel: 'ERROR',
        // environment= lines are only honoured with it (the harness default is no).
        config: ['PermitUserEnvironment yes', ...(trustedUserCa ? [`TrustedUserCAKeys ${caFile}`] : [])],
      });
      return new AuthorizedKeysSshd(server, dir, clientKey);
    } catch (error) {
      await removeTempDir(dir);
      throw error;
    }
  }

  /**
   * Makes `text` the authorized_keys file and runs `command` as the client key, or (given
   * `certificate`, an OpenSSH certificate line for it) as that certificate.
   */
  async login(text: string, command = 'true', certificate?: Uint8Array): Promise<Login> {
    await writeFile(this.server.authorizedKeysPath, text, { mode: 0o600 });
    const certArgs: string[] = [];
    if (certificate) {
      const certFile = join(this.dir, 'client_cert.pub');
      await writeFile(certFile, certificate);
      certArgs.push('-o', `CertificateFile=${certFile}`);
    }
    const r = await runSsh(this.server, command, { identity: null, args: ['-i', this.clientKey, ...certArgs], allowFailure: true });
    return { ok: r.exitCode === 0, stdout: r.stdout };
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await removeTempDir(this.dir);
  }
}
