/**
 * Our server against libssh2 1.10 (an SSH implementation of its own) driven by curl 7.88's
 * sftp:// and scp:// URLs: public-key, password and keyboard-interactive authentication, the host
 * key checked by its SHA-256 or MD5 and through known_hosts, SFTP downloads, uploads, listings and
 * quote commands, SCP both ways, and the algorithms libssh2 picks from what we offer (curl has no
 * option to choose them, except --compressed-ssh).
 */
import { defaultClientKey, generateKey, makeTempDir, removeTempDir, run, type KeyPair, type RunResult } from '@ssh/interop';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SSHServer, listen, type SSHAcceptor, type SSHServerConnection } from '../src/index.ts';

/** Offers keyboard-interactive with one Password: prompt, and no password method. */
class KbdintServer extends SSHServer {
  override kbdintAuthSupported(): boolean {
    return true;
  }
  override getKbdintChallenge(): { name: string; instruction: string; prompts: { prompt: string; echo: boolean }[] } {
    return { name: '', instruction: '', prompts: [{ prompt: 'Password: ', echo: false }] };
  }
  override validateKbdintResponse(_user: string, responses: readonly string[]): boolean {
    return responses.length === 1 && responses[0] === PASSWORD;
  }
}

const CURL = '/usr/bin/curl';
const PASSWORD = 'curl-secret';

let acceptor: SSHAcceptor;
let hostKey: KeyPair;
let home: string;
let dir: string;
const clientKeys = new Map<string, KeyPair>();
/** What each connection negotiated, read when its authentication completes. */
const negotiated: Array<Record<string, unknown>> = [];

class PasswordServer extends SSHServer {
  private conn: SSHServerConnection | undefined;
  override connectionMade(conn: SSHServerConnection): void {
    this.conn = conn;
  }
  override passwordAuthSupported(): boolean {
    return true;
  }
  override validatePassword(_user: string, password: string): boolean {
    return password === PASSWORD;
  }
  override authCompleted(): void {
    const conn = this.conn;
    if (conn === undefined) return;
    const info: Record<string, unknown> = {};
    for (const name of ['clientVersion', 'kex', 'serverHostKeyAlgorithm', 'recvCipher', 'sendCipher', 'recvMac', 'sendMac', 'recvCompression', 'authMethod']) {
      info[name] = conn.getExtraInfo(name);
    }
    negotiated.push(info);
  }
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const url = (scheme: 'sftp' | 'scp', path: string) => `${scheme}://127.0.0.1:${acceptor.getPort()}${path}`;

function curl(args: readonly string[], options: { key?: string; password?: boolean; allowFailure?: boolean; hostCheck?: string[] } = {}): Promise<RunResult> {
  const auth: string[] = [];
  if (options.password === true) auth.push('-u', `tester:${PASSWORD}`);
  else {
    const key = clientKeys.get(options.key ?? 'ed25519') as KeyPair;
    auth.push('-u', 'tester:', '--key', key.privateKeyPath, '--pubkey', key.publicKeyPath);
  }
  const hostCheck = options.hostCheck ?? ['--hostpubsha256', hostKey.fingerprint.slice('SHA256:'.length)];
  return run(CURL, ['-sS', '--connect-timeout', '20', '--max-time', '60', ...auth, ...hostCheck, ...args], {
    env: { HOME: home },
    timeoutMs: 90_000,
    maxCaptureBytes: 64 * 1024 * 1024,
    ...(options.allowFailure === true ? { allowFailure: true } : {}),
  });
}

beforeAll(async () => {
  home = await makeTempDir('libssh2-home');
  dir = await makeTempDir('libssh2-files');
  hostKey = await generateKey('ed25519', { label: 'libssh2-host' });
  clientKeys.set('ed25519', await defaultClientKey());
  clientKeys.set('ecdsa', await generateKey('ecdsa-p256', { label: 'libssh2-ecdsa' }));
  clientKeys.set('ecdsa-p521', await generateKey('ecdsa-p521', { label: 'libssh2-ecdsa521' }));
  clientKeys.set('rsa', await generateKey('rsa', { label: 'libssh2-rsa' }));
  acceptor = await listen('127.0.0.1', 0, {
    serverHostKeys: [hostKey.privateKeyPath],
    authorizedClientKeys: [...clientKeys.values()].map((k) => k.publicKey).join('\n'),
    sftpFactory: true,
    allowScp: true,
    serverFactory: () => new PasswordServer(),
  });
});

afterAll(async () => {
  await acceptor?.waitClosed();
  if (home) await removeTempDir(home);
  if (dir) await removeTempDir(dir);
});

describe("libssh2's client (curl) against our server", () => {
  it('downloads a few MiB over SFTP with an ed25519 key, the host key checked by its SHA-256', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 123);
    writeFileSync(join(dir, 'down.bin'), data);
    const r = await curl([url('sftp', join(dir, 'down.bin'))]);
    expect(r.stdoutBytes.length).toBe(data.length);
    expect(sha256(r.stdoutBytes)).toBe(sha256(data));
  });

