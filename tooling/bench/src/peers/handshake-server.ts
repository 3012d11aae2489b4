/**
 * A server for the handshake benchmark, run in its own process (so that the load generator does
 * not share its event loop): `handshake-server.ts ours|ssh2 <host key path> <authorized key line>`.
 * Listens on 127.0.0.1 on a free port, prints the port on stdout, and serves until stdin closes.
 * Both accept public key authentication by the one authorized key (signature checked) and
 * accept no sessions.
 * @module
 */

import { readFileSync } from 'node:fs';
import { listen } from '@ssh/asyncssh';
import ssh2 from 'ssh2';

const [kind, hostKeyPath, authorized] = process.argv.slice(2);
if ((kind !== 'ours' && kind !== 'ssh2') || hostKeyPath === undefined || authorized === undefined) {
  process.stderr.write('usage: handshake-server.ts ours|ssh2 <host key path> <authorized key line>\n');
  process.exit(2);
}

async function serveOurs(hostKey: string, authorizedKey: string): Promise<() => void> {
  const acceptor = await listen('127.0.0.1', 0, {
    serverHostKeys: [hostKey],
    authorizedClientKeys: authorizedKey,
    encryptionAlgs: ['aes128-gcm@openssh.com'],
    compressionAlgs: ['none'],
  });
  process.stdout.write(`${acceptor.getPort()}\n`);
  return () => acceptor.close();
}

function serveSsh2(hostKey: string, authorizedKey: string): Promise<() => void> {
  const allowed = ssh2.utils.parseKey(authorizedKey);
  if (allowed instanceof Error) throw allowed;
  const allowedBlob = allowed.getPublicSSH();
  const server = new ssh2.Server(
    { hostKeys: [readFileSync(hostKey)], algorithms: { cipher: ['aes128-gcm@openssh.com'], compress: ['none'] } },
    (client) => {
      client.on('error', () => undefined);
      client.on('authentication', (ctx) => {
        if (ctx.method !== 'publickey' || ctx.key.algo !== allowed.type || !ctx.key.data.equals(allowedBlob)) return ctx.reject(['publickey']);
        if (ctx.signature === undefined || ctx.blob === undefined) return ctx.accept();
        if (allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true) return ctx.accept();
        return ctx.reject(['publickey']);
      });
      client.on('session', (_accept, reject) => reject());
    },
  );
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      process.stdout.write(`${typeof address === 'object' && address !== null ? address.port : 0}\n`);
      resolve(() => server.close());
    });
  });
}

const stop = await (kind === 'ours' ? serveOurs(hostKeyPath, authorized) : serveSsh2(hostKeyPath, authorized));
process.stdin.resume();
process.stdin.on('end', () => {
  stop();
  process.exit(0);
});
