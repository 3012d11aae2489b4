/**
 * Our server (listen() with a processFactory, the sftp subsystem and forwarding) against
 * Paramiko's client (Debian python3-paramiko 2.12): an SSH implementation in Python of its own,
 * with its own key exchange, host key checking (known_hosts and RejectPolicy), channels,
 * forwarding, keepalives, rekeying and SFTP client.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, lstatSync, mkdirSync, openSync, readFileSync, readlinkSync, statSync, symlinkSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { PARAMIKO_KEX, generateKey, makeTempDir, removeTempDir, runParamikoClient, signCertificate, startSshd, type KeyPair, type ParamikoClientOptions } from '@ssh/interop';
import { logPeersOnFailure } from '@ssh/interop/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TerminalSizeChanged, listen, type SSHAcceptor, type SSHServerProcess } from '../src/index.ts';
import { ForeignClientServer, foreignClientListenOptions, withOwnServer } from './foreign-client-server.ts';
import { startEcho, type EchoServer } from './forward-helpers.ts';
import { answerPeerCommand } from './peer-commands.ts';

logPeersOnFailure();

let acceptor: SSHAcceptor;
let smallRekey: SSHAcceptor;
let hostKeys: Record<'ed25519' | 'ecdsa' | 'rsa', KeyPair>;
let clientKeys: Record<'ed25519' | 'ecdsa' | 'rsa', KeyPair>;
let echo: EchoServer;
let work: string;
const forwardRequests: string[] = [];
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The foreign clients' server, where user "expired" with password "old" must change it to "sesame". */
class ParamikoFacingServer extends ForeignClientServer {
  override validatePassword(username: string, password: string): boolean | { changePrompt: string } {
    if (username === 'expired' && password === 'old') return { changePrompt: 'Password expired' };
    return super.validatePassword(username, password);
  }

  override changePassword(_username: string, oldPassword: string, newPassword: string): boolean {
    return oldPassword === 'old' && newPassword === 'sesame';
  }
}

async function handler(process: SSHServerProcess<Uint8Array>): Promise<void> {
  const command = process.command;
  const say = (text: string): void => {
    process.stdout.write(encoder.encode(text));
  };
  if (command === undefined) {
    // A shell: report the terminal, then each window change, until "exit" on stdin.
    say(`shell ${process.termType ?? 'none'} ${process.termSize[0]}x${process.termSize[1]}\n`);
    let line = '';
    for (;;) {
      let data: Uint8Array;
      try {
        data = await process.stdin.read(4096);
      } catch (error) {
        if (error instanceof TerminalSizeChanged) {
          say(`resized ${error.width}x${error.height}\n`);
          continue;
        }
        throw error;
      }
      if (data.length === 0) break;
      line += decoder.decode(data);
      if (line.includes('exit')) break;
    }
    process.exit(0);
  } else if (!(await answerPeerCommand(process, command))) {
    say(`ran: ${command}\n`);
    process.exit(0);
  }
}

beforeAll(async () => {
  const [hEd, hEc, hRsa, cEd, cEc, cRsa] = await Promise.all([
    generateKey('ed25519', { label: 'paramiko-host' }),
    generateKey('ecdsa-p256', { label: 'paramiko-host' }),
    generateKey('rsa', { label: 'paramiko-host' }),
    generateKey('ed25519', { label: 'paramiko-client' }),
    generateKey('ecdsa-p384', { label: 'paramiko-client' }),
    generateKey('rsa', { label: 'paramiko-client', format: 'pem' }),
  ]);
  hostKeys = { ed25519: hEd, ecdsa: hEc, rsa: hRsa };
  clientKeys = { ed25519: cEd, ecdsa: cEc, rsa: cRsa };
  work = await makeTempDir('paramiko-client');
  echo = await startEcho();
  const common = {
    serverFactory: () => new ParamikoFacingServer(forwardRequests),
    ...foreignClientListenOptions([hEd, hEc, hRsa], [cEd, cEc, cRsa], handler),
    lineEditor: false,
    sftpFactory: true,
  } as const;
  acceptor = await listen('127.0.0.1', 0, common);
  smallRekey = await listen('127.0.0.1', 0, { ...common, rekeyBytes: '1M' });
});

afterAll(async () => {
  await acceptor?.waitClosed();
  await smallRekey?.waitClosed();
  await echo?.close();
  if (work) await removeTempDir(work);
});

function writeKnownHosts(server: SSHAcceptor): string {
  const file = path.join(work, `known_hosts-${server.getPort()}`);
  writeFileSync(file, `[127.0.0.1]:${server.getPort()} ${hostKeys.ed25519.publicKey}\n`);
  return file;
}

