/**
 * Agent use and forwarding against real peers: auth through ssh-agent against sshd, our client
 * forwarding its agent into sshd (ssh-add -l there sees the key), and OpenSSH ssh -A into our
 * server (ssh-add -l in the session sees the forwarded key; the socket is gone afterwards).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultClientKey, generateKey, makeTempDir, removeTempDir, runSsh, runSshAdd, startSshAgent, startSshd, type KeyPair, type SshAgent, type SshdServer } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, listen, type SSHAcceptor, type SSHServerProcess } from '../src/index.ts';

let sshd: SshdServer;
let agent: SshAgent;
let key: KeyPair;
let hostKey: KeyPair;
let acceptor: SSHAcceptor;
let fingerprint: string;
const agentPaths: string[] = [];

/** Runs ssh-add -l inside the session with the forwarded agent. */
async function sshAddList(process: SSHServerProcess): Promise<void> {
  const agentPath = process.channel.getAgentPath();
  if (agentPath !== undefined) agentPaths.push(agentPath);
  // The session's environment names the forwarded agent, as sshd sets SSH_AUTH_SOCK.
  if (process.env['SSH_AUTH_SOCK'] !== agentPath) throw new Error('SSH_AUTH_SOCK is not the forwarded agent');
  const child = spawn('ssh-add', ['-l'], { env: { ...globalThis.process.env, SSH_AUTH_SOCK: agentPath ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? 1)));
  process.stdout.write(out);
  process.exit(code);
}

beforeAll(async () => {
  key = await defaultClientKey();
  hostKey = await generateKey('ed25519', { label: 'agent-host' });
  agent = await startSshAgent();
  await runSshAdd([key.privateKeyPath], { agent });
  fingerprint = (await runSshAdd(['-l'], { agent })).stdout.split(' ')[1] ?? '';
  sshd = await startSshd();
  acceptor = await listen('127.0.0.1', 0, {
    serverHostKeys: [hostKey.privateKeyPath],
    authorizedClientKeys: readFileSync(key.publicKeyPath, 'utf8'),
    processFactory: sshAddList,
    agentForwarding: true,
  });
});

afterAll(async () => {
  await acceptor?.waitClosed();
  await sshd?.stop();
  await agent?.stop();
});

describe('agent', () => {
  it('authenticates with the agent key by default', async () => {
    await using conn = await connect({ host: '127.0.0.1', port: sshd.port, username: sshd.user, agentPath: agent.socketPath, knownHosts: null, config: null, homeDirectory: '/nonexistent' });
    expect(conn.getExtraInfo('authMethod')).toBe('publickey');
  });

  it('forwards our agent into sshd', async () => {
    await using conn = await connect({ host: '127.0.0.1', port: sshd.port, username: sshd.user, agentPath: agent.socketPath, agentForwarding: true, knownHosts: null, config: null, homeDirectory: '/nonexistent' });
    const r = await conn.run('ssh-add -l');
    expect(r.exitStatus).toBe(0);
    expect(r.stdout).toContain(fingerprint);
  });

  it('gives OpenSSH ssh -A a forwarded agent in our sessions, and removes the socket after', async () => {
    const r = await runSsh({ name: 'ours', host: '127.0.0.1', port: acceptor.getPort(), hostPublicKeys: [hostKey.publicKey] }, 'ssh-add -l', { identity: key, args: ['-A'], agent });
    expect(r.stdout).toContain(fingerprint);
    const used = agentPaths.at(-1) as string;
    for (let i = 0; i < 50 && existsSync(used); i++) await new Promise((res) => setTimeout(res, 20));
    expect(existsSync(used)).toBe(false);
  });

  it('refuses agent forwarding when the server does not allow it', async () => {
    const plain = await listen('127.0.0.1', 0, { serverHostKeys: [hostKey.privateKeyPath], authorizedClientKeys: readFileSync(key.publicKeyPath, 'utf8'), processFactory: sshAddList });
    await using conn = await connect({ host: '127.0.0.1', port: plain.getPort(), username: 'u', agentPath: agent.socketPath, agentForwarding: true, knownHosts: null, config: null });
    const r = await conn.run('x');
    expect(r.exitStatus).not.toBe(0);
    conn.close();
    await plain.waitClosed();
  });
});

describe('ForwardAgent with a socket path in the ssh_config', () => {
  let dir = '';
  let other: SshAgent;
  let otherFingerprint = '';
  beforeAll(async () => {
    dir = await makeTempDir('forward-agent-path');
    // A second agent holding a key sshd does not accept: only forwarding can show it.
    const otherKey = await generateKey('ed25519', { label: 'forward-agent-other' });
    other = await startSshAgent();
    await runSshAdd([otherKey.privateKeyPath], { agent: other });
    otherFingerprint = (await runSshAdd(['-l'], { agent: other })).stdout.split(' ')[1] ?? '';
  });
  afterAll(async () => {
    await other?.stop();
    if (dir) await removeTempDir(dir);
  });
  const configFile = (name: string, lines: string): string => {
    const file = join(dir, name);
    writeFileSync(file, lines);
    return file;
  };
  const target = () => ({ host: '127.0.0.1', port: sshd.port, username: sshd.user, knownHosts: null, homeDirectory: '/nonexistent' });

  it('forwards the agent at that path, as ssh does', async () => {
    const config = configFile('fwd-path', `ForwardAgent ${agent.socketPath}\n`);
    await using conn = await connect({ ...target(), config, clientKeys: [key.privateKeyPath], agentPath: null });
    const r = await conn.run('ssh-add -l');
    expect(r.exitStatus).toBe(0);
    expect(r.stdout).toContain(fingerprint);
  });

  it("authenticates through IdentityAgent's agent and forwards ForwardAgent's, as ssh does", async () => {
    // No clientKeys: the login can only go through the IdentityAgent agent, which holds `key`.
    const config = configFile('fwd-both', `IdentityAgent ${agent.socketPath}\nForwardAgent ${other.socketPath}\n`);
    await using conn = await connect({ ...target(), config });
    const r = await conn.run('ssh-add -l');
    expect(r.exitStatus).toBe(0);
    expect(r.stdout).toContain(otherFingerprint);
    expect(r.stdout).not.toContain(fingerprint);
  });

  it("the caller's agentForwarding wins over the file; its agentPath authenticates and the file's agent is forwarded", async () => {
    const config = configFile('fwd-caller', `ForwardAgent ${other.socketPath}\n`);
    await using off = await connect({ ...target(), config, clientKeys: [key.privateKeyPath], agentForwarding: false });
    expect((await off.run('ssh-add -l')).exitStatus).not.toBe(0);
    await using mine = await connect({ ...target(), config, clientKeys: [key.privateKeyPath], agentForwarding: agent.socketPath });
    const forwarded = await mine.run('ssh-add -l');
    expect(forwarded.stdout).toContain(fingerprint);
    expect(forwarded.stdout).not.toContain(otherFingerprint);
    await using both = await connect({ ...target(), config, agentPath: agent.socketPath });
    const r = await both.run('ssh-add -l');
    expect(r.stdout).toContain(otherFingerprint);
    expect(r.stdout).not.toContain(fingerprint);
  });
});