  it('uploads a few MiB over SFTP', async () => {
    const data = randomBytes(4 * 1024 * 1024 + 7);
    writeFileSync(join(home, 'up.bin'), data);
    await curl(['-T', join(home, 'up.bin'), url('sftp', join(dir, 'up.bin'))]);
    expect(sha256(readFileSync(join(dir, 'up.bin')))).toBe(sha256(data));
  });

  it.each(['ecdsa', 'ecdsa-p521', 'rsa'])('authenticates with a %s key', async (type) => {
    writeFileSync(join(dir, `k-${type}.txt`), `with ${type}\n`);
    expect((await curl([url('sftp', join(dir, `k-${type}.txt`))], { key: type })).stdout).toBe(`with ${type}\n`);
  });

  it('authenticates with a password', async () => {
    writeFileSync(join(dir, 'pw.txt'), 'by password\n');
    expect((await curl([url('sftp', join(dir, 'pw.txt'))], { password: true })).stdout).toBe('by password\n');
    const wrong = await run(CURL, ['-sS', '--max-time', '30', '-u', 'tester:wrong', '--hostpubsha256', hostKey.fingerprint.slice(7), url('sftp', join(dir, 'pw.txt'))], { env: { HOME: home }, allowFailure: true, timeoutMs: 60_000 });
    expect(wrong.exitCode).toBe(67); // CURLE_LOGIN_DENIED
  });

  it('answers keyboard-interactive when the server offers no password method', async () => {
    const kbd = await listen('127.0.0.1', 0, { serverHostKeys: [hostKey.privateKeyPath], sftpFactory: true, serverFactory: () => new KbdintServer() });
    try {
      writeFileSync(join(dir, 'kbd.txt'), 'by kbdint\n');
      const at = `sftp://127.0.0.1:${kbd.getPort()}${join(dir, 'kbd.txt')}`;
      expect((await curl([at], { password: true })).stdout).toBe('by kbdint\n');
      const wrong = await run(CURL, ['-sS', '--max-time', '30', '-u', 'tester:wrong', '--hostpubsha256', hostKey.fingerprint.slice(7), at], { env: { HOME: home }, allowFailure: true, timeoutMs: 60_000 });
      expect(wrong.exitCode).toBe(67);
    } finally {
      kbd.close();
      await kbd.waitClosed();
    }
  });

  it('lists a directory of 2,000 entries', async () => {
    const big = join(dir, 'many');
    mkdirSync(big);
    for (let i = 0; i < 2000; i++) writeFileSync(join(big, `entry-${String(i).padStart(4, '0')}.txt`), '');
    const names = (await curl(['--list-only', url('sftp', `${big}/`)])).stdout.split('\n').filter((n) => n.startsWith('entry-'));
    expect(names).toHaveLength(2000);
    expect(new Set(names).size).toBe(2000);
  });

  it('uploads compressed (--compressed-ssh) over SFTP and SCP', async () => {
    const data = Buffer.from(Array.from({ length: 100_000 }, (_, i) => `row ${i} ${i % 97}\n`).join(''));
    writeFileSync(join(home, 'z-up.txt'), data);
    await curl(['--compressed-ssh', '-T', join(home, 'z-up.txt'), url('sftp', join(dir, 'z-up-sftp.txt'))]);
    await curl(['--compressed-ssh', '-T', join(home, 'z-up.txt'), url('scp', join(dir, 'z-up-scp.txt'))]);
    expect(sha256(readFileSync(join(dir, 'z-up-sftp.txt')))).toBe(sha256(data));
    expect(sha256(readFileSync(join(dir, 'z-up-scp.txt')))).toBe(sha256(data));
  });