const ours = (server: SSHAcceptor = acceptor, keys: readonly KeyPair[] = Object.values(hostKeys)) => ({
  name: 'ours',
  host: '127.0.0.1',
  port: server.getPort(),
  user: 'paramiko',
  hostPublicKeys: keys.map((key) => key.publicKey),
});

function paramiko(snippet: string, options: ParamikoClientOptions = {}) {
  return runParamikoClient(snippet, { target: ours(), identity: clientKeys.ed25519, timeoutMs: 20_000, ...options });
}

describe('Paramiko client: authentication and host keys', () => {
  it.each([
    ['ed25519', 'ssh-ed25519', 'None'],
    ['ecdsa', 'ecdsa-sha2-nistp384', 'None'],
    ['rsa', 'rsa-sha2-256', "['rsa-sha2-512']"],
    ['rsa', 'rsa-sha2-512', "['rsa-sha2-256']"],
  ] as const)('authenticates with an %s key signing with %s', async (kind, _algorithm, disabled) => {
    const r = await paramiko(
      `stdin, stdout, stderr = client.exec_command('user')
result = {'user': stdout.read().decode(), 'status': stdout.channel.recv_exit_status(), 'authenticated': transport.is_authenticated()}`,
      { identity: clientKeys[kind], connectOptions: `dict(disabled_algorithms={'pubkeys': ${disabled}})` },
    );
    expect(r.result).toEqual({ user: 'paramiko\n', status: 0, authenticated: true });
  });

  it('authenticates with a password and refuses a wrong one', async () => {
    const ok = await paramiko(`result = client.exec_command('user')[1].read().decode()`, { identity: null, password: 'sesame' });
    expect(ok.result).toBe('paramiko\n');
    const bad = await paramiko('pass', { identity: null, password: 'wrong', allowFailure: true });
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain('paramiko.ssh_exception.AuthenticationException');
  });

  it('accepts a new ssh-userauth service request before each method paramiko tries, as sshd does', async () => {
    // paramiko's Transport.auth_*() each start with SSH_MSG_SERVICE_REQUEST "ssh-userauth", so
    // SSHClient sends one per key or password it tries. RFC 4253 10 does not limit them to one,
    // and sshd (auth2.c) accepts them until authentication succeeds.
    const stranger = await generateKey('ed25519', { label: 'paramiko-refused' });
    const snippet = `result = client.exec_command('user')[1].read().decode()`;
    const sshd = await startSshd({ authorizedKeys: [clientKeys.ed25519] });
    try {
      const viaSshd = await paramiko(`result = client.exec_command('echo $USER')[1].read().decode().strip() != ''`, {
        target: sshd,
        username: sshd.user,
        identity: [stranger, clientKeys.ecdsa, clientKeys.ed25519],
      });
      expect(viaSshd.result).toBe(true);
    } finally {
      await sshd.stop();
    }
    const keys = await paramiko(snippet, { identity: [stranger, clientKeys.ed25519] });
    expect(keys.result).toBe('paramiko\n');
    const thenPassword = await paramiko(snippet, { identity: [stranger], password: 'sesame' });
    expect(thenPassword.result).toBe('paramiko\n');
  });

  it('answers keyboard-interactive prompts (auth_interactive) and lists its methods to auth_none', async () => {
    const r = await paramiko(
      `t = paramiko.Transport(socket.create_connection(('127.0.0.1', params['port']), timeout=15))
t.start_client(timeout=15)
try:
    t.auth_none('paramiko')
    allowed = None
except paramiko.BadAuthenticationType as e:
    allowed = sorted(e.allowed_types)
seen = []
def handler(title, instructions, prompts):
    seen.append([title, instructions, [list(p) for p in prompts]])
    return ['sesame', 'blue'] if prompts else []
left = t.auth_interactive('paramiko', handler)
result = {'allowed': allowed, 'seen': seen, 'left': left, 'ok': t.is_authenticated()}
t.close()`,
      { target: undefined, params: { port: acceptor.getPort() } },
    );
    expect(r.result).toEqual({
      allowed: ['keyboard-interactive', 'password', 'publickey'],
      seen: [['Two questions', 'Answer both', [['Code: ', false], ['Colour: ', true]]]],
      left: [],
      ok: true,
    });
  });

  it('authenticates with an OpenSSH user certificate (ed25519 key, ed25519 CA)', async () => {
    const ca = await generateKey('ed25519', { label: 'paramiko-user-ca' });
    const key = await generateKey('ed25519', { label: 'paramiko-cert-user' });
    const cert = await signCertificate(ca, key, { principals: ['certuser'], validity: '-5m:+1h' });
    await withOwnServer(foreignClientListenOptions([hostKeys.ed25519], `cert-authority ${ca.publicKey}\n`, handler), async (server) => {
      const r = await paramiko(
        `key = paramiko.Ed25519Key.from_private_key_file(params['key'])
key.load_certificate(params['cert'])
c = paramiko.SSHClient()
c.load_host_keys(params['knownHosts'])
c.set_missing_host_key_policy(paramiko.RejectPolicy())
c.connect('127.0.0.1', port=params['port'], username='certuser', pkey=key, allow_agent=False, look_for_keys=False, timeout=15)
result = c.exec_command('user')[1].read().decode()
c.close()`,
        { target: undefined, params: { key: key.privateKeyPath, cert: cert.path, port: server.getPort(), knownHosts: writeKnownHosts(server) } },
      );
      expect(r.result).toBe('certuser\n');
    });
  });

  it.each([
    ['ssh-ed25519', 'ed25519'],
    ['ecdsa-sha2-nistp256', 'ecdsa'],
    ['rsa-sha2-256', 'rsa'],
    ['rsa-sha2-512', 'rsa'],
  ] as const)('passes paramiko host key checking with the %s host key from its known_hosts', async (algorithm, kind) => {
    const others = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa-sha2-256', 'rsa-sha2-512', 'ssh-rsa'].filter((name) => name !== algorithm);
    const r = await paramiko(`key = transport.get_remote_server_key()\nresult = [transport.host_key_type, key.get_base64()]`, {
      target: ours(acceptor, [hostKeys[kind]]),
      connectOptions: `dict(disabled_algorithms={'keys': ${JSON.stringify(others)}})`,
    });
    expect(r.result).toEqual([algorithm, hostKeys[kind].publicKey.split(' ')[1]]);
  });

  it('is refused by paramiko for a host key its known_hosts does not list (RejectPolicy) or lists differently', async () => {
    const stranger = await generateKey('ed25519', { label: 'paramiko-stranger' });
    const changed = await paramiko('pass', { target: ours(acceptor, [stranger]), allowFailure: true });
    expect(changed.exitCode).toBe(1);
    expect(changed.stderr).toContain('BadHostKeyException');
    const unknown = await paramiko('pass', {
      target: { ...ours(), hostPublicKeys: [], hostCertAuthorities: [] },
      verifyHostKeys: true,
      allowFailure: true,
    });
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toMatch(/not found in known_hosts/);
  });
});

