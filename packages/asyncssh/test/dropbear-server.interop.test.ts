/**
 * Our client against dropbear's server (Debian dropbear-bin 2022.83), an implementation of its
 * own: host key checking, commands, stdin and signals, a pty, each cipher, MAC, key exchange and
 * host key algorithm it offers, zlib@openssh.com, forwarding both ways, 10 MiB through cat, rekeying,
 * SCP (its `scp` runs the scp binary) and SFTP (it runs /usr/lib/sftp-server).
 *
 * Dropbear has no option naming an authorized_keys file or a password: it reads
 * ~/.ssh/authorized_keys of the account (from getpwnam) and the account's crypt(3) hash in
 * /etc/shadow. Tests run as root, so dropbear runs in a mount namespace of its own (unshare -m)
 * where a throwaway home is bind-mounted on /root and a copy of /etc/shadow with a known root
 * password on /etc/shadow: the real ones are never touched, and the mounts go with the process.
 */
import { defaultClientKey, freePort, generateKey, makeTempDir, removeTempDir, runSshAdd, startProcess, startSshAgent, type KeyPair, type PeerProcess } from '@ssh/interop';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, scp, type SSHClientConnection, type SSHClientConnectionOptions } from '../src/index.ts';
import { bounded, roundTrip, startEcho, tryConnect, type EchoServer } from './forward-helpers.ts';
import { throughCat } from './through-cat.ts';

const DROPBEAR = '/usr/sbin/dropbear';
const DROPBEARKEY = '/usr/bin/dropbearkey';
const PASSWORD = 'dropbear-secret';

let dir: string;
let port: number;
let dropbear: PeerProcess;
let knownHosts: string;
let clientKey: KeyPair;
let echo: EchoServer;
let conn: SSHClientConnection;
const hostPublicKeys = new Map<string, string>(); // dropbearkey type -> public key line

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

function options(extra: SSHClientConnectionOptions = {}): SSHClientConnectionOptions {
  return { host: '127.0.0.1', port, username: 'root', clientKeys: [clientKey.privateKeyPath], knownHosts, agentPath: null, config: null, ...extra };
}

let startArgs: { home: string; keyArgs: string[] };
let tinyPort: number;

/** Dropbear on 127.0.0.1:`at` in a mount namespace of its own (see the module comment). */
async function startDropbear(at: number, extra: readonly string[]): Promise<PeerProcess> {
  const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const script = [
    `mount --bind ${q(startArgs.home)} /root`,
    `mount --bind ${q(join(dir, 'shadow'))} /etc/shadow`,
    `exec ${DROPBEAR} -F -E -p 127.0.0.1:${at} ${[...startArgs.keyArgs, ...extra].map(q).join(' ')}`,
  ].join(' && ');
  // unshare and sh exec: the PID the watchdog reports is dropbear's own.
  const p = await startProcess('/usr/bin/unshare', ['-m', '--propagation', 'private', '/bin/sh', '-c', script], { name: 'dropbear' });
  await p.waitForOutput('Not backgrounding', { timeoutMs: 15_000 });
  return p;
}

