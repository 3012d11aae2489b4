/**
 * The attributes AsyncSSH documents on its classes (autoattribute: logger, channel, connection,
 * env, stdin, stdout, stderr) exist on our instances, and the smaller API pieces: SSHServer's
 * validateGssPrincipal default, SSHForwarder, SSHLineEditorChannel.
 */
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { defaultClientKey, type KeyPair } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LocalSFTPServer,
  SSHForwarder,
  SSHLogger,
  SSHLineEditorChannel,
  SSHServer,
  SSHServerChannel,
  connect,
  generatePrivateKey,
  listen,
  type SFTPServer,
  type SSHAcceptor,
  type SSHServerConnection,
  type SSHServerProcess,
} from '../src/index.ts';

let key: KeyPair;
let acceptor: SSHAcceptor;
const serverProcesses: SSHServerProcess[] = [];
const serverConns: SSHServerConnection[] = [];

class Recording extends SSHServer {
  override connectionMade(conn: SSHServerConnection): void {
    serverConns.push(conn);
  }

  override connectionRequested(): boolean {
    return true;
  }
}

beforeAll(async () => {
  key = await defaultClientKey();
  acceptor = await listen('127.0.0.1', 0, {
    serverHostKeys: [generatePrivateKey('ssh-ed25519')],
    authorizedClientKeys: readFileSync(key.publicKeyPath, 'utf8'),
    serverFactory: () => new Recording(),
    processFactory: async (p: SSHServerProcess) => {
      serverProcesses.push(p);
      p.stdout.write('ok\n');
      await p.stdin.read();
      p.exit(0);
    },
  });
});

afterAll(async () => {
  await acceptor?.waitClosed();
});

const opts = () => ({ host: '127.0.0.1', port: acceptor.getPort(), username: 'u', clientKeys: [key.privateKeyPath], knownHosts: null, agentPath: null, config: null });

describe('autoattributes', () => {
  it('connections, processes, channels and streams carry them', async () => {
    await using conn = await connect(opts());
    expect(conn.logger).toBeDefined();
    const server = serverConns.at(-1) as SSHServerConnection;
    expect(server.logger).toBeDefined();

    const proc = await conn.createProcess('cmd', { env: { A: '1' } });
    for (const name of ['channel', 'logger', 'env', 'stdin', 'stdout', 'stderr'] as const) expect(proc[name], `SSHClientProcess.${name}`).toBeDefined();
    expect(proc.channel.logger).toBeDefined();
    for (const stream of [proc.stdout, proc.stdin]) {
      expect(stream.channel).toBe(proc.channel);
      expect(stream.logger, 'SSHReader/SSHWriter.logger').toBeDefined();
    }
    expect(await proc.stdout.readline()).toBe('ok\n');
    const sp = serverProcesses.at(-1) as SSHServerProcess;
    for (const name of ['channel', 'logger', 'env', 'stdin', 'stdout', 'stderr'] as const) expect(sp[name], `SSHServerProcess.${name}`).toBeDefined();
    expect(sp.env['A']).toBe('1');
    expect(sp.channel.logger).toBeDefined();
    // With the line editor on (the default), a process session's channel is an SSHLineEditorChannel.
    expect(sp.channel).toBeInstanceOf(SSHLineEditorChannel);
    expect(sp.channel).toBeInstanceOf(SSHServerChannel);
    proc.stdin.writeEof();
    await proc.wait();

    const echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    try {
      const [channel] = await conn.createConnection(() => ({}), '127.0.0.1', (echo.address() as net.AddressInfo).port);
      expect(channel.logger, 'SSHTCPChannel.logger').toBeDefined();
      channel.close();
    } finally {
      echo.close();
    }

  });
});

describe('SFTP autoattributes', () => {
  it('SFTPClient.logger, and SFTPServer.channel / connection / env / logger on the serving side', async () => {
    let served: SFTPServer | undefined;
    await using sftpAcceptor = await listen('127.0.0.1', 0, {
      serverHostKeys: [generatePrivateKey('ssh-ed25519')],
      authorizedClientKeys: readFileSync(key.publicKeyPath, 'utf8'),
      serverFactory: () => new Recording(),
      sftpFactory: () => (served = new LocalSFTPServer()),
    });
    await using conn = await connect({ ...opts(), port: sftpAcceptor.getPort() });
    const sftp = await conn.startSftpClient({ env: { LANG: 'C.UTF-8' } });
    expect(sftp.logger).toBeInstanceOf(SSHLogger);
    expect(sftp.logger.name).toMatch(/^asyncssh\.sftp \[conn=\d+, client\]$/);
    expect(await sftp.realpath('.')).toMatch(/^\//);
    expect(served?.channel).toBeInstanceOf(SSHServerChannel);
    expect(served?.connection).toBe(serverConns.at(-1));
    expect(served?.env['LANG']).toBe('C.UTF-8');
    expect(served?.logger.name).toMatch(/^asyncssh\.sftp \[conn=\d+, server\]$/);
    sftp.exit();
  });
});

describe('SSHServer.validateGssPrincipal', () => {
  const s = new SSHServer();
  it('accepts the user of the host realm only', () => {
    expect(s.validateGssPrincipal('alice', 'alice@EXAMPLE.COM', 'host/h.example.com@EXAMPLE.COM')).toBe(true);
    expect(s.validateGssPrincipal('alice', 'bob@EXAMPLE.COM', 'host/h.example.com@EXAMPLE.COM')).toBe(false);
    expect(s.validateGssPrincipal('alice', 'alice@OTHER.ORG', 'host/h.example.com@EXAMPLE.COM')).toBe(false);
    expect(s.validateGssPrincipal('alice', 'Alice@EXAMPLE.COM', 'host/h@EXAMPLE.COM')).toBe(false);
    expect(s.validateGssPrincipal('alice', 'alice', 'host/h')).toBe(true);
    expect(s.validateGssPrincipal('alice', 'alice@', 'host/h@EXAMPLE.COM')).toBe(false);
    expect(s.validateGssPrincipal('', '@EXAMPLE.COM', 'host/h@EXAMPLE.COM')).toBe(true);
  });
});

describe('SSHForwarder', () => {
  it('reports the local socket and closes it', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const f = new SSHForwarder(socket);
    expect(f.getExtraInfo('peername')).toEqual(['127.0.0.1', (server.address() as net.AddressInfo).port]);
    expect((f.getExtraInfo('sockname') as unknown[])[0]).toBe('127.0.0.1');
    expect(f.getExtraInfo('socket')).toBe(socket);
    expect(f.getExtraInfo('nothing', 'dflt')).toBe('dflt');
    f.close();
    expect(socket.destroyed).toBe(true);
    server.close();
  });
});