describe('Paramiko client: algorithms', () => {
  const only = (kind: string, name: string) => `dict(disabled_algorithms={'${kind}': [n for n in paramiko.Transport._preferred_${kind} if n != '${name}']})`;
  const negotiated = `result = {'cipher': transport.local_cipher, 'mac': transport.local_mac, 'out': client.exec_command('algo')[1].read().decode()}`;

  it.each(PARAMIKO_KEX)('exchanges keys with %s', async (kex) => {
    const r = await paramiko(negotiated, { connectOptions: only('kex', kex), debug: true });
    expect(r.result).toMatchObject({ out: 'ran: algo\n' });
    expect(r.debugLog).toContain(`Kex: ${kex}\n`);
  });

  it.each(['aes128-ctr', 'aes192-ctr', 'aes256-ctr'])('encrypts with %s', async (cipher) => {
    const r = await paramiko(negotiated, { connectOptions: only('ciphers', cipher) });
    expect(r.result).toMatchObject({ cipher, out: 'ran: algo\n' });
  });

  it.each(['hmac-sha2-256', 'hmac-sha2-512', 'hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha1'])('authenticates packets with %s', async (mac) => {
    const r = await paramiko(negotiated, { connectOptions: only('macs', mac) });
    expect(r.result).toMatchObject({ mac, out: 'ran: algo\n' });
  });

  it('compresses with zlib@openssh.com after authentication (compress=True)', async () => {
    const r = await paramiko(
      `stdin, stdout, stderr = client.exec_command('bytes %d' % (3 << 20))
data = stdout.read()
result = {'compression': [transport.local_compression, transport.remote_compression], 'n': len(data), 'ok': data == b'b' * (3 << 20)}`,
      { connectOptions: 'dict(compress=True)', debug: true },
    );
    expect(r.result).toEqual({ compression: ['zlib@openssh.com', 'zlib@openssh.com'], n: 3 << 20, ok: true });
  });
});