beforeAll(async () => {
  dir = await makeTempDir('dropbear-server');
  clientKey = await defaultClientKey();
  const home = join(dir, 'home');
  mkdirSync(join(home, '.ssh'), { recursive: true });
  chmodSync(home, 0o700);
  const rsa = await generateKey('rsa', { label: 'dropbear-server-rsa' });
  const ecdsa = await generateKey('ecdsa-p256', { label: 'dropbear-server-ecdsa' });
  writeFileSync(join(home, '.ssh', 'authorized_keys'), [clientKey, rsa, ecdsa].map((k) => k.publicKey).join('\n') + '\n', { mode: 0o600 });
  const hash = execFileSync('/usr/bin/openssl', ['passwd', '-6', '-stdin'], { input: PASSWORD, timeout: 10_000 }).toString().trim();
  const shadow = readFileSync('/etc/shadow', 'utf8').replace(/^root:[^:]*:/m, `root:${hash}:`);
  writeFileSync(join(dir, 'shadow'), shadow, { mode: 0o600 });
  const keyArgs: string[] = [];
  for (const [type, bits] of [['ed25519', []], ['ecdsa', ['-s', '256']], ['rsa', ['-s', '2048']]] as const) {
    const file = join(dir, `host_${type}`);
    execFileSync(DROPBEARKEY, ['-t', type, ...bits, '-f', file], { timeout: 60_000, stdio: 'pipe' });
    const line = execFileSync(DROPBEARKEY, ['-y', '-f', file], { timeout: 30_000 }).toString().split('\n').find((l) => /^(ssh-|ecdsa-)/.test(l));
    hostPublicKeys.set(type, (line ?? '').split(' ').slice(0, 2).join(' '));
    keyArgs.push('-r', file);
  }
  port = await freePort();
  tinyPort = await freePort();
  knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, [port, tinyPort].flatMap((p) => [...hostPublicKeys.values()].map((k) => `[127.0.0.1]:${p} ${k}`)).join('\n') + '\n');
  startArgs = { home, keyArgs };
  dropbear = await startDropbear(port, []);
  echo = await startEcho();
  conn = await connect(options());
});

afterAll(async () => {
  conn?.close();
  await dropbear?.stop();
  await echo?.close();
  if (dir) await removeTempDir(dir);
});

