import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ParamikoServer, generateKey, isProcessAlive, runParamikoClient, runSftp, startParamikoServer } from '../src/index.ts';
import { logPeersOnFailure } from '../src/vitest.ts';
import { expectServesOpenSshClient, expectTakesPassword } from './openssh-client-checks.ts';

logPeersOnFailure();

describe('Paramiko server', () => {
  let server: ParamikoServer;

  beforeAll(async () => {
    server = await startParamikoServer({ passwords: { alice: 'secret' } });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('serves the OpenSSH client, with exit status, stderr, stdin and a pty', async () => {
    await expectServesOpenSshClient(server);
  });

  it('takes a password', async () => {
    await expectTakesPassword(server);
  });

  it('serves its root over sftp as "/"', async () => {
    const result = await runSftp(server, ['mkdir /made', 'ls /']);
    expect(result.stdout).toContain('made');
  });

  it('serves a Paramiko client snippet that checks its host key', async () => {
    const result = await runParamikoClient(`print(client.exec_command('echo hi')[1].read().decode(), end='')\nresult = {'param': params['n'] + 1}`, {
      target: server,
      params: { n: 41 },
    });
    expect(result.stdout).toBe('hi\n');
    expect(result.result).toEqual({ param: 42 });
    const stranger = await generateKey('ed25519', { label: 'paramiko-harness-stranger' });
    const refused = await runParamikoClient('pass', { target: { ...server, hostPublicKeys: [stranger.publicKey] }, allowFailure: true });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('BadHostKeyException');
  });
});

describe('Paramiko client', () => {
  it('ends a snippet that outlives its timeout with exit 124 and the threads it left', async () => {
    const result = await runParamikoClient('time.sleep(30)', { timeoutMs: 1_000, allowFailure: true });
    expect(result.exitCode).toBe(124);
    expect(result.stderr).toContain('timed out after 1 s');
    expect(result.stderr).toContain('<paramiko client snippet>');
  });

  it('stops the server by PID', async () => {
    const server = await startParamikoServer();
    expect(isProcessAlive(server.pid)).toBe(true);
    await server.stop();
    expect(isProcessAlive(server.pid)).toBe(false);
  });
});