describe('Paramiko client: sessions', () => {
  it('runs a command with its exit status and stderr', async () => {
    const r = await paramiko(`stdin, stdout, stderr = client.exec_command('exit 7')
out = stdout.read()
err = stderr.read()
result = {'status': stdout.channel.recv_exit_status(), 'out': out.decode(), 'err': err.decode()}
stdin, stdout, stderr = client.exec_command('hello paramiko')
result['hello'] = stdout.read().decode()
result['helloStatus'] = stdout.channel.recv_exit_status()`);
    expect(r.result).toEqual({ status: 7, out: '', err: 'leaving\n', hello: 'ran: hello paramiko\n', helloStatus: 0 });
  });

  it('sends 10 MiB through stdin and receives 10 MiB of output intact', async () => {
    const size = 10 * 1024 * 1024;
    const expected = createHash('sha256');
    const r = await paramiko(
      `import random
rng = random.Random(7)
data = bytes(rng.getrandbits(8) for _ in range(65536))
stdin, stdout, stderr = client.exec_command('sha256')
digest = hashlib.sha256()
for i in range(160):
    block = bytes([i]) + data[1:]
    digest.update(block)
    stdin.write(block)
stdin.flush()
stdin.channel.shutdown_write()
answer = stdout.read().decode()
result = {'answer': answer, 'mine': digest.hexdigest(), 'status': stdout.channel.recv_exit_status()}
stdin, stdout, stderr = client.exec_command('bytes %d' % ${size})
got = hashlib.sha256()
n = 0
while True:
    chunk = stdout.read(1 << 20)
    if not chunk:
        break
    got.update(chunk)
    n += len(chunk)
result['download'] = [n, got.hexdigest(), stdout.channel.recv_exit_status()]`,
      { timeoutMs: 120_000 },
    );
    const result = r.result as { answer: string; mine: string; status: number; download: [number, string, number] };
    expect(result.answer).toBe(`${size} ${result.mine}\n`);
    expect(result.status).toBe(0);
    for (let i = 0; i < size; i += 65536) expected.update(Buffer.alloc(Math.min(65536, size - i), 0x62));
    expect(result.download).toEqual([size, expected.digest('hex'), 0]);
  }, 150_000);

  it('opens a pty shell and reports its size and a window change', async () => {
    const r = await paramiko(`chan = client.invoke_shell(term='vt220', width=91, height=33)
chan.settimeout(10)
buf = b''
def wait_for(text):
    global buf
    deadline = time.time() + 15
    while text.encode() not in buf:
        if time.time() > deadline:
            raise RuntimeError('no %r in %r' % (text, buf))
        try:
            buf += chan.recv(4096)
        except socket.timeout:
            raise RuntimeError('no %r in %r' % (text, buf))
wait_for('shell vt220 91x33\\n')
chan.resize_pty(width=120, height=40)
wait_for('resized 120x40\\n')
chan.send(b'exit\\n')
result = {'out': buf.decode(), 'status': chan.recv_exit_status()}`);
    expect(r.result).toEqual({ out: 'shell vt220 91x33\nresized 120x40\n', status: 0 });
  });

  it('keeps to a tiny window and maximum packet size paramiko asks for', async () => {
    const r = await paramiko(`chan = transport.open_session(window_size=3000, max_packet_size=700)
chan.exec_command('bytes %d' % 400000)
got = 0
digest = hashlib.sha256()
while True:
    data = chan.recv(65536)
    if not data:
        break
    got += len(data)
    digest.update(data)
chan2 = transport.open_session(window_size=3000, max_packet_size=700)
chan2.exec_command('exit 3')
err = chan2.makefile_stderr('rb').read()
result = [got, digest.hexdigest() == hashlib.sha256(b'b' * 400000).hexdigest(), chan.recv_exit_status(), err.decode(), chan2.recv_exit_status()]`);
    expect(r.result).toEqual([400000, true, 0, 'leaving\n', 3]);
  });

  it('shows our pre-authentication banner (get_banner)', async () => {
    await withOwnServer({ ...foreignClientListenOptions([hostKeys.ed25519], `${clientKeys.ed25519.publicKey}\n`, handler), banner: 'Welcome, Grüße ☃\nSecond line\n' }, async (bannered) => {
      const r = await paramiko(`result = transport.get_banner().decode()`, { target: ours(bannered, [hostKeys.ed25519]) });
      expect(r.result).toBe('Welcome, Grüße ☃\nSecond line\n');
    });
  });

  it('passes environment variables (set_environment_variable, update_environment, exec_command environment=)', async () => {
    const r = await paramiko(`chan = transport.open_session()
chan.set_environment_variable('ONE', 'first')
chan.update_environment({'TWO': 'second value', 'THREE': 'x=y'})
chan.exec_command('env ONE TWO THREE')
out = chan.makefile('rb').read().decode()
stdin, stdout, stderr = client.exec_command('env FOUR', environment={'FOUR': '4'})
result = [out, stdout.read().decode(), chan.recv_exit_status()]`);
    expect(r.result).toEqual(['ONE=first\nTWO=second value\nTHREE=x=y\n', 'FOUR=4\n', 0]);
  });
});