describe("our client against dropbear's server", () => {
  it('runs a command with its exit status, stdout and stderr', async () => {
    const r = await conn.run('echo out; echo err >&2; exit 3');
    expect(r).toMatchObject({ stdout: 'out\n', stderr: 'err\n', exitStatus: 3 });
    expect(conn.getExtraInfo('serverVersion')).toMatch(/dropbear/i);
  });

  it('feeds stdin to a command and gets its sha256 back', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 11);
    const r = await conn.run<Uint8Array>('sha256sum', { input: data, encoding: null });
    expect(Buffer.from(r.stdout ?? new Uint8Array(0)).toString().split(' ')[0]).toBe(sha256(data));
  });

  it('allocates a pty with the terminal size asked and passes a window change', async () => {
    const proc = await conn.createProcess('stty size; read x; stty size', { termType: 'xterm', termSize: [100, 30] });
    expect((await bounded(proc.stdout.readline(), 15_000, 'first size')).trim()).toBe('30 100');
    proc.changeTerminalSize(120, 40);
    await new Promise((r) => setTimeout(r, 300));
    proc.stdin.write('\n');
    const rest = await proc.wait({ timeout: 20 });
    expect(String(rest.stdout)).toContain('40 120');
  });

  it('runs the command when dropbear ignores its env requests', async () => {
    // Dropbear 2022.83 has no "env" channel request (svr-chansession.c handles pty-req, shell,
    // exec, subsystem, window-change, signal, x11-req and agent forwarding only); we send env as
    // OpenSSH's ssh does, without asking for a reply, so the command runs without the variable.
    const r = await conn.run('echo "[$DROPBEAR_TEST_VAR]"', { env: { DROPBEAR_TEST_VAR: 'from-env' } });
    expect(r).toMatchObject({ stdout: '[]\n', exitStatus: 0 });
  });

  it('gets an empty stdin through cat and a missing command as status 127', async () => {
    expect((await conn.run('cat', { input: '' })).stdout).toBe('');
    const missing = await conn.run('no-such-command-here');
    expect(missing.exitStatus).toBe(127);
    expect(missing.stderr).toContain('not found');
  });

  it('refuses a subsystem dropbear does not have', async () => {
    // As AsyncSSH: the failed subsystem request surfaces as ChannelOpenError (OPEN_REQUEST_SESSION_FAILED).
    await expect(conn.createProcess(undefined, { subsystem: 'no-such-subsystem' })).rejects.toMatchObject({ name: 'ChannelOpenError', code: 'SSH_ERR_CHANNEL_OPEN_REQUEST_SESSION_FAILED' });
    expect((await conn.run('echo still')).stdout).toBe('still\n');
  });

  it('keeps an idle connection alive with keepalives dropbear answers', async () => {
    await using c = await connect(options({ keepaliveInterval: 1, keepaliveCountMax: 2 }));
    expect((await c.run('sleep 4; echo awake')).stdout).toBe('awake\n');
  });

  it('reports a signal the process died of, and delivers one we send', async () => {
    const killed = await conn.run('kill -TERM $$');
    expect(killed.exitSignal?.signal).toBe('TERM');
    expect(killed.returncode).toBe(-15);
    const proc = await conn.createProcess('echo ready; exec sleep 30');
    expect((await bounded(proc.stdout.readline(), 15_000, 'ready')).trim()).toBe('ready');
    proc.sendSignal('INT');
    const r = await proc.wait({ timeout: 20 });
    expect(r.exitSignal?.signal).toBe('INT');
  });

  it('stops sending when the command stops reading: head -c 100 of 10 MiB', async () => {
    // Dropbear closes the channel as soon as head exits, while we are still writing.
    const r = await conn.run<Uint8Array>('head -c 100', { input: randomBytes(10 * 1024 * 1024), encoding: null });
    expect(r.stdout?.length).toBe(100);
    expect(r.exitStatus).toBe(0);
    expect((await conn.run('echo after')).stdout).toBe('after\n');
  }, 60_000);

  it('forwards our agent (auth-agent-req@openssh.com): ssh-add -l in dropbear lists its key', async () => {
    const agent = await startSshAgent();
    try {
      await runSshAdd([clientKey.privateKeyPath], { agent });
      await using c = await connect(options({ agentPath: agent.socketPath, agentForwarding: true }));
      const r = await c.run('ssh-add -l');
      expect(r.exitStatus).toBe(0);
      expect(r.stdout).toContain(clientKey.fingerprint);
    } finally {
      await agent.stop();
    }
  });

  it('moves 10 MiB through cat both ways', async () => {
    const data = randomBytes(10 * 1024 * 1024);
    expect(sha256(await throughCat(conn, data))).toBe(sha256(data));
  }, 120_000);

  it('authenticates with a password', async () => {
    await using c = await connect(options({ clientKeys: null, password: PASSWORD, preferredAuth: 'password' }));
    expect((await c.run('echo by password')).stdout).toBe('by password\n');
    await expect(connect(options({ clientKeys: null, password: 'wrong', preferredAuth: 'password' }))).rejects.toThrow(/auth|permission/i);
  });
});