  it('lists a directory, long and names only, symlinks with their targets', async () => {
    const listed = join(dir, 'listed');
    mkdirSync(listed);
    writeFileSync(join(listed, 'one.txt'), '1');
    writeFileSync(join(listed, 'two.txt'), '22');
    mkdirSync(join(listed, 'sub'));
    symlinkSync('one.txt', join(listed, 'link'));
    const long = (await curl([url('sftp', `${listed}/`)])).stdout.split('\n').filter(Boolean);
    expect(long.find((l) => l.endsWith(' two.txt'))).toMatch(/^-rw-r--r-- +1 +root +root +2 /);
    expect(long.find((l) => l.endsWith(' sub'))).toMatch(/^drwxr-xr-x /);
    expect(long.find((l) => l.includes(' link'))).toMatch(/^lrwxrwxrwx .* link -> one\.txt$/);
    const short = await curl(['--list-only', url('sftp', `${listed}/`)]);
    expect(short.stdout.split('\n').filter(Boolean).sort()).toEqual(['.', '..', 'link', 'one.txt', 'sub', 'two.txt']);
    // A directory named without its trailing slash is opened as a file: curl then fails reading
    // it (79), as it does against OpenSSH's sftp-server.
    expect((await curl([url('sftp', listed)], { allowFailure: true })).exitCode).toBe(79);
  });

  it('runs quote commands: mkdir, rename, chmod, symlink, ln, mtime, rm, rmdir', async () => {
    const q = join(dir, 'quoted');
    mkdirSync(q);
    writeFileSync(join(q, 'a.txt'), 'quoted\n');
    await curl([
      '-Q', `mkdir ${q}/made`,
      '-Q', `rename ${q}/a.txt ${q}/made/b.txt`,
      '-Q', `chmod 600 ${q}/made/b.txt`,
      '-Q', `symlink ${q}/made/b.txt ${q}/link`,
      '-Q', `ln ${q}/made/b.txt ${q}/ln`, // curl's ln makes a symbolic link too
      '-Q', `mtime "Sun, 09 Sep 2001 01:46:40 GMT" ${q}/made/b.txt`,
      url('sftp', `${q}/`),
    ]);
    expect(existsSync(join(q, 'a.txt'))).toBe(false);
    const made = statSync(join(q, 'made', 'b.txt'));
    expect(made.mode & 0o777).toBe(0o600);
    expect(made.mtimeMs).toBe(1_000_000_000_000);
    expect(readlinkSync(join(q, 'link'))).toBe(`${q}/made/b.txt`);
    expect(lstatSync(join(q, 'ln')).isSymbolicLink()).toBe(true);
    // '-' runs a command after the transfer; '*' lets it fail without failing the transfer.
    await curl(['-Q', `rm ${q}/link`, '-Q', `*rm ${q}/no-such`, '-Q', `-rm ${q}/ln`, '-Q', `-rm ${q}/made/b.txt`, '-Q', `-rmdir ${q}/made`, url('sftp', `${q}/`)]);
    expect(existsSync(join(q, 'made'))).toBe(false);
    expect(existsSync(join(q, 'link'))).toBe(false);
  });

  it('fails quote commands with the status OpenSSH sftp-server gives (curl exit 21)', async () => {
    const cases: Array<[string, string]> = [
      [`rm ${dir}/no-such`, 'rm command failed: No such file or directory'],
      [`rename ${dir}/no-such ${dir}/x`, 'rename command failed: No such file or directory'],
      [`chmod 644 ${dir}/no-such`, 'No such file or directory'],
      [`mkdir ${dir}`, 'mkdir command failed: Operation failed'],
      [`rmdir ${dir}/no-such`, 'rmdir command failed: No such file or directory'],
    ];
    for (const [command, message] of cases) {
      const r = await curl(['-Q', command, url('sftp', `${dir}/`)], { allowFailure: true });
      expect(r.exitCode, command).toBe(21);
      expect(r.stderr, command).toContain(message);
    }
  });

  it('reports a missing file as REMOTE_FILE_NOT_FOUND (78), over SFTP and SCP', async () => {
    const r = await curl([url('sftp', join(dir, 'no-such-file'))], { allowFailure: true });
    expect(r.exitCode).toBe(78);
    expect(r.stderr).toContain('No such file or directory');
    expect((await curl([url('scp', join(dir, 'no-such-file'))], { allowFailure: true })).exitCode).toBe(78);
    expect((await curl([url('sftp', join(dir, 'no-such-dir/'))], { allowFailure: true })).exitCode).toBe(78);
  });