describe('Paramiko client: forwarding, keepalive, rekey', () => {
  it('opens a direct-tcpip channel to a local echo server', async () => {
    forwardRequests.length = 0;
    const r = await paramiko(
      `chan = transport.open_channel('direct-tcpip', ('127.0.0.1', params['port']), ('127.0.0.1', 40000), timeout=15)
payload = os.urandom(300000)
def writer():
    chan.sendall(payload)
    chan.shutdown_write()
threading.Thread(target=writer, daemon=True).start()
got = b''
while True:
    data = chan.recv(65536)
    if not data:
        break
    got += data
chan.close()
result = got == payload`,
      { params: { port: echo.port } },
    );
    expect(r.result).toBe(true);
    expect(forwardRequests).toContain(`open 127.0.0.1:${echo.port}`);
  });

  it('forwards a remote port (tcpip-forward) back to the client and cancels it', async () => {
    forwardRequests.length = 0;
    const r = await paramiko(`accepted = []
event = threading.Event()
def on_channel(chan, origin, server):
    accepted.append([list(origin)[0], list(server)])
    def serve():
        data = b''
        while not data.endswith(b'\\n'):
            part = chan.recv(1024)
            if not part:
                break
            data += part
        chan.sendall(b'forwarded: ' + data)
        chan.close()
        event.set()
    threading.Thread(target=serve, daemon=True).start()
port = transport.request_port_forward('127.0.0.1', 0, handler=on_channel)
sock = socket.create_connection(('127.0.0.1', port), timeout=15)
sock.sendall(b'hello\\n')
reply = b''
while True:
    part = sock.recv(1024)
    if not part:
        break
    reply += part
sock.close()
event.wait(15)
transport.cancel_port_forward('127.0.0.1', port)
time.sleep(0.2)
refused = False
try:
    socket.create_connection(('127.0.0.1', port), timeout=5).close()
except OSError:
    refused = True
result = {'port': port, 'reply': reply.decode(), 'origin': accepted[0][0], 'server': accepted[0][1], 'refused': refused}`);
    const result = r.result as { port: number; reply: string; origin: string; server: [string, number]; refused: boolean };
    expect(result.port).toBeGreaterThan(0);
    expect(result.reply).toBe('forwarded: hello\n');
    expect(result.origin).toBe('127.0.0.1');
    expect(result.server).toEqual(['127.0.0.1', result.port]);
    expect(result.refused).toBe(true);
    expect(forwardRequests).toEqual(['listen 127.0.0.1:0']);
  });

  it('survives paramiko keepalives and answers a global request it does not know with failure', async () => {
    const r = await paramiko(`transport.set_keepalive(1)
time.sleep(3.5)
reply = transport.global_request('keepalive@openssh.com', wait=True)
other = transport.global_request('no-such-request@example.com', wait=True)
result = {'keepalive': reply is None, 'other': other is None, 'active': transport.is_active(), 'out': client.exec_command('after')[1].read().decode()}`);
    // RFC 4254 4: a request the recipient does not recognise is answered with
    // SSH_MSG_REQUEST_FAILURE, which paramiko reports as None (as it does for OpenSSH's sshd).
    expect(r.result).toEqual({ keepalive: true, other: true, active: true, out: 'ran: after\n' });
  });

  it("is kept alive by our server's keepalive@openssh.com requests, which paramiko answers", async () => {
    await withOwnServer({ ...foreignClientListenOptions([hostKeys.ed25519], `${clientKeys.ed25519.publicKey}\n`, handler), keepaliveInterval: 0.5, keepaliveCountMax: 2 }, async (keepalive) => {
      const r = await paramiko(`time.sleep(3)\nresult = [transport.is_active(), client.exec_command('alive')[1].read().decode()]`, {
        target: ours(keepalive, [hostKeys.ed25519]),
        debug: true,
      });
      expect(r.result).toEqual([true, 'ran: alive\n']);
      // paramiko refuses the global requests it does not know, which counts as an answer (RFC 4254 4).
      expect(r.debugLog.match(/Rejecting "keepalive@openssh.com" global request/g)?.length ?? 0).toBeGreaterThan(2);
    });
  });

  it('keeps a 6 MiB transfer intact across paramiko-initiated rekeys (renegotiate_keys)', async () => {
    const r = await paramiko(
      `stdin, stdout, stderr = client.exec_command('sha256')
digest = hashlib.sha256()
block = os.urandom(1 << 20)
keys_before = transport.remote_cipher, transport.session_id
for i in range(6):
    piece = bytes([i]) + block[1:]
    stdin.write(piece)
    digest.update(piece)
    if i in (1, 3):
        transport.renegotiate_keys()
stdin.channel.shutdown_write()
result = {'answer': stdout.read().decode(), 'mine': '%d %s\\n' % (6 << 20, digest.hexdigest()), 'status': stdout.channel.recv_exit_status()}`,
      { timeoutMs: 90_000, debug: true },
    );
    const result = r.result as { answer: string; mine: string; status: number };
    expect(result.answer).toBe(result.mine);
    expect(result.status).toBe(0);
    // The first key exchange and the two asked for.
    expect(r.debugLog.match(/Switch to new keys/g)?.length).toBe(3);
  }, 120_000);

  it('keeps transfers intact both ways when our server rekeys every MiB', async () => {
    const r = await paramiko(
      `stdin, stdout, stderr = client.exec_command('sha256')
digest = hashlib.sha256()
for i in range(4):
    piece = os.urandom(1 << 20)
    stdin.write(piece)
    digest.update(piece)
stdin.channel.shutdown_write()
result = {'answer': stdout.read().decode(), 'mine': '%d %s\\n' % (4 << 20, digest.hexdigest())}
stdin, stdout, stderr = client.exec_command('bytes %d' % (5 << 20))
result['down'] = len(stdout.read())`,
      { target: ours(smallRekey), timeoutMs: 90_000, debug: true },
    );
    const result = r.result as { answer: string; mine: string; down: number };
    expect(result.answer).toBe(result.mine);
    expect(result.down).toBe(5 << 20);
    // paramiko logs each key exchange the server started.
    expect(r.debugLog.match(/Switch to new keys/g)?.length ?? 0).toBeGreaterThan(4);
  }, 120_000);
});

