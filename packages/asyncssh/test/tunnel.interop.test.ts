/**
 * Connections through other connections: our client through sshd to our own server (and
 * through two hops), as AsyncSSH's `tunnel` and OpenSSH's ProxyJump, including ProxyJump read
 * from an ssh_config file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { defaultClientKey, makeTempDir, startSshd, type KeyPair, type SshdServer } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, generatePrivateKey, listen, type SSHAcceptor, type SSHServerProcess } from '../src/index.ts';

let sshd: SshdServer;
let key: KeyPair;
let acceptor: SSHAcceptor;
const hostKey = generatePrivateKey('ssh-ed25519');

beforeAll(async () => {
  key = await defaultClientKey();
  sshd = await startSshd();
  acceptor = await listen('127.0.0.1', 0, {
    serverHostKeys: [hostKey],
    authorizedClientKeys: readFileSync(key.publicKeyPath, 'utf8'),
    processFactory: (p: SSHServerProcess) => {
      p.stdout.write(`behind the jump: ${p.command ?? ''}\n`);
      p.exit(0);
    },
  });
});

afterAll(async () => {
  await acceptor?.waitClosed();
  await sshd?.stop();
});

const base = () => ({ username: sshd.user, clientKeys: [key.privateKeyPath], knownHosts: null, agentPath: null, config: null });

describe('tunnel', () => {
  it('reaches our server through a connection to sshd', async () => {
    await using jump = await connect({ host: '127.0.0.1', port: sshd.port, ...base() });
    await using conn = await connect({ host: '127.0.0.1', port: acceptor.getPort(), ...base(), tunnel: jump });
    expect((await conn.run('hi')).stdout).toBe('behind the jump: hi\n');
    expect(conn.getExtraInfo('peername')).toBeUndefined();
  });

  it('opens the hops itself from a ProxyJump-style string, two hops deep, and closes them after', async () => {
    const hop = `${sshd.user}@127.0.0.1:${sshd.port}`;
    const conn = await connect({ host: '127.0.0.1', port: acceptor.getPort(), ...base(), tunnel: `${hop},${hop}` });
    expect((await conn.run('two')).stdout).toBe('behind the jump: two\n');
    conn.close();
    await conn.waitClosed();
  });

  it('takes ProxyJump from ssh_config', async () => {
    const dir = await makeTempDir('tunnel-config');
    const config = path.join(dir, 'config');
    writeFileSync(config, [`Host behind`, `  HostName 127.0.0.1`, `  Port ${acceptor.getPort()}`, `  ProxyJump ${sshd.user}@127.0.0.1:${sshd.port}`, ''].join('\n'));
    await using conn = await connect({ ...base(), host: 'behind', config: [config] });
    expect((await conn.run('cfg')).stdout).toBe('behind the jump: cfg\n');
  });
});
