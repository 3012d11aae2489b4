/**
 * Keys for a test that runs our server and our client in this process over 127.0.0.1: a fresh
 * host key and user key, the server options that serve one and admit the other, and the client
 * options that connect with them (no known_hosts, agent or ssh_config).
 */
import { generatePrivateKey, type SSHClientConnectionOptions, type SSHKey } from '../src/index.ts';

export interface LoopbackKeys {
  readonly hostKey: SSHKey;
  readonly userKey: SSHKey;
  readonly serverOptions: { readonly serverHostKeys: SSHKey[]; readonly authorizedClientKeys: string };
  clientOptions(port: number): SSHClientConnectionOptions & { readonly host: string; readonly port: number };
}

export function loopbackKeys(): LoopbackKeys {
  const hostKey = generatePrivateKey('ssh-ed25519');
  const userKey = generatePrivateKey('ssh-ed25519');
  return {
    hostKey,
    userKey,
    serverOptions: { serverHostKeys: [hostKey], authorizedClientKeys: new TextDecoder().decode(userKey.exportPublicKey('openssh')) },
    clientOptions: (port) => ({ host: '127.0.0.1', port, username: 'u', clientKeys: [userKey], knownHosts: null, agentPath: null, config: null }),
  };
}