describe('Paramiko SFTPClient against our sftp subsystem', () => {
  it('lists, stats, uploads and downloads with prefetch, with sha256 checks', async () => {
    const dir = path.join(work, 'sftp-basic');
    mkdirSync(path.join(dir, 'sub'), { recursive: true });
    writeFileSync(path.join(dir, 'small.txt'), 'small file\n');
    const big = randomBytes(3 * 1024 * 1024 + 12345);
    writeFileSync(path.join(dir, 'big.bin'), big);
    symlinkSync('small.txt', path.join(dir, 'link'));
    const local = path.join(work, 'paramiko-local');
    mkdirSync(local, { recursive: true });
    const upload = randomBytes(2 * 1024 * 1024 + 777);
    writeFileSync(path.join(local, 'up.bin'), upload);
    const r = await paramiko(
      `sftp = sftp_open()
d = params['dir']
entries = sorted((a.filename, a.st_size if not (a.st_mode & 0o040000) else -1) for a in sftp.listdir_attr(d))
names = sorted(sftp.listdir(d))
st = sftp.stat(d + '/link')
lst = sftp.lstat(d + '/link')
import stat as S
sftp.get(d + '/big.bin', params['local'] + '/big.bin')
sftp.put(params['local'] + '/up.bin', d + '/up.bin')
with sftp.open(d + '/big.bin', 'rb') as f:
    f.prefetch()
    prefetched = hashlib.sha256(f.read()).hexdigest()
with sftp.open(d + '/big.bin', 'rb') as f:
    f.seek(1000)
    part = f.read(5000)
    parts = f.readv([(0, 10), (2 << 20, 100)])
    parts = [hashlib.sha256(p).hexdigest() for p in parts]
with sftp.open(d + '/written.txt', 'w') as f:
    f.write(b'line one\\n')
    f.write(b'line two\\n')
with sftp.open(d + '/written.txt', 'a') as f:
    f.write(b'line three\\n')
with sftp.open(d + '/written.txt', 'r') as f:
    lines = [l for l in f]
result = {
  'entries': entries, 'names': names,
  'st': [S.S_ISREG(st.st_mode), st.st_size], 'lst': [S.S_ISLNK(lst.st_mode)],
  'prefetched': prefetched, 'part': hashlib.sha256(part).hexdigest(), 'parts': parts,
  'lines': lines,
  'cwd': sftp.normalize('.'), 'norm': sftp.normalize(d + '/sub/../small.txt'),
}`,
      { params: { dir, local }, timeoutMs: 90_000 },
    );
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    const result = r.result as Record<string, unknown>;
    expect(result['entries']).toEqual([
      ['big.bin', big.length],
      ['link', 9],
      ['small.txt', 11],
      ['sub', -1],
    ]);
    expect(result['names']).toEqual(['big.bin', 'link', 'small.txt', 'sub']);
    expect(result['st']).toEqual([true, 11]);
    expect(result['lst']).toEqual([true]);
    expect(sha(readFileSync(path.join(local, 'big.bin')))).toBe(sha(big));
    expect(sha(readFileSync(path.join(dir, 'up.bin')))).toBe(sha(upload));
    expect(result['prefetched']).toBe(sha(big));
    expect(result['part']).toBe(sha(big.subarray(1000, 6000)));
    expect(result['parts']).toEqual([sha(big.subarray(0, 10)), sha(big.subarray(2 << 20, (2 << 20) + 100))]);
    expect(result['lines']).toEqual(['line one\n', 'line two\n', 'line three\n']);
    expect(readFileSync(path.join(dir, 'written.txt'), 'utf8')).toBe('line one\nline two\nline three\n');
    // Our sftp server's working directory is the server process's, as AsyncSSH's SFTPServer's.
    expect(result['cwd']).toBe(process.cwd());
    expect(result['norm']).toBe(path.join(dir, 'small.txt'));
  }, 120_000);

  it('renames, removes, makes and removes directories, links, chmods, utimes and truncates', async () => {
    const dir = path.join(work, 'sftp-ops');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'a.txt'), 'alpha');
    writeFileSync(path.join(dir, 'b.txt'), 'beta');
    writeFileSync(path.join(dir, 'c.txt'), 'gamma');
    writeFileSync(path.join(dir, 'long.txt'), 'x'.repeat(1000));
    const r = await paramiko(
      `sftp = sftp_open()
d = params['dir']
out = {}
sftp.rename(d + '/a.txt', d + '/a2.txt')
try:
    sftp.rename(d + '/a2.txt', d + '/b.txt')
    out['renameOver'] = 'ok'
except IOError as e:
    out['renameOver'] = type(e).__name__
sftp.posix_rename(d + '/c.txt', d + '/b.txt')
sftp.remove(d + '/a2.txt')
sftp.mkdir(d + '/newdir', mode=0o750)
out['mkdirMode'] = oct(sftp.stat(d + '/newdir').st_mode & 0o777)
sftp.rmdir(d + '/newdir')
sftp.mkdir(d + '/kept')
sftp.symlink('b.txt', d + '/sym')
out['readlink'] = sftp.readlink(d + '/sym')
sftp.chmod(d + '/b.txt', 0o640)
sftp.utime(d + '/b.txt', (1000000000, 1200000000))
st = sftp.stat(d + '/b.txt')
out['attrs'] = [oct(st.st_mode & 0o777), int(st.st_atime), int(st.st_mtime)]
sftp.truncate(d + '/long.txt', 10)
with sftp.open(d + '/long.txt', 'r+') as f:
    f.truncate(5)
    out['fstat'] = f.stat().st_size
    f.chmod(0o600)
    f.utime((1100000000, 1100000000))
out['listing'] = sorted(sftp.listdir(d))
result = out`,
      { params: { dir } },
    );
    expect(r.result).toEqual({
      // filexfer-02 6.5: SSH_FXP_RENAME fails when the new name exists.
      renameOver: 'OSError',
      mkdirMode: '0o750',
      readlink: 'b.txt',
      attrs: ['0o640', 1000000000, 1200000000],
      fstat: 5,
      listing: ['b.txt', 'kept', 'long.txt', 'sym'],
    });
    expect(readFileSync(path.join(dir, 'b.txt'), 'utf8')).toBe('gamma');
    expect(readlinkSync(path.join(dir, 'sym'))).toBe('b.txt');
    expect(statSync(path.join(dir, 'kept')).isDirectory()).toBe(true);
    const long = statSync(path.join(dir, 'long.txt'));
    expect([long.size, long.mode & 0o777, Math.round(long.mtimeMs / 1000)]).toEqual([5, 0o600, 1100000000]);
    expect(lstatSync(path.join(dir, 'sym')).isSymbolicLink()).toBe(true);
  });

  it('maps errors to IOError with the errno paramiko expects', async () => {
    const dir = path.join(work, 'sftp-errors');
    mkdirSync(path.join(dir, 'full'), { recursive: true });
    writeFileSync(path.join(dir, 'full', 'f'), 'f');
    writeFileSync(path.join(dir, 'ro.txt'), 'ro', { mode: 0o400 });
    const r = await paramiko(
      `import errno
sftp = sftp_open()
d = params['dir']
out = {}
def attempt(name, fn):
    try:
        fn()
        out[name] = 'no error'
    except IOError as e:
        out[name] = [type(e).__name__, errno.errorcode.get(e.errno, e.errno) if e.errno is not None else None]
attempt('stat', lambda: sftp.stat(d + '/missing'))
attempt('open', lambda: sftp.open(d + '/missing', 'r'))
attempt('remove', lambda: sftp.remove(d + '/missing'))
attempt('listdir', lambda: sftp.listdir(d + '/missing'))
attempt('rmdirFull', lambda: sftp.rmdir(d + '/full'))
attempt('mkdirExists', lambda: sftp.mkdir(d + '/full'))
attempt('get', lambda: sftp.get(d + '/missing', os.path.join(params['dir'], 'never')))
attempt('readlinkNotLink', lambda: sftp.readlink(d + '/full/f'))
result = out`,
      { params: { dir } },
    );
    expect(r.result).toEqual({
      stat: ['FileNotFoundError', 'ENOENT'],
      open: ['FileNotFoundError', 'ENOENT'],
      remove: ['FileNotFoundError', 'ENOENT'],
      listdir: ['FileNotFoundError', 'ENOENT'],
      // SFTP v3 has no "directory not empty" or "file exists" codes: SSH_FX_FAILURE, an IOError without errno.
      rmdirFull: ['OSError', null],
      mkdirExists: ['OSError', null],
      get: ['FileNotFoundError', 'ENOENT'],
      readlinkNotLink: ['OSError', null],
    });
  });

  it('creates exclusively, stats a sparse 5 GiB file, reads past 4 GiB, and lists non-ASCII names', async () => {
    const dir = path.join(work, 'sftp-more');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'exists.txt'), 'here');
    const big = path.join(dir, 'sparse.bin');
    writeFileSync(big, '');
    truncateSync(big, 5 * 1024 ** 3);
    const fd = openSync(big, 'r+');
    writeSync(fd, Buffer.from('beyond 4 GiB'), 0, 12, 4 * 1024 ** 3 + 7);
    closeSync(fd);
    writeFileSync(path.join(dir, 'héllo ☃ 日本.txt'), 'unicode');
    const r = await paramiko(
      `sftp = sftp_open()
d = params['dir']
out = {}
with sftp.open(d + '/new.txt', 'wx') as f:
    f.write(b'fresh')
try:
    sftp.open(d + '/exists.txt', 'wx')
    out['exclusive'] = 'opened'
except IOError as e:
    out['exclusive'] = type(e).__name__
out['size'] = sftp.stat(d + '/sparse.bin').st_size
with sftp.open(d + '/sparse.bin', 'r') as f:
    f.seek((4 << 30) + 7)
    out['far'] = f.read(12).decode()
names = sorted(sftp.listdir(d))
out['names'] = names
with sftp.open(d + '/' + 'héllo ☃ 日本.txt') as f:
    out['unicode'] = f.read().decode()
result = out`,
      { params: { dir } },
    );
    expect(r.result).toEqual({
      exclusive: 'OSError',
      size: 5 * 1024 ** 3,
      far: 'beyond 4 GiB',
      names: ['exists.txt', 'héllo ☃ 日本.txt', 'new.txt', 'sparse.bin'],
      unicode: 'unicode',
    });
    expect(readFileSync(path.join(dir, 'new.txt'), 'utf8')).toBe('fresh');
  });

  it('answers 50 READDIRs in flight on one handle (listdir_iter) and refuses check-file as unsupported', async () => {
    const dir = path.join(work, 'sftp-readahead');
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 3000; i++) writeFileSync(path.join(dir, `file-${i}`), '');
    const r = await paramiko(
      `sftp = sftp_open()
names = [a.filename for a in sftp.listdir_iter(params['dir'], read_aheads=50)]
out = {'n': len(names), 'unique': len(set(names))}
with sftp.open(params['dir'] + '/file-1') as f:
    try:
        f.check('sha1')
        out['check'] = 'answered'
    except IOError as e:
        out['check'] = str(e)
result = out`,
      { params: { dir } },
    );
    // check-file is not offered (nor by OpenSSH's sftp-server): SSH_FX_OP_UNSUPPORTED.
    expect(r.result).toEqual({ n: 3000, unique: 3000, check: 'unsupported extension check-file' });
  });
});