describe("dropbear's algorithms", () => {
  it.each(['chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes256-ctr'])('runs over cipher %s', async (cipher) => {
    await using c = await connect(options({ encryptionAlgs: [cipher] }));
    expect((await c.run('echo ok')).stdout).toBe('ok\n');
    expect(c.getExtraInfo('sendCipher')).toBe(cipher);
    expect(c.getExtraInfo('recvCipher')).toBe(cipher);
  });

  it.each(['hmac-sha1', 'hmac-sha2-256'])('runs over MAC %s', async (mac) => {
    await using c = await connect(options({ encryptionAlgs: ['aes128-ctr'], macAlgs: [mac] }));
    expect((await c.run('echo ok')).stdout).toBe('ok\n');
    expect(c.getExtraInfo('sendMac')).toBe(mac);
  });

  it.each(['curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp521', 'diffie-hellman-group14-sha256', 'diffie-hellman-group14-sha1'])(
    'exchanges keys with %s',
    async (kex) => {
      await using c = await connect(options({ kexAlgs: [kex] }));
      expect((await c.run('echo ok')).stdout).toBe('ok\n');
      expect(c.getExtraInfo('kex')).toBe(kex);
    },
  );

  it.each(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa-sha2-256', 'ssh-rsa'])('checks a %s host key against known_hosts', async (alg) => {
    await using c = await connect(options({ serverHostKeyAlgs: [alg] }));
    expect((await c.run('echo ok')).stdout).toBe('ok\n');
    expect(c.getExtraInfo('serverHostKeyAlgorithm')).toBe(alg);
  });

  it('refuses a host key known_hosts does not list', async () => {
    const other = await generateKey('ed25519', { label: 'dropbear-server-other' });
    const wrong = join(dir, 'wrong_known_hosts');
    writeFileSync(wrong, `[127.0.0.1]:${port} ${other.publicKey}\n`);
    await expect(connect(options({ knownHosts: wrong }))).rejects.toThrow(/host key/i);
  });

  it.each(['rsa', 'ecdsa'] as const)('authenticates with a %s client key', async (type) => {
    const key = await generateKey(type === 'rsa' ? 'rsa' : 'ecdsa-p256', { label: `dropbear-server-${type}` });
    await using c = await connect(options({ clientKeys: [key.privateKeyPath] }));
    expect((await c.run('echo ok')).stdout).toBe('ok\n');
  });

  it('compresses with zlib@openssh.com: 10 MiB through cat both ways', async () => {
    await using c = await connect(options({ compressionAlgs: ['zlib@openssh.com'] }));
    expect(c.getExtraInfo('sendCompression')).toBe('zlib@openssh.com');
    const text = Buffer.from(Array.from({ length: 300_000 }, (_, i) => `line ${i} of compressible text\n`).join('')).subarray(0, 10 * 1024 * 1024);
    const back = await throughCat(c, text);
    expect(sha256(back)).toBe(sha256(text));
  }, 120_000);

  it('rekeys every 256 KiB under 4 MiB through cat', async () => {
    await using c = await connect(options({ rekeyBytes: 256 * 1024 }));
    const data = randomBytes(4 * 1024 * 1024);
    expect(sha256(await throughCat(c, data))).toBe(sha256(data));
  }, 120_000);
});

describe('dropbear with a 4 KiB receive window and keepalives every second (-W 4096 -K 1)', () => {
  it('answers its keepalives while idle and sends 4 MiB through cat a window at a time', async () => {
    const tiny = await startDropbear(tinyPort, ['-W', '4096', '-K', '1']);
    try {
      await using c = await connect(options({ port: tinyPort }));
      // Dropbear ends a connection that leaves 3 keepalives (global requests) unanswered.
      expect((await c.run('sleep 5; echo awake')).stdout).toBe('awake\n');
      const data = randomBytes(4 * 1024 * 1024);
      expect(sha256(await throughCat(c, data))).toBe(sha256(data));
    } finally {
      await tiny.stop();
    }
  }, 120_000);
});

describe('forwarding through dropbear', () => {
  it('forwards a local port to an echo server', async () => {
    const listener = await conn.forwardLocalPort('127.0.0.1', 0, '127.0.0.1', echo.port);
    try {
      const data = randomBytes(1024 * 1024);
      expect((await roundTrip({ host: '127.0.0.1', port: listener.getPort() }, data)).equals(data)).toBe(true);
    } finally {
      listener.close();
      await bounded(listener.waitClosed(), 10_000, 'local listener close');
    }
  });

  it('forwards a remote port back to an echo server', async () => {
    const listener = await conn.forwardRemotePort('127.0.0.1', 0, '127.0.0.1', echo.port);
    const remotePort = listener.getPort();
    expect(remotePort).toBeGreaterThan(0);
    const data = randomBytes(300_000);
    expect((await roundTrip({ host: '127.0.0.1', port: remotePort }, data)).equals(data)).toBe(true);
    listener.close();
    await bounded(listener.waitClosed(), 10_000, 'cancel-tcpip-forward');
  });
});

