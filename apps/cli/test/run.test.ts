/**
 * ssh-run end to end: the embedded demo, a real command against sshd through the user's
 * config-free options, and the three failures people meet first (refused connection, unknown
 * host key, failed authentication), each with a clear one-line message and exit code 255.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { defaultClientKey, freePort, knownHostsLines, makeTempDir, startSshd, type SshdServer } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SSHServerProcess } from '@ssh/asyncssh';
import { RUN_USAGE, main, parseDestination } from '../src/index.ts';
import { clientHome, startOurServer, withHome } from './helpers/peers.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out: () => out.join(''), err: () => err.join('') };
}

describe('ssh-run against the embedded server', () => {
  it('runs the demo command and shows output, stderr and exit status', async () => {
    const c = capture();
    const code = await main([], c.io);
    expect(c.out()).toMatch(/^embedded SSH server on 127\.0\.0\.1:\d+, host key SHA256:/);
    expect(c.out()).toMatch(/hello from \S+ on \S+/);
    expect(c.err()).toContain('this line goes to stderr');
    expect(c.out()).toContain('exit status: 0');
    expect(code).toBe(0);
  });

  it('runs a command given after --', async () => {
    const c = capture();
    expect(await main(['--', 'exit', '4'], c.io)).toBe(4);
  });

  it('exits 255 for a command killed by a signal, as ssh', async () => {
    const c = capture();
    expect(await main(['--', 'kill -9 $$'], c.io)).toBe(255);
    expect(c.out()).toContain('exit signal: KILL\n');
  });
});

describe('ssh-run errors', () => {
  let sshd: SshdServer;
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  it('explains a refused connection', async () => {
    const port = await freePort();
    const c = capture();
    expect(await main(['-p', String(port), '127.0.0.1', 'true'], c.io)).toBe(255);
    expect(c.err()).toMatch(/^ssh-run: ConnectionLost: cannot connect to 127\.0\.0\.1 port \d+: .*ECONNREFUSED/);
  });

  it('explains an unknown host key', async () => {
    const c = capture();
    const home = process.env['HOME'];
    process.env['HOME'] = '/nonexistent-home-for-test';
    try {
      expect(await main(['-p', String(sshd.port), `${sshd.user}@127.0.0.1`, 'true'], c.io)).toBe(255);
    } finally {
      process.env['HOME'] = home;
    }
    expect(c.err()).toMatch(/^ssh-run: HostKeyNotVerifiable: /);
  });

  it('explains a failed authentication', async () => {
    const home = await makeTempDir('ssh-run-home');
    mkdirSync(path.join(home, '.ssh'));
    writeFileSync(path.join(home, '.ssh', 'known_hosts'), knownHostsLines(sshd).join('\n') + '\n');
    const c = capture();
    const saved = { HOME: process.env['HOME'], SSH_AUTH_SOCK: process.env['SSH_AUTH_SOCK'] };
    process.env['HOME'] = home;
    delete process.env['SSH_AUTH_SOCK'];
    try {
      expect(await main(['-p', String(sshd.port), `${sshd.user}@127.0.0.1`, 'true'], c.io)).toBe(255);
    } finally {
      process.env['HOME'] = saved.HOME;
      if (saved.SSH_AUTH_SOCK !== undefined) process.env['SSH_AUTH_SOCK'] = saved.SSH_AUTH_SOCK;
    }
    expect(c.err()).toMatch(/^ssh-run: PermissionDenied: /);
  });

  it('parses destinations like ssh', () => {
    expect(parseDestination('alice@example.com')).toEqual({ host: 'example.com', username: 'alice' });
    expect(parseDestination('ssh://bob@[::1]:2222')).toEqual({ host: '::1', port: 2222, username: 'bob' });
    expect(parseDestination('[10.0.0.1]:22')).toEqual({ host: '10.0.0.1', port: 22 });
    expect(() => parseDestination('@host')).toThrow(RangeError);
  });
});

describe('ssh-run against a hostile server', () => {
  it('shows the exit signal it names with control characters as ?', async () => {
    const server = await startOurServer({ extra: { processFactory: ((proc: SSHServerProcess<string>) => proc.exitWithSignal('KILL\u001b]0;owned\u0007')) as never } });
    try {
      const home = await clientHome([server]);
      const c = capture();
      await withHome(home, () => main(['-p', String(server.port), `${server.user}@127.0.0.1`, 'true'], c.io));
      expect(c.out()).toContain('exit signal: KILL?]0;owned?\n');
      expect(c.out()).not.toContain('\u001b');
    } finally {
      await server.stop();
    }
  });
});

describe('ssh-run command line', () => {
  it('refuses a -p without a value or with one that is not a decimal port, before connecting', async () => {
    const missing = capture();
    expect(await main(['-p'], missing.io)).toBe(255);
    expect(missing.err()).toBe(`ssh-run: option requires an argument -- p\n${RUN_USAGE}`);
    for (const bad of ['0x16', '1e3', ' 22', '99999999999999999999', '']) {
      const c = capture();
      expect(await main(['-p', bad, '127.0.0.1', 'true'], c.io)).toBe(255);
      expect(c.err()).toBe(`ssh-run: bad port ${JSON.stringify(bad)}\n${RUN_USAGE}`);
      expect(c.out()).toBe('');
    }
  });

  it('prints its usage for -h and --help, without connecting', async () => {
    for (const argv of [['-h'], ['--help'], ['-h', 'example.invalid', 'true']]) {
      const c = capture();
      expect(await main(argv, c.io)).toBe(0);
      expect(c.out()).toBe(RUN_USAGE);
      expect(c.err()).toBe('');
    }
  });

  it('refuses an unknown option with the usage instead of taking it for a host', async () => {
    for (const [argv, message] of [
      [['-x', 'host'], 'unknown option -- x'],
      [['--verbose'], 'unknown option -- -'],
    ] as const) {
      const c = capture();
      expect(await main(argv, c.io)).toBe(255);
      expect(c.err()).toBe(`ssh-run: ${message}\n${RUN_USAGE}`);
      expect(c.out()).toBe('');
    }
  });

  it('refuses connection options without a destination (the embedded server takes none)', async () => {
    const c = capture();
    expect(await main(['-i', 'key', '-p', '2222', '--', 'true'], c.io)).toBe(255);
    expect(c.err()).toBe(`ssh-run: -i, -p need a destination\n${RUN_USAGE}`);
    const d = capture();
    expect(await main(['-o', 'Port=2222'], d.io)).toBe(255);
    expect(d.err()).toBe(`ssh-run: -o needs a destination\n${RUN_USAGE}`);
  });
});

describe('ssh-run with ssh options', () => {
  let sshd: SshdServer;
  let dir: string;
  beforeAll(async () => {
    sshd = await startSshd();
    dir = await makeTempDir('ssh-run-options');
    writeFileSync(path.join(dir, 'known_hosts'), knownHostsLines(sshd).join('\n') + '\n');
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  it('connects with -F, -i and -o as ssh does, the command after the destination left alone', async () => {
    const key = await defaultClientKey();
    const config = path.join(dir, 'config');
    // The config names a port that refuses: the command line's -p and -o win over the file.
    writeFileSync(config, `Host 127.0.0.1\n  Port 1\n  User nobody-here\n`);
    const c = capture();
    const saved = process.env['SSH_AUTH_SOCK'];
    delete process.env['SSH_AUTH_SOCK'];
    try {
      const argv = ['-F', config, '-i', key.privateKeyPath, '-o', `UserKnownHostsFile=${path.join(dir, 'known_hosts')}`, '-o', `User=${sshd.user}`, '-p', String(sshd.port), '127.0.0.1', 'echo', '-n', 'ok'];
      expect(await main(argv, c.io)).toBe(0);
    } finally {
      if (saved !== undefined) process.env['SSH_AUTH_SOCK'] = saved;
    }
    expect(c.out()).toContain(`as ${sshd.user} (`);
    expect(c.out()).toContain('$ echo -n ok\nokexit status: 0\n');
  });
});
