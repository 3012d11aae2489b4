/**
 * SFTPClient.waitClosed() after exit(), over an SSH session: it resolves once the session's
 * channel has closed (AsyncSSH's wait_closed waits for the channel): the server has answered our
 * CHANNEL_CLOSE, so its side of the channel closed first.
 */
import { generatePrivateKey } from '@ssh/keys';
import { defaultClientKey, type KeyPair } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalSFTPServer, connect, listen, type SSHAcceptor } from '../src/index.ts';

let acceptor: SSHAcceptor;
let clientKey: KeyPair;
const events: string[] = [];

beforeAll(async () => {
  clientKey = await defaultClientKey();
  acceptor = await listen('127.0.0.1', 0, {
    serverHostKeys: [generatePrivateKey('ssh-ed25519')],
    authorizedClientKeys: `${clientKey.publicKey}\n`,
    sftpFactory: (process) => {
      void process.waitClosed().then(() => events.push('server channel closed'));
      return new LocalSFTPServer();
    },
  });
});

afterAll(async () => {
  acceptor?.close();
  await acceptor?.waitClosed();
});

describe('SFTPClient.waitClosed after exit', () => {
  it('resolves once the session channel closed, after the server ended its side', async () => {
    await using conn = await connect({ host: '127.0.0.1', port: acceptor.getPort(), username: 'u', clientKeys: [clientKey.privateKeyPath], knownHosts: null, agentPath: null, config: null });
    const sftp = await conn.startSftpClient();
    expect(await sftp.exists('/')).toBe(true);
    sftp.exit();
    await sftp.waitClosed();
    events.push('client waitClosed');
    expect(events).toEqual(['server channel closed', 'client waitClosed']);
    // Disposing of an exited client waits the same way and does not throw.
    await sftp[Symbol.asyncDispose]();
  });
});