  it('resumes an upload (-C -, SFTP append) and downloads byte ranges (-r)', async () => {
    writeFileSync(join(dir, 'partial.txt'), '01234');
    writeFileSync(join(home, 'full.txt'), '0123456789abcdef');
    await curl(['-C', '-', '-T', join(home, 'full.txt'), url('sftp', join(dir, 'partial.txt'))]);
    expect(readFileSync(join(dir, 'partial.txt'), 'utf8')).toBe('0123456789abcdef');
    expect((await curl(['-r', '3-6', url('sftp', join(dir, 'partial.txt'))])).stdout).toBe('3456');
    expect((await curl(['-r', '-4', url('sftp', join(dir, 'partial.txt'))])).stdout).toBe('cdef');
  });

  it('creates missing directories (--ftp-create-dirs) and files with the mode asked (--create-file-mode)', async () => {
    writeFileSync(join(home, 'moded.txt'), 'moded\n');
    await curl(['--ftp-create-dirs', '--create-file-mode', '0640', '-T', join(home, 'moded.txt'), url('sftp', join(dir, 'new', 'deeper', 'f.txt'))]);
    expect(readFileSync(join(dir, 'new', 'deeper', 'f.txt'), 'utf8')).toBe('moded\n');
    expect(statSync(join(dir, 'new', 'deeper', 'f.txt')).mode & 0o777).toBe(0o640);
  });

  it('downloads and uploads over SCP, empty files included', async () => {
    const data = randomBytes(2 * 1024 * 1024 + 5);
    writeFileSync(join(dir, 'scp-down.bin'), data);
    const down = await curl([url('scp', join(dir, 'scp-down.bin'))]);
    expect(sha256(down.stdoutBytes)).toBe(sha256(data));
    writeFileSync(join(home, 'scp-up.bin'), data);
    await curl(['-T', join(home, 'scp-up.bin'), url('scp', join(dir, 'scp-up.bin'))]);
    expect(sha256(readFileSync(join(dir, 'scp-up.bin')))).toBe(sha256(data));
    writeFileSync(join(dir, 'empty'), '');
    expect((await curl([url('scp', join(dir, 'empty'))])).stdoutBytes.length).toBe(0);
    await curl(['-T', join(dir, 'empty'), url('scp', join(dir, 'empty-up'))]);
    expect(statSync(join(dir, 'empty-up')).size).toBe(0);
    // A new file gets the mode sent (less the umask), as OpenSSH's scp -t gives it: libssh2 sends
    // curl's --create-file-mode.
    await curl(['--create-file-mode', '0604', '-T', join(dir, 'empty'), url('scp', join(dir, 'moded-scp'))]);
    expect(statSync(join(dir, 'moded-scp')).mode & 0o777).toBe(0o604 & ~process.umask());
    // Into a directory that does not exist: scp -t refuses, curl reports a failed upload.
    expect((await curl(['-T', join(dir, 'empty'), url('scp', join(dir, 'no-dir', 'x'))], { allowFailure: true })).exitCode).toBe(25);
  });

  it('negotiates curve25519-sha256, aes128-ctr and hmac-sha2-256 (libssh2 1.10 has no chacha20 or GCM), and zlib@openssh.com when asked', async () => {
    // curl exposes no option to choose libssh2's algorithms, except compression.
    const first = negotiated[0];
    expect(first).toMatchObject({ clientVersion: 'libssh2_1.10.0', kex: 'curve25519-sha256', serverHostKeyAlgorithm: 'ssh-ed25519', recvCipher: 'aes128-ctr', sendCipher: 'aes128-ctr', recvMac: 'hmac-sha2-256', sendMac: 'hmac-sha2-256', recvCompression: 'none' });
    writeFileSync(join(dir, 'z.txt'), 'compressible '.repeat(100_000));
    const before = negotiated.length;
    const r = await curl(['--compressed-ssh', url('sftp', join(dir, 'z.txt'))]);
    expect(r.stdout).toBe('compressible '.repeat(100_000));
    expect(negotiated[before]).toMatchObject({ recvCompression: 'zlib@openssh.com' });
  });
});

