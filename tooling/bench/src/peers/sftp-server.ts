/**
 * Our SFTP server for the sftp benchmark, run in its own process as sshd is:
 * `sftp-server.ts <host key path> <authorized key line>`. Listens on 127.0.0.1 on a free port
 * (aes128-gcm, no compression), prints the port on stdout, and serves the `sftp` subsystem on
 * the local file system until stdin closes.
 * @module
 */

import { listen } from '@ssh/asyncssh';

const [hostKeyPath, authorized] = process.argv.slice(2);
if (hostKeyPath === undefined || authorized === undefined) {
  process.stderr.write('usage: sftp-server.ts <host key path> <authorized key line>\n');
  process.exit(2);
}

const acceptor = await listen('127.0.0.1', 0, {
  serverHostKeys: [hostKeyPath],
  authorizedClientKeys: authorized,
  encryptionAlgs: ['aes128-gcm@openssh.com'],
  compressionAlgs: ['none'],
  sftpFactory: true,
});
process.stdout.write(`${acceptor.getPort()}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  acceptor.close();
  process.exit(0);
});