describe('forwarding failures through dropbear', () => {
  it('refuses a remote port already taken, and closes a local connection whose destination refuses', async () => {
    const taken = await conn.forwardRemotePort('127.0.0.1', 0, '127.0.0.1', echo.port);
    try {
      await expect(conn.forwardRemotePort('127.0.0.1', taken.getPort(), '127.0.0.1', echo.port)).rejects.toMatchObject({ name: 'ChannelListenError' });
    } finally {
      taken.close();
      await bounded(taken.waitClosed(), 10_000, 'cancel-tcpip-forward');
    }
    const closedPort = await freePort();
    const listener = await conn.forwardLocalPort('127.0.0.1', 0, '127.0.0.1', closedPort);
    try {
      // The forwarded connection is accepted locally, then closed when dropbear's connect fails.
      const socket = net.connect({ host: '127.0.0.1', port: listener.getPort() });
      socket.on('error', () => undefined);
      socket.resume();
      await bounded(new Promise((resolve) => socket.once('close', resolve)), 10_000, 'refused forward closed');
    } finally {
      listener.close();
      await bounded(listener.waitClosed(), 10_000, 'local listener close');
    }
    expect(await tryConnect({ host: '127.0.0.1', port: closedPort })).toBe('ECONNREFUSED');
    expect((await conn.run('echo still')).stdout).toBe('still\n');
  });
});

/*
 * Dropbear 2022.83 double-closes pipe descriptors: a session whose CLOSE from us arrives while its
 * command still runs has its descriptors closed at once, then closed again by number when dropbear
 * reaps the command, and a session opened in between has been given those same numbers. That
 * session's command then loses its stdin and stdout, and dropbear closes the channel without
 * answering its request (seen with strace: close(6), close(7), close(9) after the second fork).
 * RFC 4254 5.3 lets us send CLOSE without EOF (AsyncSSH's SFTP client exit() does the same), so
 * each file transfer below gets a connection of its own rather than following another session
 * closed early on `conn`.
 */
describe('files through dropbear', () => {
  it('copies with scp() both ways (dropbear runs the scp binary)', async () => {
    const data = randomBytes(2 * 1024 * 1024 + 3);
    const src = join(dir, 'scp-src.bin');
    writeFileSync(src, data, { mode: 0o640 });
    const remote = join(dir, 'scp-remote');
    mkdirSync(remote);
    const fresh = () => connect(options());
    {
      await using c = await fresh();
      await scp(src, [c, remote]);
    }
    expect(sha256(readFileSync(join(remote, 'scp-src.bin')))).toBe(sha256(data));
    expect(statSync(join(remote, 'scp-src.bin')).mode & 0o777).toBe(0o640);
    const back = join(dir, 'scp-back.bin');
    {
      await using c = await fresh();
      await scp([c, join(remote, 'scp-src.bin')], back);
    }
    expect(sha256(readFileSync(back))).toBe(sha256(data));
    await using c = await fresh();
    await expect(scp([c, join(remote, 'no-such')], join(dir, 'never'))).rejects.toThrow(/no such file/i);
  });

  it('runs SFTP on its sftp subsystem (/usr/lib/sftp-server)', async () => {
    await using c = await connect(options());
    await using sftp = await c.startSftpClient();
    const data = randomBytes(3 * 1024 * 1024 + 1);
    writeFileSync(join(dir, 'sftp-src.bin'), data);
    const remote = join(dir, 'sftp-remote');
    await sftp.mkdir(remote);
    await sftp.put(join(dir, 'sftp-src.bin'), join(remote, 'a.bin'));
    expect(sha256(readFileSync(join(remote, 'a.bin')))).toBe(sha256(data));
    await sftp.get(join(remote, 'a.bin'), join(dir, 'sftp-back.bin'));
    expect(sha256(readFileSync(join(dir, 'sftp-back.bin')))).toBe(sha256(data));
    expect(await sftp.listdir(remote)).toEqual(['a.bin']);
    expect((await sftp.stat(join(remote, 'a.bin'))).size).toBe(data.length);
    await sftp.remove(join(remote, 'a.bin'));
    await sftp.rmdir(remote);
  });
});
