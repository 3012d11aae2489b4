/**
 * Our client (connect, run, createProcess) against OpenSSH's sshd: exit codes, stderr, env,
 * exit signals, pty, subsystems, many concurrent processes, and a large transfer checked end to end.
 */
import { createHash } from 'node:crypto';
import { defaultClientKey, knownHostsLines, makeTempDir, startSshd, type KeyPair, type SshdServer } from '@ssh/interop';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type SSHClientConnection } from '../src/index.ts';

let sshd: SshdServer;
let key: KeyPair;
let knownHosts: string;
let conn: SSHClientConnection;

beforeAll(async () => {
  key = await defaultClientKey();
  sshd = await startSshd({ config: ['AcceptEnv LANG LC_* TEST_*', 'MaxSessions 1000'] });
  const dir = await makeTempDir('client-interop');
  knownHosts = path.join(dir, 'known_hosts');
  writeFileSync(knownHosts, knownHostsLines(sshd).join('\n') + '\n');
  conn = await connect({ host: sshd.host, port: sshd.port, username: sshd.user, clientKeys: [key.privateKeyPath], knownHosts, agentPath: null });
});

afterAll(async () => {
  conn?.close();
  await sshd?.stop();
});

describe('run() against sshd', () => {
  it('runs a command and reports its output and exit status', async () => {
    const result = await conn.run('echo hello; echo oops >&2; exit 3');
    expect(result.stdout).toBe('hello\n');
    expect(result.stderr).toBe('oops\n');
    expect(result.exitStatus).toBe(3);
    expect(result.returncode).toBe(3);
  });

  it('throws ProcessError with check', async () => {
    await expect(conn.run('exit 7', { check: true })).rejects.toMatchObject({ exitStatus: 7, name: 'ProcessError' });
  });

  it('passes the environment the server accepts', async () => {
    const result = await conn.run('echo $TEST_VALUE', { env: { TEST_VALUE: 'from-env' } });
    expect(result.stdout).toBe('from-env\n');
  });

  it('feeds input to stdin', async () => {
    const result = await conn.run('tr a-z A-Z', { input: 'shout\n' });
    expect(result.stdout).toBe('SHOUT\n');
  });

  it('reports a signal the process died of', async () => {
    const result = await conn.run('kill -TERM $$');
    expect(result.exitSignal?.signal).toBe('TERM');
    expect(result.returncode).toBe(-15);
  });

  it('allocates a pty and reports window changes', async () => {
    const proc = await conn.createProcess('stty size; read x; stty size', { termType: 'xterm', termSize: [100, 30] });
    const first = await proc.stdout.readline();
    expect(first.trim()).toBe('30 100');
    proc.changeTerminalSize(120, 40);
    await new Promise((r) => setTimeout(r, 200));
    proc.stdin.write('\n');
    const rest = await proc.wait({ timeout: 20 });
    expect(String(rest.stdout)).toContain('40 120');
  });

  it('runs 200 processes concurrently on one connection', async () => {
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => conn.run(`echo ${i}`)));
    results.forEach((r, i) => expect(r.stdout).toBe(`${i}\n`));
  });

  it('streams 1 GiB through cat in both directions with matching checksums', async () => {
    // Without compression: this measures the channel path, and pako would dominate the time.
    await using plain = await connect({ host: sshd.host, port: sshd.port, username: sshd.user, clientKeys: [key.privateKeyPath], knownHosts, agentPath: null, config: null, compressionAlgs: ['none'] });
    const proc = await plain.createProcess<Uint8Array>('cat', { encoding: null });
    const block = new Uint8Array(1 << 20);
    for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) >>> 24;
    const sent = createHash('sha256');
    const received = createHash('sha256');
    let total = 0;
    const reading = (async () => {
      for (;;) {
        const chunk = await proc.stdout.read(1 << 16);
        if (chunk.length === 0) break;
        received.update(chunk);
        total += chunk.length;
      }
    })();
    for (let i = 0; i < 1024; i++) {
      proc.stdin.write(block);
      sent.update(block);
      await proc.stdin.drain();
    }
    proc.stdin.writeEof();
    await reading;
    await proc.wait();
    expect(total).toBe(1024 << 20);
    expect(received.digest('hex')).toBe(sent.digest('hex'));
  }, 180_000);
});

describe('re-keying under load against sshd', () => {
  it('re-keys mid-transfer with delayed zlib compression, both directions intact', async () => {
    // Each NEWKEYS starts a fresh zlib stream per direction (OpenSSH start_compression_out/in).
    await using c = await connect({
      host: sshd.host,
      port: sshd.port,
      username: sshd.user,
      clientKeys: [key.privateKeyPath],
      knownHosts,
      agentPath: null,
      config: null,
      compressionAlgs: ['zlib@openssh.com'],
      rekeyBytes: '8M',
    });
    const proc = await c.createProcess<Uint8Array>('cat', { encoding: null });
    const block = new Uint8Array(1 << 20);
    for (let i = 0; i < block.length; i++) block[i] = (i * 31 + (i >> 9)) & 0xff;
    const sent = createHash('sha256');
    const received = createHash('sha256');
    const reading = (async () => {
      for (;;) {
        const chunk = await proc.stdout.read(1 << 16);
        if (chunk.length === 0) break;
        received.update(chunk);
      }
    })();
    for (let i = 0; i < 48; i++) {
      proc.stdin.write(block);
      sent.update(block);
      await proc.stdin.drain();
    }
    proc.stdin.writeEof();
    await reading;
    expect(received.digest('hex')).toBe(sent.digest('hex'));
    expect((await proc.wait()).exitStatus).toBe(0);
  });
});
