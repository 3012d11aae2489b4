import { connect } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InteropCommandError,
  InteropStartError,
  descendantPids,
  freePort,
  type SshdServer,
  generateKey,
  isProcessAlive,
  runScp,
  runSftp,
  runSftpDirect,
  SFTP_SERVER,
  runSsh,
  startSsh,
  startSshd,
} from '../src/index.ts';
import { logPeersOnFailure } from '../src/vitest.ts';

logPeersOnFailure();

describe('sshd', () => {
  let sshd: SshdServer;
  let local: string;

  beforeAll(async () => {
    sshd = await startSshd();
    local = await mkdtemp(join(tmpdir(), 'interop-test-'));
  });
  afterAll(async () => {
    await sshd.stop();
    await rm(local, { recursive: true, force: true });
  });

  it('serves the OpenSSH client: ssh ... echo hi', async () => {
    const result = await runSsh(sshd, 'echo hi');
    expect(result.stdout).toBe('hi\n');
    expect(result.exitCode).toBe(0);
  });

  it('offers every default host key type, and the client pins them', async () => {
    expect(sshd.hostKeys.map((key) => key.algorithm)).toEqual([
      'ssh-ed25519',
      'ecdsa-sha2-nistp256',
      'ecdsa-sha2-nistp384',
      'ecdsa-sha2-nistp521',
      'ssh-rsa',
    ]);
    for (const algorithm of ['rsa-sha2-512', 'ecdsa-sha2-nistp521']) {
      const result = await runSsh(sshd, 'true', { config: [`HostKeyAlgorithms ${algorithm}`] });
      expect(result.exitCode).toBe(0);
    }
    const other = await generateKey('ed25519', { label: 'not-the-host' });
    const wrong = await runSsh({ ...sshd, hostPublicKeys: [other.publicKey] }, 'true', { allowFailure: true });
    expect(wrong.exitCode).toBe(255);
    expect(wrong.stderr).toMatch(/Host key verification failed/);
  });

  it('passes stdin and exit codes through, and reports failures with the sshd log', async () => {
    const echoed = await runSsh(sshd, 'cat; exit 7', { input: 'through stdin', allowFailure: true });
    expect(echoed.stdout).toBe('through stdin');
    expect(echoed.exitCode).toBe(7);
    const error = await runSsh(sshd, 'exit 3').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InteropCommandError);
    expect((error as InteropCommandError).result.exitCode).toBe(3);
    expect((error as Error).message).toMatch(/sshd log \(tail\)[\s\S]*Accepted publickey/);
  });

  it('rejects a key that is not authorized', async () => {
    const stranger = await generateKey('ecdsa-p256', { label: 'stranger' });
    const result = await runSsh(sshd, 'true', { identity: stranger, allowFailure: true });
    expect(result.exitCode).toBe(255);
    expect(result.stderr).toMatch(/Permission denied/);
  });

  it('serves sftp', async () => {
    await writeFile(join(local, 'up.txt'), 'uploaded through sftp\n');
    const remote = join(local, 'remote.txt');
    const result = await runSftp(sshd, [`put ${join(local, 'up.txt')} ${remote}`, `get ${remote} ${join(local, 'down.txt')}`, `ls ${remote}`]);
    expect(result.stdout).toContain(remote);
    expect(await readFile(join(local, 'down.txt'), 'utf8')).toBe('uploaded through sftp\n');
  });

  it('runs sftp straight against a local sftp-server (sftp -D)', async () => {
    await writeFile(join(local, 'direct.txt'), 'direct\n');
    const result = await runSftpDirect(`${SFTP_SERVER} -d ${local}`, ['pwd', `get direct.txt ${join(local, 'direct-copy.txt')}`]);
    expect(result.stdout).toContain(`Remote working directory: ${local}`);
    expect(await readFile(join(local, 'direct-copy.txt'), 'utf8')).toBe('direct\n');
  });

  it('serves scp, over SFTP and over the legacy protocol', async () => {
    await writeFile(join(local, 'scp.txt'), 'copied\n');
    await runScp(sshd, join(local, 'scp.txt'), { remote: join(local, 'scp-remote.txt') });
    await runScp(sshd, { remote: join(local, 'scp-remote.txt') }, join(local, 'scp-back.txt'), { legacy: true });
    expect(await readFile(join(local, 'scp-back.txt'), 'utf8')).toBe('copied\n');
  });

  it('starts sftp and scp through a launcher', async () => {
    const launcher = ['sh', '-c', 'echo "launched $(basename "$0")" >&2; exec "$0" "$@"'];
    const sftp = await runSftp(sshd, ['pwd'], { launcher });
    expect(sftp.stderr).toContain('launched sftp');
    await writeFile(join(local, 'launched.txt'), 'launched\n');
    const scp = await runScp(sshd, join(local, 'launched.txt'), { remote: join(local, 'launched-remote.txt') }, { launcher });
    expect(scp.stderr).toContain('launched scp');
    expect(await readFile(join(local, 'launched-remote.txt'), 'utf8')).toBe('launched\n');
  });

  it('keeps a long-running ssh for port forwarding until stopped', async () => {
    const port = await freePort();
    const forward = await startSsh(sshd, '', { args: ['-N', '-L', `${port}:127.0.0.1:${sshd.port}`] });
    try {
      let banner = '';
      for (let attempt = 0; attempt < 100 && !banner.startsWith('SSH-2.0-'); attempt++) {
        banner = await readBanner(port);
        if (!banner.startsWith('SSH-2.0-')) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(banner).toMatch(/^SSH-2\.0-OpenSSH/);
    } finally {
      await forward.stop();
    }
    expect(isProcessAlive(forward.pid)).toBe(false);
  });

  it('takes authorized_keys changes without a restart', async () => {
    const late = await generateKey('ed25519', { label: 'late' });
    expect((await runSsh(sshd, 'true', { identity: late, allowFailure: true })).exitCode).toBe(255);
    await sshd.setAuthorizedKeys([late, `restrict ${(await generateKey('ed25519', { label: 'client' })).publicKey}`]);
    expect((await runSsh(sshd, 'echo late', { identity: late })).stdout).toBe('late\n');
  });
});

