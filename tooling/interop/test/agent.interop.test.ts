import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type SshAgent,
  type SshdServer,
  defaultClientKey,
  generateKey,
  isProcessAlive,
  runAsyncsshClient,
  runSsh,
  runSshAdd,
  startSshAgent,
  startSshd,
} from '../src/index.ts';
import { logPeersOnFailure } from '../src/vitest.ts';

logPeersOnFailure();

describe('ssh-agent', () => {
  let agent: SshAgent;
  let sshd: SshdServer;

  beforeAll(async () => {
    [agent, sshd] = await Promise.all([startSshAgent(), startSshd({ hostKeyTypes: ['ed25519'] })]);
  });
  afterAll(async () => {
    await Promise.all([agent.stop(), sshd.stop()]);
  });

  it('starts empty, takes keys from ssh-add and lists them', async () => {
    const empty = await runSshAdd(['-l'], { agent, allowFailure: true });
    expect(empty.exitCode).toBe(1);
    expect(empty.stdout).toMatch(/no identities/);
    const key = await defaultClientKey();
    const rsa = await generateKey('rsa', { label: 'agent-rsa' });
    await runSshAdd([key.privateKeyPath, rsa.privateKeyPath], { agent });
    const listed = await runSshAdd(['-l'], { agent });
    expect(listed.stdout).toContain(key.fingerprint);
    expect(listed.stdout).toContain(rsa.fingerprint);
    expect(agent.env).toEqual({ SSH_AUTH_SOCK: agent.socketPath });
  });

  it('authenticates the OpenSSH and AsyncSSH clients through the agent', async () => {
    await runSshAdd([(await defaultClientKey()).privateKeyPath], { agent });
    expect((await runSsh(sshd, 'echo agent', { agent })).stdout).toBe('agent\n');
    const python = await runAsyncsshClient(`print((await conn.run('echo py-agent')).stdout, end='')`, { target: sshd, agent });
    expect(python.stdout).toBe('py-agent\n');
  });

  it('is gone after stop()', async () => {
    const other = await startSshAgent();
    expect(isProcessAlive(other.pid)).toBe(true);
    await other.stop();
    expect(isProcessAlive(other.pid)).toBe(false);
    expect(isProcessAlive(other.process.watchdogPid)).toBe(false);
  });
});
