/**
 * Forwarding against AsyncSSH, the API we follow: its client's forward_local_port,
 * open_connection and forward_remote_port through our server, and our client's forwarding
 * through an AsyncSSH server whose SSHServer allows connection_requested and server_requested.
 */
import { readFileSync } from 'node:fs';
import { defaultClientKey, generateKey, runAsyncsshClient, startAsyncsshServer, type AsyncsshServer, type KeyPair } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SSHServer, connect, listen, type SSHAcceptor } from '../src/index.ts';
import { bounded, roundTrip, startEcho, tryConnect, type EchoServer } from './forward-helpers.ts';

let clientKey: KeyPair;
let hostKey: KeyPair;
let acceptor: SSHAcceptor;
let asyncsshServer: AsyncsshServer;
let echo: EchoServer;

class Allowing extends SSHServer {
  override connectionRequested(): boolean {
    return true;
  }

  override serverRequested(): boolean {
    return true;
  }
}

beforeAll(async () => {
  clientKey = await defaultClientKey();
  hostKey = await generateKey('ed25519', { label: 'forward-asyncssh-host' });
  echo = await startEcho();
  acceptor = await listen('127.0.0.1', 0, {
    serverHostKeys: [hostKey.privateKeyPath],
    authorizedClientKeys: readFileSync(clientKey.publicKeyPath, 'utf8'),
    serverFactory: () => new Allowing(),
  });
  asyncsshServer = await startAsyncsshServer({
    script: `
class AllowForwarding(asyncssh.SSHServer):
    def connection_requested(self, dest_host, dest_port, orig_host, orig_port):
        return True

    def server_requested(self, listen_host, listen_port):
        return True

server_factory = AllowForwarding
`,
  });
});

afterAll(async () => {
  await acceptor?.waitClosed();
  await asyncsshServer?.stop();
  await echo?.close();
});

describe('forwarding with AsyncSSH', () => {
  it("AsyncSSH's client forwards local and remote ports and opens direct connections through our server", async () => {
    const snippet = `
async def through(port, data):
    r, w = await asyncio.open_connection('127.0.0.1', port)
    w.write(data)
    w.write_eof()
    got = await r.read()
    w.close()
    return got.decode()

local = await conn.forward_local_port('127.0.0.1', 0, '127.0.0.1', params['echo'])
local_result = await through(local.get_port(), b'local via asyncssh')
local.close()

reader, writer = await conn.open_connection('127.0.0.1', params['echo'])
writer.write(b'direct via asyncssh')
writer.write_eof()
direct_result = (await reader.read()).decode()

remote = await conn.forward_remote_port('127.0.0.1', 0, '127.0.0.1', params['echo'])
remote_result = await through(remote.get_port(), b'remote via asyncssh')
remote.close()
await remote.wait_closed()
result = {'local': local_result, 'direct': direct_result, 'remote': remote_result, 'remotePort': remote.get_port()}
`;
    const r = await runAsyncsshClient(snippet, {
      target: { name: 'ours', host: '127.0.0.1', port: acceptor.getPort(), hostPublicKeys: [hostKey.publicKey] },
      identity: clientKey,
      params: { echo: echo.port },
    });
    const result = r.result as { local: string; direct: string; remote: string; remotePort: number };
    expect(result.local).toBe('local via asyncssh');
    expect(result.direct).toBe('direct via asyncssh');
    expect(result.remote).toBe('remote via asyncssh');
    expect(await tryConnect({ host: '127.0.0.1', port: result.remotePort })).toBe('ECONNREFUSED');
  });

  it('our client forwards local and remote ports through an AsyncSSH server', async () => {
    await using conn = await connect({
      host: asyncsshServer.host,
      port: asyncsshServer.port,
      username: asyncsshServer.user,
      clientKeys: [clientKey.privateKeyPath],
      knownHosts: null,
      agentPath: null,
      config: null,
    });
    const local = await conn.forwardLocalPort('127.0.0.1', 0, '127.0.0.1', echo.port);
    expect((await roundTrip({ host: '127.0.0.1', port: local.getPort() }, Buffer.from('ours to asyncssh'))).toString()).toBe('ours to asyncssh');
    await local.waitClosed();
    const remote = await conn.forwardRemotePort('127.0.0.1', 0, '127.0.0.1', echo.port);
    expect((await roundTrip({ host: '127.0.0.1', port: remote.getPort() }, Buffer.from('asyncssh back to us'))).toString()).toBe('asyncssh back to us');
    await bounded(remote.waitClosed(), 10_000, 'cancel');
  });
});