describe('sshd lifecycle', () => {
  it('puts user config lines first so they win over the defaults', async () => {
    const sshd = await startSshd({ config: ['LogLevel DEBUG1', 'MaxAuthTries 3'], trailingConfig: ['Match User nobody', '  PermitTTY no'] });
    try {
      expect(sshd.config.indexOf('LogLevel DEBUG1')).toBeLessThan(sshd.config.indexOf('LogLevel VERBOSE'));
      expect(sshd.config.trimEnd().endsWith('PermitTTY no')).toBe(true);
      await runSsh(sshd, 'true');
      expect(sshd.log).toMatch(/debug1:/);
      // waitForLog: the log once it matches, or a rejection naming the pattern after its timeout.
      expect(await sshd.waitForLog(/Accepted publickey for /)).toMatch(/Accepted publickey for /);
      await expect(sshd.waitForLog('never logged by sshd', 100)).rejects.toThrow(/did not log never logged by sshd within 100 ms/);
    } finally {
      await sshd.stop();
    }
  });

  it('starts with a single host key type, and can be told to stay quiet', async () => {
    const sshd = await startSshd({ hostKeyTypes: ['ecdsa-p384'], logLevel: 'ERROR' });
    try {
      expect(sshd.hostPublicKeys).toHaveLength(1);
      expect((await runSsh(sshd, 'echo quiet')).stdout).toBe('quiet\n');
    } finally {
      await sshd.stop();
    }
  });

  it('reports the log when sshd fails to start', async () => {
    const error = await startSshd({ config: ['NoSuchKeyword yes'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InteropStartError);
    expect((error as InteropStartError).log).toMatch(/Bad configuration option: NoSuchKeyword/);
    expect((error as Error).message).toMatch(/sshd did not start[\s\S]*NoSuchKeyword/);
  });

  it('leaves no process behind after stop(), connections included', async () => {
    const sshd = await startSshd();
    const client = await startSsh(sshd, 'echo started; sleep 60');
    await client.waitForOutput('started');
    const sessionPids = descendantPids(sshd.pid);
    expect(sessionPids.length).toBeGreaterThan(0);
    expect(isProcessAlive(sshd.pid)).toBe(true);
    await sshd.stop();
    await client.exited;
    for (const pid of [sshd.pid, sshd.process.watchdogPid, client.pid, ...sessionPids]) {
      expect(isProcessAlive(pid), `pid ${pid}`).toBe(false);
    }
    await sshd.stop();
  });
});

/** The first line a TCP server on 127.0.0.1:`port` sends, or '' if it cannot be read. */
async function readBanner(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let seen = '';
    socket.setTimeout(2_000, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      if (seen.includes('\n')) socket.destroy();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(seen));
  });
}
