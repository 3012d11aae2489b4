/**
 * startSftpClient against an sshd whose `sftp` subsystem opens but does not answer INIT as it
 * should: silent, exiting, a VERSION too large; and a connection dropped during the start.
 * Each ends in a typed SFTPError within the time asked for, never a hang.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { defaultClientKey, makeTempDir, startSshd, type KeyPair, type SshdServer } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SFTPBadMessage, SFTPConnectionLost, connect } from '../src/index.ts';

let sshd: SshdServer;
let clientKey: KeyPair;
let modeFile: string;

/** Reads everything and says nothing, keeping its stdout (the channel) open on fd 3. */
const SILENT = 'exec cat 3>&1 >/dev/null';

/** What the subsystem does next: a shell snippet run with the channel as stdin/stdout. */
function subsystemDoes(script: string): void {
  writeFileSync(modeFile, script);
}

beforeAll(async () => {
  clientKey = await defaultClientKey();
  const dir = await makeTempDir('sftp-start');
  modeFile = path.join(dir, 'mode.sh');
  subsystemDoes(SILENT);
  sshd = await startSshd({ subsystems: { sftp: `/bin/sh ${modeFile}` } });
});

afterAll(async () => {
  await sshd?.stop();
});

const connectSshd = () => connect({ host: '127.0.0.1', port: sshd.port, username: sshd.user, clientKeys: [clientKey.privateKeyPath], knownHosts: null, agentPath: null, config: null });

describe('startSftpClient when the sftp subsystem does not answer INIT', () => {
  it('a server that never answers: fails with SFTPConnectionLost once startTimeout has passed', async () => {
    subsystemDoes(SILENT);
    await using conn = await connectSshd();
    const t0 = Date.now();
    const err = await conn.startSftpClient({ startTimeout: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SFTPConnectionLost);
    expect((err as Error).message).toContain('did not start SFTP within 1 s');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(Date.now() - t0).toBeLessThan(10_000);
    // The connection is still usable.
    expect((await conn.run('echo ok')).stdout).toBe('ok\n');
  });

  it('takes the timeout as an OpenSSH time string too', async () => {
    subsystemDoes(SILENT);
    await using conn = await connectSshd();
    await expect(conn.startSftpClient({ startTimeout: '1s' })).rejects.toBeInstanceOf(SFTPConnectionLost);
    await expect(conn.startSftpClient({ startTimeout: -1 })).rejects.toBeInstanceOf(RangeError);
  });

  it("ends with the caller's signal", async () => {
    subsystemDoes(SILENT);
    await using conn = await connectSshd();
    const ac = new AbortController();
    const started = conn.startSftpClient({ startTimeout: 0, signal: ac.signal });
    setTimeout(() => ac.abort(new Error('user gave up')), 300);
    const err = await started.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SFTPConnectionLost);
    expect((err as Error).message).toContain('user gave up');
  });

  it('a subsystem that exits without answering: fails with SFTPConnectionLost, no timeout needed', async () => {
    subsystemDoes('exec head -c 9 >/dev/null');
    await using conn = await connectSshd();
    await expect(conn.startSftpClient({ startTimeout: 0 })).rejects.toBeInstanceOf(SFTPConnectionLost);
  });

  it('a connection dropped during the start: fails with SFTPConnectionLost, no timeout needed', async () => {
    subsystemDoes(SILENT);
    const conn = await connectSshd();
    const started = conn.startSftpClient({ startTimeout: 0 });
    setTimeout(() => conn.abort(), 300);
    await expect(started).rejects.toBeInstanceOf(SFTPConnectionLost);
    await conn.waitClosed();
  });

  it('a VERSION longer than any packet: fails with SFTPBadMessage', async () => {
    subsystemDoes(`printf '\\377\\377\\377\\377\\002'; ${SILENT}`);
    await using conn = await connectSshd();
    await expect(conn.startSftpClient({ startTimeout: 0 })).rejects.toBeInstanceOf(SFTPBadMessage);
  });

  it('with the real sftp-server it still starts', async () => {
    subsystemDoes('exec /usr/lib/openssh/sftp-server');
    await using conn = await connectSshd();
    const sftp = await conn.startSftpClient({ startTimeout: 5 });
    expect(sftp.version).toBe(3);
    await sftp.exit();
  });
});
