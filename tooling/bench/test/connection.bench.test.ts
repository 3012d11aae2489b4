/**
 * The connection and handshake benchmarks in quick mode (a 1 MiB stream, a few execs, sessions and
 * handshakes): every row has the expected name, unit and peer, and a finite positive figure for ours
 * and for its peer (every stream is checked for its length). Timings are never checked.
 */
import { describe, expect, it } from 'vitest';
import { connectionBenchMiB, connectionBenchRounds, runConnectionBench } from '../src/benches/connection.bench.ts';
import { generatePrivateKey, listen, SSHServer, type SSHServerProcess } from '@ssh/asyncssh';
import { Client } from 'ssh2';
import { childCpuSeconds, ssh2Run } from '../src/benches/connection-common.ts';
import { handshakeIterations, runHandshakeBench } from '../src/benches/handshake.bench.ts';

const positive = (v: number | undefined): boolean => v !== undefined && Number.isFinite(v) && v > 0;

describe('connection benchmark', () => {
  it('reads its sizes from the environment, with defaults', () => {
    expect(connectionBenchMiB({})).toBe(256);
    expect(connectionBenchMiB({ CONNECTION_BENCH_MIB: '16' })).toBe(16);
    expect(connectionBenchMiB({ CONNECTION_BENCH_MIB: 'big' })).toBe(256);
    expect(connectionBenchRounds({})).toBe(5);
    expect(connectionBenchRounds({ CONNECTION_BENCH_ROUNDS: '7' })).toBe(7);
    expect(connectionBenchRounds({ CONNECTION_BENCH_ROUNDS: '0' })).toBe(5);
    expect(handshakeIterations({})).toBe(20);
    expect(handshakeIterations({ HANDSHAKE_BENCH_ITERATIONS: '5' })).toBe(5);
  });

  it("reads ssh's CPU time from bash's times, and refuses anything else", () => {
    expect(childCpuSeconds('0m0.001s 0m0.002s\n0m0.590s 0m0.320s\n')).toBeCloseTo(0.91, 9);
    expect(childCpuSeconds('0m0.001s 0m0.002s\n1m2.500s 0m0.500s')).toBeCloseTo(63, 9);
    expect(() => childCpuSeconds('0m0.001s 0m0.002s')).toThrow(/bash times/);
    expect(() => childCpuSeconds('garbage\n0.5 0.3')).toThrow(/bash times/);
  });

  it("keeps ssh2's exit status when the exec reply and the status arrive in one read", async () => {
    // Our server answers the exec request and sends the exit status, EOF and close in one write.
    class NoAuth extends SSHServer {
      override beginAuth(): boolean {
        return false;
      }
    }
    const acceptor = await listen('127.0.0.1', 0, {
      serverHostKeys: [generatePrivateKey('ssh-ed25519')],
      serverFactory: () => new NoAuth(),
      processFactory: (proc: SSHServerProcess) => proc.exit(7),
    });
    const client = new Client();
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('ready', resolve).once('error', reject);
        client.connect({ host: '127.0.0.1', port: acceptor.getPort(), username: 'bench' });
      });
      for (let i = 0; i < 20; i++) expect(await ssh2Run(client, 'true')).toBe(7);
    } finally {
      client.end();
      acceptor.close();
      await acceptor.waitClosed();
    }
  });

  it('gives stream, exec and idle-session figures for ours and the peers (quick)', async () => {
    const results = await runConnectionBench({ quick: true });
    expect(results.map((r) => [r.name, r.unit, r.peerName])).toEqual([
      ['stream cat of a 1 MiB file from sshd (our client)', 'MiB/s', 'OpenSSH ssh'],
      ['stream cat of a 1 MiB file from sshd (our client)', 'MiB/s', 'ssh2'],
      ['stream cat of a 1 MiB file from sshd, client CPU', 'MiB/CPU-s', 'OpenSSH ssh'],
      ['stream cat of a 1 MiB file from sshd, client CPU', 'MiB/CPU-s', 'ssh2'],
      ['stream cat of a 1 MiB file from sshd (our client, read())', 'MiB/s', 'OpenSSH ssh'],
      ['stream cat of a 1 MiB file from sshd, client CPU (read())', 'MiB/CPU-s', 'OpenSSH ssh'],
      ['stream cat of a 1 MiB file to OpenSSH ssh (our server)', 'MiB/s', 'sshd'],
      ['stream head -c 1 MiB /dev/zero from sshd (our client)', 'MiB/s', 'OpenSSH ssh'],
      ['stream head -c 1 MiB /dev/zero from sshd (our client)', 'MiB/s', 'ssh2'],
      ['stream head -c 1 MiB /dev/zero from sshd, client CPU', 'MiB/CPU-s', 'OpenSSH ssh'],
      ['stream head -c 1 MiB /dev/zero from sshd, client CPU', 'MiB/CPU-s', 'ssh2'],
      ['stream head -c 1 MiB /dev/zero to OpenSSH ssh (our server)', 'MiB/s', 'sshd'],
      ['exec true back to back, one connection', 'exec/s', 'ssh2'],
      ['exec true back to back, one connection', 'exec/s', 'ssh2 setNoDelay(true)'],
      ['exec true 100 in parallel, one connection', 'exec/s', 'ssh2'],
      ['idle session heap (200 sessions, client+server)', 'KiB/session', 'none'],
    ]);
    for (const r of results) expect(positive(r.ours), r.name).toBe(true);
    for (const r of results.slice(0, -1)) expect(positive(r.peer), `${r.name} vs ${r.peerName}`).toBe(true);
    expect(results.at(-1)?.peer).toBeUndefined();
    expect(results.at(-1)?.note).toMatch(/^RSS -?\d+\.\d KiB\/session/);
  }, 120_000);

  it('gives handshake latency and server load figures for ours and the peers (quick)', async () => {
    const results = await runHandshakeBench({ quick: true });
    expect(results.map((r) => `${r.name} vs ${r.peerName.replace(/ \d+\.\d+\.\d+$/, '')}`)).toEqual([
      'connect+auth+close to sshd (our client, 1/median) vs ssh2',
      'connect+auth+close to sshd (our client, 1/median) vs AsyncSSH',
      'connect+auth+close to sshd, curve25519-sha256 (our client, 1/median) vs ssh2',
      'connect+auth+close to sshd, curve25519-sha256 (our client, 1/median) vs AsyncSSH',
      'connect+auth+exec+close to sshd (our client, 1/median) vs ssh2',
      'connect+auth+exec+close to sshd (our client, 1/median) vs AsyncSSH',
      'connect+auth+exec+close to sshd (our client, 1/median) vs OpenSSH ssh (process)',
      'connect+auth+exec+close to sshd, curve25519-sha256 (our client, 1/median) vs ssh2',
      'connect+auth+exec+close to sshd, curve25519-sha256 (our client, 1/median) vs AsyncSSH',
      'handshakes by 8 concurrent clients, curve25519-sha256 (our server) vs sshd',
      'handshakes by 8 concurrent clients, curve25519-sha256 (our server) vs ssh2 server',
    ]);
    for (const r of results) {
      expect(r.unit).toBe('conn/s');
      expect({ name: r.name, peerName: r.peerName, ours: positive(r.ours), peer: positive(r.peer), note: r.note }).toMatchObject({ ours: true, peer: true });
    }
    expect(results[1]?.peerName).toMatch(/^AsyncSSH \d+\.\d+/);
  }, 180_000);
});
