/**
 * Our client (connect(), processes, startSftpClient()) against a Paramiko server (Debian
 * python3-paramiko 2.12, tooling/interop's paramiko_server.py): host key checking with our
 * known_hosts, exec with exit status and stderr, stdin/stdout integrity, pty size and window
 * change, env, and our SFTPClient against paramiko.SFTPServer (SFTP v3) serving a temporary
 * directory as "/".
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PARAMIKO_KEX, generateKey, knownHostsLines, makeTempDir, removeTempDir, startParamikoServer, type KeyPair, type ParamikoServer } from '@ssh/interop';
import { logPeersOnFailure } from '@ssh/interop/vitest';
import { SFTPFailure, SFTPNoSuchFile, SFTPOpUnsupported } from '@ssh/sftp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostKeyNotVerifiable, connect, type SSHClientConnectionOptions } from '../src/index.ts';
import { expectLocalPortForward, expectPasswordAuth, expectPtyAndWindowChange, expectRemotePortForward, foreignServerOptions, kbdintAnswering, sha256sumThenCat, strangerKnownHosts } from './foreign-server-client.ts';
import { startEcho, type EchoServer } from './forward-helpers.ts';

logPeersOnFailure();

let server: ParamikoServer;
let clientKey: KeyPair;
let rsaKey: KeyPair;
let ecdsaKey: KeyPair;
let echo: EchoServer;
let work: string;
let knownHosts: string;

const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

beforeAll(async () => {
  clientKey = await generateKey('ed25519', { label: 'paramiko-server-client' });
  [rsaKey, ecdsaKey] = await Promise.all([generateKey('rsa', { label: 'paramiko-server-client' }), generateKey('ecdsa-p521', { label: 'paramiko-server-client' })]);
  server = await startParamikoServer({
    authorizedKeys: [clientKey, rsaKey, ecdsaKey],
    hostKeyTypes: ['ed25519', 'ecdsa-p256', 'rsa'],
    passwords: { tester: 'pw-tester' },
  });
  echo = await startEcho();
  work = await makeTempDir('paramiko-server');
  knownHosts = path.join(work, 'known_hosts');
  writeFileSync(knownHosts, knownHostsLines(server).join('\n') + '\n');
});

afterAll(async () => {
  await server?.stop();
  await echo?.close();
  if (work) await removeTempDir(work);
});

function options(extra: Partial<SSHClientConnectionOptions> = {}): SSHClientConnectionOptions {
  return foreignServerOptions(server, clientKey, knownHosts, extra);
}

describe('our client against a Paramiko server: host keys', () => {
  it.each(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa-sha2-256', 'rsa-sha2-512'])('verifies its %s host key against our known_hosts', async (alg) => {
    await using conn = await connect(options({ serverHostKeyAlgs: [alg] }));
    expect(conn.getExtraInfo('serverHostKeyAlgorithm')).toBe(alg);
    const r = await conn.run('echo hello', { encoding: 'utf-8' });
    expect(r.stdout).toBe('hello\n');
  });

  it('refuses the server when our known_hosts has another key for it', async () => {
    const file = await strangerKnownHosts(server, path.join(work, 'known_hosts_wrong'), 'paramiko-server-stranger');
    await expect(connect(options({ knownHosts: file }))).rejects.toBeInstanceOf(HostKeyNotVerifiable);
  });
});

describe('our client against a Paramiko server: authentication', () => {
  it.each([
    ['ecdsa-sha2-nistp521', 'ecdsa'],
    ['rsa-sha2-256', 'rsa'],
    ['rsa-sha2-512', 'rsa'],
  ] as const)('authenticates with a key signing with %s', async (alg, kind) => {
    const key = kind === 'rsa' ? rsaKey : ecdsaKey;
    await using conn = await connect(options({ clientKeys: [key.privateKeyPath], signatureAlgs: [alg] }));
    expect(conn.getExtraInfo('authMethod')).toBe('publickey');
    expect((await conn.run('echo in', { encoding: 'utf-8' })).stdout).toBe('in\n');
  });

  it('tries a refused key, then the right one', async () => {
    const stranger = await generateKey('ed25519', { label: 'paramiko-server-stranger-key' });
    await using conn = await connect(options({ clientKeys: [stranger.privateKeyPath, clientKey.privateKeyPath] }));
    expect((await conn.run('echo in', { encoding: 'utf-8' })).stdout).toBe('in\n');
  });

  it('authenticates with a password, and is refused a wrong one', async () => {
    await expectPasswordAuth(options, 'pw-tester');
  });

  it('answers keyboard-interactive prompts', async () => {
    const seen: unknown[] = [];
    await using conn = await connect(options({ clientKeys: null, preferredAuth: ['keyboard-interactive'], clientFactory: kbdintAnswering(seen, ['pw-tester', 'blue']) }));
    expect(conn.getExtraInfo('authMethod')).toBe('keyboard-interactive');
    expect(seen[0]).toEqual(['Paramiko login', 'Answer the questions', [['Password: ', false], ['Favourite colour: ', true]]]);
  });
});

describe('our client against a Paramiko server: forwarding', () => {
  it('forwards a local port through direct-tcpip', async () => {
    await using conn = await connect(options());
    await expectLocalPortForward(conn, echo.port);
  });

  it('forwards a remote port (tcpip-forward, port 0) back to a local destination and cancels it', async () => {
    await using conn = await connect(options());
    await expectRemotePortForward(conn, echo.port);
  });
});

describe('our client against a Paramiko server: algorithms, rekey, keepalive', () => {
  const algo = async (extra: Partial<SSHClientConnectionOptions>) => {
    await using conn = await connect(options(extra));
    const r = await conn.run<Uint8Array>('head -c 300000 /dev/zero', { encoding: null });
    return { n: r.stdout?.length, kex: conn.getExtraInfo('kex'), cipher: conn.getExtraInfo('sendCipher'), mac: conn.getExtraInfo('sendMac'), compression: conn.getExtraInfo('sendCompression') };
  };

  it.each(['curve25519-sha256', ...PARAMIKO_KEX])('exchanges keys with %s', async (kex) => {
    const offered = kex === 'curve25519-sha256' ? 'curve25519-sha256@libssh.org' : kex; // paramiko 2.12 knows only the libssh name
    expect(await algo({ kexAlgs: [offered] })).toMatchObject({ n: 300000, kex: offered });
  });

  it.each(['aes128-ctr', 'aes192-ctr', 'aes256-ctr', 'aes128-cbc', 'aes256-cbc'])('encrypts with %s', async (cipher) => {
    expect(await algo({ encryptionAlgs: [cipher] })).toMatchObject({ n: 300000, cipher });
  });

  it.each(['hmac-sha2-256', 'hmac-sha2-512', 'hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha1'])('authenticates packets with %s', async (mac) => {
    expect(await algo({ macAlgs: [mac] })).toMatchObject({ n: 300000, mac });
  });

  it.each(['zlib@openssh.com', 'zlib'])('compresses with %s', async (compression) => {
    expect(await algo({ compressionAlgs: [compression] })).toMatchObject({ n: 300000, compression });
  });

  it('rekeys every 256 KiB in the middle of a 4 MiB round trip', async () => {
    await using conn = await connect(options({ rekeyBytes: 256 * 1024 }));
    const data = randomBytes(4 * 1024 * 1024);
    const echoed = await conn.run<Uint8Array>('cat', { input: data, encoding: null });
    expect(sha(echoed.stdout ?? new Uint8Array())).toBe(sha(data));
  }, 60_000);

  it('keeps a 6 MiB download intact across a rekey paramiko starts in the middle', async () => {
    await using conn = await connect(options());
    const r = await conn.run<Uint8Array>(`rekey-stream ${6 << 20}`, { encoding: null });
    const block = Buffer.from(Array.from({ length: 256 * 128 }, (_, i) => i & 0xff));
    const expected = createHash('sha256');
    for (let sent = 0; sent < 6 << 20; sent += block.length) expected.update(block.subarray(0, Math.min(block.length, (6 << 20) - sent)));
    expect([r.exitStatus, r.stdout?.length, sha(r.stdout ?? new Uint8Array())]).toEqual([0, 6 << 20, expected.digest('hex')]);
  }, 60_000);

  it('keeps the connection with keepalives paramiko refuses (an answer all the same)', async () => {
    await using conn = await connect(options({ keepaliveInterval: 0.3, keepaliveCountMax: 2 }));
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await conn.run('echo alive', { encoding: 'utf-8' })).stdout).toBe('alive\n');
  });
});

describe('our client against a Paramiko server: sessions', () => {
  it('runs a command with its exit status and stderr', async () => {
    await using conn = await connect(options());
    const r = await conn.run('echo out; echo err >&2; exit 3', { encoding: 'utf-8' });
    expect([r.stdout, r.stderr, r.exitStatus]).toEqual(['out\n', 'err\n', 3]);
    const ok = await conn.run('true');
    expect(ok.exitStatus).toBe(0);
  });

  it('shows the output and exit status of a command the server closed before answering exec, and goes on', async () => {
    // The server sends output, exit status and CHANNEL_CLOSE, then CHANNEL_SUCCESS for the closed
    // channel (a Paramiko exec handler that runs the command itself): OpenSSH's ssh shows them and
    // only logs the late reply; we used to fail the start and then disconnect on the reply.
    await using conn = await connect(options());
    const r = await conn.run('closes-before-reply', { encoding: 'utf-8' });
    expect([r.stdout, r.exitStatus]).toEqual(['early\n', 5]);
    expect((await conn.run('echo still here', { encoding: 'utf-8' })).stdout).toBe('still here\n');
  });

  it('sends 4 MiB through stdin and gets the same bytes back intact', async () => {
    await using conn = await connect(options());
    const data = randomBytes(4 * 1024 * 1024 + 333);
    const echoed = await sha256sumThenCat(conn, data);
    expect(sha(echoed.stdout ?? new Uint8Array())).toBe(sha(data));
    expect(echoed.exitStatus).toBe(0);
  }, 60_000);

  it('asks for a pty with a terminal size and reports a window change', async () => {
    await using conn = await connect(options());
    await expectPtyAndWindowChange(conn);
  });

  it('sends environment variables', async () => {
    await using conn = await connect(options());
    const r = await conn.run('printf "%s|%s" "$INTEROP_ONE" "$INTEROP_TWO"', { env: { INTEROP_ONE: 'first', INTEROP_TWO: 'with space' }, encoding: 'utf-8' });
    expect(r.stdout).toBe('first|with space');
  });
});

describe('our SFTPClient against paramiko.SFTPServer', () => {
  it('puts and gets files with sha256 checks, lists, stats', async () => {
    await using conn = await connect(options());
    const sftp = await conn.startSftpClient();
    const local = path.join(work, 'up.bin');
    const data = randomBytes(3 * 1024 * 1024 + 4321);
    writeFileSync(local, data);
    await sftp.mkdir('/files');
    await sftp.put(local, '/files/up.bin');
    expect(sha(readFileSync(path.join(server.root, 'files', 'up.bin')))).toBe(sha(data));
    const back = path.join(work, 'back.bin');
    await sftp.get('/files/up.bin', back);
    expect(sha(readFileSync(back))).toBe(sha(data));
    writeFileSync(path.join(server.root, 'files', 'small.txt'), 'small\n');
    expect((await sftp.listdir('/files')).filter((n) => n !== '.' && n !== '..').sort()).toEqual(['small.txt', 'up.bin']);
    const entries = (await sftp.readdir('/files')).filter((e) => e.filename !== '.' && e.filename !== '..');
    expect(entries.map((e) => [e.filename, e.attrs.size]).sort()).toEqual([
      ['small.txt', 6],
      ['up.bin', data.length],
    ]);
    const attrs = await sftp.stat('/files/up.bin');
    expect(attrs.size).toBe(data.length);
    expect(await sftp.isdir('/files')).toBe(true);
    expect(await sftp.isfile('/files/small.txt')).toBe(true);
    expect(await sftp.realpath('/files/../files/./small.txt')).toBe('/files/small.txt');
    await sftp.exit();
  }, 60_000);

  it('renames, removes, makes and removes directories, links', async () => {
    await using conn = await connect(options());
    const sftp = await conn.startSftpClient();
    mkdirSync(path.join(server.root, 'ops'));
    writeFileSync(path.join(server.root, 'ops', 'a.txt'), 'alpha');
    writeFileSync(path.join(server.root, 'ops', 'b.txt'), 'beta');
    await sftp.rename('/ops/a.txt', '/ops/c.txt');
    expect(readFileSync(path.join(server.root, 'ops', 'c.txt'), 'utf8')).toBe('alpha');
    // SFTP v3 (filexfer-02 6.5): renaming onto an existing name fails.
    await expect(sftp.rename('/ops/c.txt', '/ops/b.txt')).rejects.toBeInstanceOf(SFTPFailure);
    await sftp.remove('/ops/c.txt');
    expect(existsSync(path.join(server.root, 'ops', 'c.txt'))).toBe(false);
    await sftp.mkdir('/ops/dir');
    expect(lstatSync(path.join(server.root, 'ops', 'dir')).isDirectory()).toBe(true);
    await sftp.rmdir('/ops/dir');
    expect(existsSync(path.join(server.root, 'ops', 'dir'))).toBe(false);
    await sftp.symlink('b.txt', '/ops/link');
    expect(readlinkSync(path.join(server.root, 'ops', 'link'))).toBe('b.txt');
    expect(await sftp.readlink('/ops/link')).toBe('b.txt');
    expect(await sftp.islink('/ops/link')).toBe(true);
    expect((await sftp.stat('/ops/link')).size).toBe(4);
    await sftp.exit();
  });

  it('raises SFTPNoSuchFile for a missing file', async () => {
    await using conn = await connect(options());
    const sftp = await conn.startSftpClient();
    await expect(sftp.stat('/no/such/file')).rejects.toBeInstanceOf(SFTPNoSuchFile);
    await expect(sftp.open('/missing.txt')).rejects.toBeInstanceOf(SFTPNoSuchFile);
    await expect(sftp.get('/missing.txt', path.join(work, 'never.txt'))).rejects.toBeInstanceOf(SFTPNoSuchFile);
    await expect(sftp.remove('/missing.txt')).rejects.toBeInstanceOf(SFTPNoSuchFile);
    expect(await sftp.exists('/missing.txt')).toBe(false);
    await sftp.exit();
  });

  it('gets a small tree recursively', async () => {
    const tree = path.join(server.root, 'tree');
    mkdirSync(path.join(tree, 'sub', 'deeper'), { recursive: true });
    mkdirSync(path.join(tree, 'empty'));
    writeFileSync(path.join(tree, 'top.txt'), 'top');
    writeFileSync(path.join(tree, 'sub', 'mid.bin'), randomBytes(200_000));
    writeFileSync(path.join(tree, 'sub', 'deeper', 'leaf.txt'), 'leaf');
    symlinkSync('top.txt', path.join(tree, 'top-link'));
    await using conn = await connect(options());
    const sftp = await conn.startSftpClient();
    const dest = path.join(work, 'tree-copy');
    await sftp.get('/tree', dest, { recurse: true });
    expect(readFileSync(path.join(dest, 'top.txt'), 'utf8')).toBe('top');
    expect(sha(readFileSync(path.join(dest, 'sub', 'mid.bin')))).toBe(sha(readFileSync(path.join(tree, 'sub', 'mid.bin'))));
    expect(readFileSync(path.join(dest, 'sub', 'deeper', 'leaf.txt'), 'utf8')).toBe('leaf');
    expect(lstatSync(path.join(dest, 'empty')).isDirectory()).toBe(true);
    // Without followSymlinks, a link is copied as what it points to, as AsyncSSH's get().
    expect(readFileSync(path.join(dest, 'top-link'), 'utf8')).toBe('top');
    await sftp.exit();
  });

  it('reads and writes at offsets through open files, with fstat and fsetstat', async () => {
    await using conn = await connect(options());
    const sftp = await conn.startSftpClient();
    const f = await sftp.open('/random.bin', 'w+b');
    expect(await f.write(new Uint8Array(100_000).fill(1))).toBe(100_000);
    await f.write(new TextEncoder().encode('MIDDLE'), 50_000);
    expect(new TextDecoder().decode(await f.read(6, 50_000))).toBe('MIDDLE');
    expect((await f.stat()).size).toBe(100_000);
    await f.truncate(60_000);
    await f.chmod(0o640);
    await f.utime([1_000_000_000, 1_100_000_000]);
    const st = await f.stat();
    expect([st.size, (st.permissions ?? 0) & 0o777, st.atime, st.mtime]).toEqual([60_000, 0o640, 1_000_000_000, 1_100_000_000]);
    await f.close();
    const tail = await sftp.open('/random.bin', 'rb');
    expect((await tail.read(-1, 59_990)).length).toBe(10);
    expect((await tail.read(10, 60_000)).length).toBe(0);
    await tail.close();
    await sftp.exit();
  });

  it('sets attributes by path, and refuses statvfs, which paramiko does not offer, with SFTPOpUnsupported', async () => {
    await using conn = await connect(options());
    const sftp = await conn.startSftpClient();
    writeFileSync(path.join(server.root, 'attrs.txt'), 'x'.repeat(5000));
    await sftp.truncate('/attrs.txt', 123);
    await sftp.chmod('/attrs.txt', 0o600);
    await sftp.utime('/attrs.txt', [1_200_000_000, 1_300_000_000]);
    const st = lstatSync(path.join(server.root, 'attrs.txt'));
    expect([st.size, st.mode & 0o777, Math.round(st.mtimeMs / 1000), Math.round(st.atimeMs / 1000)]).toEqual([123, 0o600, 1_300_000_000, 1_200_000_000]);
    expect(await sftp.getsize('/attrs.txt')).toBe(123);
    expect(await sftp.getmtime('/attrs.txt')).toBe(1_300_000_000);
    await expect(sftp.statvfs('/')).rejects.toBeInstanceOf(SFTPOpUnsupported);
    await sftp.exit();
  });

  it('does not send posix-rename@openssh.com to a server that does not advertise it', async () => {
    // paramiko's SFTPServer answers posix-rename@openssh.com but lists no extension in its
    // SSH_FXP_VERSION; like OpenSSH's sftp, we use only what the server advertises.
    await using conn = await connect(options());
    const sftp = await conn.startSftpClient();
    writeFileSync(path.join(server.root, 'pr-a.txt'), 'new');
    writeFileSync(path.join(server.root, 'pr-b.txt'), 'old');
    await expect(sftp.posixRename('/pr-a.txt', '/pr-b.txt')).rejects.toBeInstanceOf(SFTPOpUnsupported);
    expect(readFileSync(path.join(server.root, 'pr-b.txt'), 'utf8')).toBe('old');
    await sftp.exit();
  });

  it('makes and removes trees, globs, changes directory, copies remotely without copy-data', async () => {
    await using conn = await connect(options());
    const sftp = await conn.startSftpClient();
    await sftp.makedirs('/mk/a/b/c');
    await sftp.makedirs('/mk/a/b', { existOk: true });
    expect(lstatSync(path.join(server.root, 'mk', 'a', 'b', 'c')).isDirectory()).toBe(true);
    for (const name of ['one.txt', 'two.txt', 'three.log']) writeFileSync(path.join(server.root, 'mk', 'a', name), name);
    expect((await sftp.glob('/mk/a/*.txt')).sort()).toEqual(['/mk/a/one.txt', '/mk/a/two.txt']);
    expect((await sftp.glob('/mk/*/b')).sort()).toEqual(['/mk/a/b']);
    await sftp.chdir('/mk/a');
    expect(await sftp.getcwd()).toBe('/mk/a');
    expect((await sftp.listdir('.')).filter((n) => !n.startsWith('.')).sort()).toEqual(['b', 'one.txt', 'three.log', 'two.txt']);
    await sftp.copy('one.txt', 'b/one-copy.txt');
    expect(readFileSync(path.join(server.root, 'mk', 'a', 'b', 'one-copy.txt'), 'utf8')).toBe('one.txt');
    await sftp.rmtree('/mk');
    expect(existsSync(path.join(server.root, 'mk'))).toBe(false);
    await sftp.exit();
  });

  it('lists a directory of 1000 entries', async () => {
    mkdirSync(path.join(server.root, 'many'));
    for (let i = 0; i < 1000; i++) writeFileSync(path.join(server.root, 'many', `f${String(i).padStart(4, '0')}`), '');
    await using conn = await connect(options());
    const sftp = await conn.startSftpClient();
    const names = (await sftp.listdir('/many')).filter((n) => n !== '.' && n !== '..');
    expect(names.length).toBe(1000);
    expect(new Set(names).size).toBe(1000);
    await sftp.exit();
  });

  it('puts and gets several files with mput/mget and preserve', async () => {
    const src = path.join(work, 'mput-src');
    mkdirSync(src, { recursive: true });
    writeFileSync(path.join(src, 'p1.txt'), 'p1', { mode: 0o604 });
    writeFileSync(path.join(src, 'p2.txt'), 'p2');
    await using conn = await connect(options());
    const sftp = await conn.startSftpClient();
    await sftp.mkdir('/mput');
    await sftp.mput(path.join(src, '*.txt'), '/mput', { preserve: true });
    const st = lstatSync(path.join(server.root, 'mput', 'p1.txt'));
    expect(st.mode & 0o777).toBe(0o604);
    // SFTP v3 times are whole seconds: the local time's fraction is dropped, as OpenSSH's sftp -p does.
    expect(Math.floor(st.mtimeMs / 1000)).toBe(Math.floor(lstatSync(path.join(src, 'p1.txt')).mtimeMs / 1000));
    const dst = path.join(work, 'mget-dst');
    mkdirSync(dst, { recursive: true });
    await sftp.mget('/mput/p*.txt', dst);
    expect([readFileSync(path.join(dst, 'p1.txt'), 'utf8'), readFileSync(path.join(dst, 'p2.txt'), 'utf8')]).toEqual(['p1', 'p2']);
    await sftp.exit();
  });
});
