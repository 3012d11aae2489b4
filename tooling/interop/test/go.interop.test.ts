import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GoServer, buildGoPeer, generateKey, goAvailable, isProcessAlive, runGoClient, startGoServer, startSshd, type SshdServer } from '../src/index.ts';
import { logPeersOnFailure } from '../src/vitest.ts';
import { expectServesOpenSshClient, expectTakesPassword } from './openssh-client-checks.ts';

logPeersOnFailure();

describe('the x/crypto peer against OpenSSH', () => {
  let server: GoServer;
  let sshd: SshdServer;

  beforeAll(async () => {
    expect(goAvailable()).toBe(true);
    [server, sshd] = await Promise.all([startGoServer({ passwords: { alice: 'secret' } }), startSshd()]);
  });
  afterAll(async () => {
    await server?.stop();
    await sshd?.stop();
  });

  it('builds once per process', async () => {
    expect(await buildGoPeer()).toBe(await buildGoPeer());
  });

  it('serves the OpenSSH client, with exit status, stderr, stdin and a pty', async () => {
    await expectServesOpenSshClient(server);
  });

  it('takes a password', async () => {
    await expectTakesPassword(server);
  });

  it('runs its client against sshd, checking the host key', async () => {
    const r = await runGoClient({ target: sshd, actions: [{ op: 'exec', command: 'echo hi; echo err >&2; exit 4' }, { op: 'keepalive' }] });
    expect(r.actions[0]).toMatchObject({ stdout: 'hi\n', stderr: 'err\n', exitStatus: 4 });
    expect(r.actions[1]).toMatchObject({ ok: false, error: '' });
    const stranger = await generateKey('ed25519', { label: 'go-harness-stranger' });
    const refused = await runGoClient({ target: { ...sshd, hostPublicKeys: [stranger.publicKey] }, allowFailure: true });
    expect(refused.exitCode).toBe(1);
    expect(refused.error).toMatch(/knownhosts: key mismatch/);
  });

  it('stops the server by PID', async () => {
    const other = await startGoServer();
    expect(isProcessAlive(other.pid)).toBe(true);
    await other.stop();
    expect(isProcessAlive(other.pid)).toBe(false);
  });
});
