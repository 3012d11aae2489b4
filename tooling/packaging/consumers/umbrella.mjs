/* global console, TextDecoder */
// A project that installed @ssh/asyncssh: our server on 127.0.0.1, our client running a command and
// an SFTP round trip on it, with keys made in memory.
import assert from 'node:assert/strict';
import { connect, generatePrivateKey, importKnownHosts, listen } from '@ssh/asyncssh';

const hostKey = generatePrivateKey('ssh-ed25519');
const userKey = generatePrivateKey('ssh-ed25519');
const text = (bytes) => new TextDecoder().decode(bytes).trim();
const server = await listen('127.0.0.1', 0, {
  serverHostKeys: [hostKey],
  authorizedClientKeys: text(userKey.exportPublicKey('openssh')),
  sftpFactory: true,
  processFactory: async (process) => {
    const input = await process.stdin.read();
    process.stdout.write(`${process.command}: ${input}`);
    process.exit(3);
  },
});
try {
  const port = server.getPort();
  const conn = await connect('127.0.0.1', {
    port,
    username: 'packed',
    clientKeys: [userKey],
    knownHosts: importKnownHosts(`[127.0.0.1]:${port} ${text(hostKey.exportPublicKey('openssh'))}\n`),
    agentPath: null,
  });
  try {
    const result = await conn.run('greet', { input: 'hello\n' });
    assert.equal(result.stdout, 'greet: hello\n');
    assert.equal(result.exitStatus, 3);
    const sftp = await conn.startSftpClient();
    const cwd = await sftp.realpath('.');
    assert.ok(cwd.startsWith('/'), cwd);
    sftp.exit();
  } finally {
    conn.close();
    await conn.waitClosed();
  }
} finally {
  server.close();
  await server.waitClosed();
}
console.log('asyncssh ok');
