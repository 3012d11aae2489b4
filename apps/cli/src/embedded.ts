/**
 * The embedded server of the demo: our SSH server on 127.0.0.1 with a freshly generated host
 * key, one throwaway user key authorized, and a process factory running real shell commands.
 * Everything lives in memory and goes away with the process.
 * @module
 */

import { generatePrivateKey, importKnownHosts, listen, type SSHAcceptor, type SSHKey, type SSHKnownHosts } from '@ssh/asyncssh';
import { localShellFactory } from './local-shell.ts';

export interface EmbeddedServer {
  readonly acceptor: SSHAcceptor;
  readonly port: number;
  readonly hostKey: SSHKey;
  /** The throwaway key the client logs in with. */
  readonly userKey: SSHKey;
  /** known_hosts pinning the server's host key for 127.0.0.1 on its port. */
  readonly knownHosts: SSHKnownHosts;
  close(): Promise<void>;
}

export async function startEmbeddedServer(): Promise<EmbeddedServer> {
  const hostKey = generatePrivateKey('ssh-ed25519', { comment: 'embedded host key' });
  const userKey = generatePrivateKey('ssh-ed25519', { comment: 'throwaway user key' });
  const authorized = new TextDecoder().decode(userKey.exportPublicKey('openssh'));
  const acceptor = await listen('127.0.0.1', 0, {
    serverHostKeys: [hostKey],
    authorizedClientKeys: authorized,
    processFactory: localShellFactory(),
    encoding: null,
  });
  const port = acceptor.getPort();
  const knownHosts = importKnownHosts(`[127.0.0.1]:${port} ${new TextDecoder().decode(hostKey.exportPublicKey('openssh')).trim()}\n`);
  return { acceptor, port, hostKey, userKey, knownHosts, close: () => acceptor.waitClosed() };
}
