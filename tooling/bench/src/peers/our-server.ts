/**
 * Our server for the connection and sftp benchmarks, run in its own process as sshd is:
 * `our-server.ts shell|sftp <host key path> <authorized key line>`. Listens on 127.0.0.1 on a
 * free port (aes128-gcm, no compression), prints the port on stdout, and serves until stdin
 * closes: `shell` runs each session's command in a local shell (the CLI's localShellFactory),
 * `sftp` serves the `sftp` subsystem on the local file system.
 * @module
 */

import { listen } from '@ssh/asyncssh';
import { localShellFactory } from '@ssh/cli';

const [kind, hostKeyPath, authorized] = process.argv.slice(2);
if ((kind !== 'shell' && kind !== 'sftp') || hostKeyPath === undefined || authorized === undefined) {
  process.stderr.write('usage: our-server.ts shell|sftp <host key path> <authorized key line>\n');
  process.exit(2);
}

const acceptor = await listen('127.0.0.1', 0, {
  serverHostKeys: [hostKeyPath],
  authorizedClientKeys: authorized,
  encryptionAlgs: ['aes128-gcm@openssh.com'],
  compressionAlgs: ['none'],
  ...(kind === 'shell' ? { processFactory: localShellFactory() } : { sftpFactory: true }),
});
process.stdout.write(`${acceptor.getPort()}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  acceptor.close();
  process.exit(0);
});
