/**
 * The SFTP benchmark in quick mode (a 1 MiB file, one round): every row has a figure for ours and
 * for its peer (OpenSSH sftp, AsyncSSH, sshd), each transfer checked for size. Timings are never
 * checked, only that every figure is produced.
 */
import { describe, expect, it } from 'vitest';
import { runSftpBench, sftpBenchFiles, sftpBenchMiB } from '../src/benches/sftp.bench.ts';

const positive = (v: number | undefined): boolean => v !== undefined && Number.isFinite(v) && v > 0;

describe('sftp benchmark', () => {
  it('reads the file size from SFTP_BENCH_MIB, 256 MiB by default', () => {
    expect(sftpBenchMiB({})).toBe(256);
    expect(sftpBenchMiB({ SFTP_BENCH_MIB: '32' })).toBe(32);
    expect(sftpBenchMiB({ SFTP_BENCH_MIB: 'lots' })).toBe(256);
    expect(sftpBenchFiles({})).toBe(10_000);
    expect(sftpBenchFiles({ SFTP_BENCH_FILES: '500' })).toBe(500);
  });

  it('gives get, put (first and second on a connection), put -r and get -r figures for our client against sshd and our server, and for our server, against OpenSSH, ssh2 and AsyncSSH (quick)', async () => {
    const results = await runSftpBench({ quick: true });
    expect(results.map((r) => `${r.name} vs ${r.peerName.split(' ')[0] ?? ''}`)).toEqual([
      'sftp get 1 MiB from sshd (our client) vs OpenSSH',
      'sftp get 1 MiB from sshd (our client) vs ssh2',
      'sftp get 1 MiB from sshd (our client) vs AsyncSSH',
      'sftp put 1 MiB to sshd (our client) vs OpenSSH',
      'sftp put 1 MiB to sshd (our client) vs ssh2',
      'sftp put 1 MiB to sshd (our client) vs AsyncSSH',
      'sftp put 1 MiB again on the connection (our client) vs OpenSSH',
      'sftp put 1 MiB again on the connection (our client) vs ssh2',
      'sftp put -r 100 files to sshd (our client) vs OpenSSH',
      'sftp get -r 100 files from sshd (our client) vs OpenSSH',
      'sftp get 1 MiB from our server (our client) vs OpenSSH',
      'sftp get 1 MiB from our server (our client) vs ssh2',
      'sftp put 1 MiB to our server (our client) vs OpenSSH',
      'sftp put 1 MiB to our server (our client) vs ssh2',
      'sftp get 1 MiB by OpenSSH sftp (our server) vs sshd',
      'sftp put 1 MiB by OpenSSH sftp (our server) vs sshd',
    ]);
    for (const r of results) {
      expect(r.unit).toBe(/(put|get) -r/.test(r.name) ? 'files/s' : 'MiB/s');
      expect({ name: r.name, ours: positive(r.ours), peer: positive(r.peer), note: r.note }).toMatchObject({ ours: true, peer: true });
    }
    expect(results[2]?.peerName).toMatch(/^AsyncSSH \d+\.\d+/);
    // Every row but AsyncSSH's (its rounds run apart from the rotation) notes both sides' medians.
    for (const r of results.filter((x) => !x.peerName.startsWith('AsyncSSH'))) expect(r.note).toMatch(/^medians \d+ vs \d+$/);
  }, 120_000);
});