describe('the host key check', () => {
  it('accepts the key listed in known_hosts as [host]:port, and refuses another', async () => {
    const line = (key: KeyPair) => `[127.0.0.1]:${acceptor.getPort()} ${key.publicKey.split(' ').slice(0, 2).join(' ')}\n`;
    const knownHome = join(home, 'known');
    mkdirSync(join(knownHome, '.ssh'), { recursive: true });
    writeFileSync(join(knownHome, '.ssh', 'known_hosts'), line(hostKey));
    writeFileSync(join(dir, 'known.txt'), 'known\n');
    const key = clientKeys.get('ed25519') as KeyPair;
    const args = ['-sS', '--max-time', '30', '-u', 'tester:', '--key', key.privateKeyPath, '--pubkey', key.publicKeyPath, url('sftp', join(dir, 'known.txt'))];
    const ok = await run(CURL, args, { env: { HOME: knownHome }, timeoutMs: 60_000 });
    expect(ok.stdout).toBe('known\n');
    writeFileSync(join(knownHome, '.ssh', 'known_hosts'), line(await generateKey('ed25519', { label: 'libssh2-other' })));
    const refused = await run(CURL, args, { env: { HOME: knownHome }, allowFailure: true, timeoutMs: 60_000 });
    expect(refused.exitCode).toBe(60); // CURLE_PEER_FAILED_VERIFICATION
    expect(refused.stdout).toBe('');
  });

  it('checks --hostpubmd5 and --hostpubsha256, refusing a wrong one', async () => {
    writeFileSync(join(dir, 'pinned.txt'), 'pinned\n');
    const md5 = createHash('md5').update(hostKey.publicKeyBlob).digest('hex');
    expect((await curl([url('sftp', join(dir, 'pinned.txt'))], { hostCheck: ['--hostpubmd5', md5] })).stdout).toBe('pinned\n');
    const wrongMd5 = await curl([url('sftp', join(dir, 'pinned.txt'))], { hostCheck: ['--hostpubmd5', '0'.repeat(32)], allowFailure: true });
    expect(wrongMd5.exitCode).toBe(60);
    const wrongSha = await curl([url('sftp', join(dir, 'pinned.txt'))], { hostCheck: ['--hostpubsha256', 'A'.repeat(43)], allowFailure: true });
    expect(wrongSha.exitCode).toBe(60);
  });

  it.each(['rsa', 'ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521'] as const)('verifies a %s host key', async (type) => {
    const key = await generateKey(type, { label: `libssh2-host-${type}` });
    const other = await listen('127.0.0.1', 0, { serverHostKeys: [key.privateKeyPath], authorizedClientKeys: (clientKeys.get('ed25519') as KeyPair).publicKey, sftpFactory: true });
    try {
      writeFileSync(join(dir, `host-${type}.txt`), type);
      const r = await curl([`sftp://127.0.0.1:${other.getPort()}${join(dir, `host-${type}.txt`)}`], { hostCheck: ['--hostpubsha256', key.fingerprint.slice('SHA256:'.length)] });
      expect(r.stdout).toBe(type);
    } finally {
      other.close();
      await other.waitClosed();
    }
  });
});

describe('rekeying from our side', () => {
  it('moves 5 MiB each way over SFTP and SCP while our server rekeys every 256 KiB', async () => {
    const busy = await listen('127.0.0.1', 0, { serverHostKeys: [hostKey.privateKeyPath], authorizedClientKeys: (clientKeys.get('ed25519') as KeyPair).publicKey, sftpFactory: true, allowScp: true, rekeyBytes: 256 * 1024 });
    try {
      const data = randomBytes(5 * 1024 * 1024);
      writeFileSync(join(dir, 'rekey.bin'), data);
      const at = (path: string, scheme: 'sftp' | 'scp') => `${scheme}://127.0.0.1:${busy.getPort()}${path}`;
      expect(sha256((await curl([at(join(dir, 'rekey.bin'), 'sftp')])).stdoutBytes)).toBe(sha256(data));
      expect(sha256((await curl([at(join(dir, 'rekey.bin'), 'scp')])).stdoutBytes)).toBe(sha256(data));
      await curl(['-T', join(dir, 'rekey.bin'), at(join(dir, 'rekey-up.bin'), 'sftp')]);
      expect(sha256(readFileSync(join(dir, 'rekey-up.bin')))).toBe(sha256(data));
      await curl(['-T', join(dir, 'rekey.bin'), at(join(dir, 'rekey-up2.bin'), 'scp')]);
      expect(sha256(readFileSync(join(dir, 'rekey-up2.bin')))).toBe(sha256(data));
    } finally {
      busy.close();
      await busy.waitClosed();
    }
  });
});
