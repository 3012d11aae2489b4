/**
 * The top-level helpers: host key and auth method probes against sshd, SSH over sockets you
 * already have, reversed roles, and the asyncio-style factories.
 */
import net from 'node:net';
import { defaultClientKey, startSshd, type KeyPair, type SshdServer } from '@ssh/interop';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SSHClient,
  SSHServer,
  SSHSubprocessProtocol,
  connect,
  connectReverse,
  createConnection,
  createServer,
  generatePrivateKey,
  getServerAuthMethods,
  getServerHostKey,
  importPublicKey,
  listenReverse,
  runClient,
  runServer,
  type SSHClientConnection,
  type SSHKey,
  type SSHServerProcess,
} from '../src/index.ts';

let sshd: SshdServer;
let key: KeyPair;
const hostKey = generatePrivateKey('ssh-ed25519');
const echo = (p: SSHServerProcess): void => {
  p.stdout.write(`ran ${p.command ?? ''}\n`);
  p.exit(0);
};

beforeAll(async () => {
  key = await defaultClientKey();
  sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.stop();
});

describe('probes', () => {
  it('gets the server host key without authenticating', async () => {
    // A plain key: this sshd has no host certificate.
    const k = (await getServerHostKey('127.0.0.1', sshd.port)) as SSHKey;
    const known = (sshd.hostPublicKeys ?? []).map((line) => importPublicKey(line));
    expect(known.some((h) => h.equals(k))).toBe(true);
    await using conn = await connect({ host: '127.0.0.1', port: sshd.port, username: sshd.user, clientKeys: [key.privateKeyPath], knownHosts: null, agentPath: null, config: null, serverHostKeyAlgs: [k.algorithm] });
    expect((conn.getServerHostKey() as SSHKey | undefined)?.equals(k)).toBe(true);
  });

  it('lists the auth methods the server offers', async () => {
    const methods = await getServerAuthMethods('127.0.0.1', sshd.port, sshd.user);
    expect(methods).toContain('publickey');
  });
});

describe('sockets you already have, and reversed roles', () => {
  it('runs client and server over an accepted socket pair', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
    const sock = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    const serverSide = runServer(await accepted, { serverHostKeys: [hostKey], authorizedClientKeys: readFileSync(key.publicKeyPath, 'utf8'), processFactory: echo });
    const conn = await runClient(sock, { username: 'u', clientKeys: [key.privateKeyPath], knownHosts: null, agentPath: null });
    await serverSide;
    expect((await conn.run('x')).stdout).toBe('ran x\n');
    conn.close();
    server.close();
  });

  it('lets the server dial out to a listening client', async () => {
    const connections: SSHClientConnection[] = [];
    class Recorder extends SSHClient {
      override connectionMade(conn: SSHClientConnection): void {
        connections.push(conn);
      }
    }
    const acceptor = await listenReverse('127.0.0.1', 0, { username: 'u', clientKeys: [key.privateKeyPath], knownHosts: null, agentPath: null, clientFactory: () => new Recorder() });
    const serverConn = await connectReverse('127.0.0.1', acceptor.getPort(), { serverHostKeys: [hostKey], authorizedClientKeys: readFileSync(key.publicKeyPath, 'utf8'), processFactory: echo });
    expect(connections).toHaveLength(1);
    const client = connections[0] as SSHClientConnection;
    for (let i = 0; i < 100 && client.getExtraInfo('authMethod') === undefined; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await client.run('back')).stdout).toBe('ran back\n');
    serverConn.close();
    await acceptor.waitClosed();
  });

  it('creates connections and servers from factories', async () => {
    class Server extends SSHServer {
      override passwordAuthSupported(): boolean {
        return true;
      }
      override validatePassword(_user: string, password: string): boolean {
        return password === 'sesame';
      }
    }
    const acceptor = await createServer(() => new Server(), '127.0.0.1', 0, { serverHostKeys: [hostKey], processFactory: echo });
    const [conn, client] = await createConnection(() => new SSHClient(), '127.0.0.1', acceptor.getPort(), { username: 'u', password: 'sesame', clientKeys: null, knownHosts: null, agentPath: null, config: null });
    expect(client).toBeInstanceOf(SSHClient);
    expect((await conn.run('pw')).stdout).toBe('ran pw\n');
    conn.close();
    await acceptor.waitClosed();
  });
});

describe('createSubprocess', () => {
  it('delivers stdout and stderr by fd and reports the exit', async () => {
    const acceptor = await createServer(() => new SSHServer(), '127.0.0.1', 0, {
      serverHostKeys: [hostKey],
      authorizedClientKeys: readFileSync(key.publicKeyPath, 'utf8'),
      processFactory: (p: SSHServerProcess) => {
        p.stdout.write('out\n');
        p.stderr.write('err\n');
        p.exit(2);
      },
    });
    const [conn] = await createConnection(() => new SSHClient(), '127.0.0.1', acceptor.getPort(), { username: 'u', clientKeys: [key.privateKeyPath], knownHosts: null, agentPath: null, config: null });
    const got: string[] = [];
    let exited!: () => void;
    const done = new Promise<void>((r) => (exited = r));
    class Proto extends SSHSubprocessProtocol {
      override pipeDataReceived(fd: number, data: string): void {
        got.push(`${fd}:${data}`);
      }
      override processExited(): void {
        exited();
      }
    }
    const [transport] = await conn.createSubprocess(() => new Proto(), 'x');
    await done;
    expect(got.sort()).toEqual(['1:out\n', '2:err\n']);
    expect(transport.getReturncode()).toBe(2);
    expect(transport.getPipeTransport(0).canWriteEof()).toBe(true);
    conn.close();
    await acceptor.waitClosed();
  });
});
