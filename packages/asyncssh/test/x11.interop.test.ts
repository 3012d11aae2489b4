/**
 * X11 forwarding against real peers, with a fake X server (test/x11-helpers.ts) standing in for
 * the display: our client through sshd (X11Forwarding yes, xauth on its side) to an X client
 * that connects to the DISPLAY sshd set, the fake X server seeing the REAL cookie; OpenSSH ssh -X
 * into our server, whose sessions get DISPLAY and an XAUTHORITY file with the fake cookie; the
 * refusals: a server without X11 forwarding (ChannelOpenError, or going on with
 * 'ignore_failure'), a wrong cookie (the connection closed, the display never reached), an
 * "x11" channel nobody asked for (OPEN_CONNECT_FAILED), single-connection forwarding.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { defaultClientKey, generateKey, runAsyncsshClient, runSsh, startAsyncsshServer, startSshd, type KeyPair, type SshdServer } from '@ssh/interop';
import { CHANNEL_OPEN_FAILURE } from '@ssh/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelOpenError, SSHServer, connect, listen, type SSHAcceptor, type SSHServerConnection, type SSHServerProcess } from '../src/index.ts';
import { bounded } from './forward-helpers.ts';
import { X_CLIENT_PY, startFakeX, type FakeXServer } from './x11-helpers.ts';

const PYTHON = '/usr/bin/python3';
const dir = mkdtempSync(path.join(os.tmpdir(), 'x11-interop-'));
const script = path.join(dir, 'xclient.py');
const clientXauth = path.join(dir, 'client.Xauthority');
const sshdXauth = path.join(dir, 'sshd.Xauthority');
const realCookie = randomBytes(16);
const realHex = realCookie.toString('hex');

let sshd: SshdServer;
let fakeX: FakeXServer;
let key: KeyPair;
let hostKey: KeyPair;
let acceptor: SSHAcceptor;
let serverConn: SSHServerConnection | undefined;
/** What each of our server's sessions saw: DISPLAY, XAUTHORITY, the X client's output. */
const sessions: { display: string | undefined; xauthority: string | undefined; x11Display: string | undefined }[] = [];

/** Our server's sessions: run the X client (twice for the command `twice`) with the session's environment. */
async function runXClient(process: SSHServerProcess): Promise<void> {
  const env = process.env;
  const display = typeof env['DISPLAY'] === 'string' ? env['DISPLAY'] : undefined;
  const xauthority = typeof env['XAUTHORITY'] === 'string' ? env['XAUTHORITY'] : undefined;
  sessions.push({ display, xauthority, x11Display: process.channel.getX11Display() });
  const runs = process.command === 'twice' ? 2 : 1;
  let code = 0;
  for (let i = 0; i < runs; i++) {
    const child = spawn(PYTHON, [script], { env: { PATH: globalThis.process.env['PATH'] ?? '/usr/bin:/bin', ...(display ? { DISPLAY: display } : {}), ...(xauthority ? { XAUTHORITY: xauthority } : {}) }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => process.stdout.write(d.toString()));
    child.stderr.on('data', (d: Buffer) => process.stderr.write(d.toString()));
    code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? 1)));
  }
  process.exit(code);
}

class KeepConn extends SSHServer {
  override connectionMade(conn: SSHServerConnection): void {
    serverConn = conn;
  }
}

beforeAll(async () => {
  writeFileSync(script, X_CLIENT_PY);
  writeFileSync(clientXauth, '', { mode: 0o600 });
  fakeX = await startFakeX(realCookie, 'unix');
  execFileSync('xauth', ['-q', '-f', clientXauth, 'add', fakeX.display, 'MIT-MAGIC-COOKIE-1', realHex]);
  key = await defaultClientKey();
  hostKey = await generateKey('ed25519', { label: 'x11-host' });
  // sshd runs xauth in the session's environment: SetEnv points it at a throwaway file.
  sshd = await startSshd({ config: ['X11Forwarding yes', 'X11UseLocalhost yes', `SetEnv XAUTHORITY=${sshdXauth} SHLVL=1`] });
  acceptor = await listen('127.0.0.1', 0, {
    serverHostKeys: [hostKey.privateKeyPath],
    authorizedClientKeys: readFileSync(key.publicKeyPath, 'utf8'),
    processFactory: runXClient,
    serverFactory: () => new KeepConn(),
    x11Forwarding: true,
  });
});

afterAll(async () => {
  acceptor?.close();
  await acceptor?.waitClosed();
  await sshd?.stop();
  await fakeX?.close();
  rmSync(dir, { recursive: true, force: true });
});

const clientOptions = (port: number, user: string) => ({ host: '127.0.0.1', port, username: user, clientKeys: [key.privateKeyPath], knownHosts: null, config: null, x11Display: fakeX.display, x11AuthPath: clientXauth });

describe('our client through sshd', () => {
  it('forwards an X client to the local display, which sees the real cookie', async () => {
    await using conn = await connect(clientOptions(sshd.port, sshd.user));
    const before = fakeX.seen.length;
    const r = await bounded(conn.run(`${PYTHON} ${script}`, { x11Forwarding: true }), 20_000, 'X client through sshd');
    expect(r.stderr).not.toContain('Traceback');
    expect(r.stdout).toMatch(/^display localhost:1\d\.0$/m);
    expect(r.stdout).toContain('status 1');
    expect(r.stdout).toContain('echo ping');
    expect(fakeX.seen.slice(before)).toEqual([realHex]);
    // sshd stored the fake cookie, not the real one.
    const stored = execFileSync('xauth', ['-f', sshdXauth, 'list'], { encoding: 'utf8' });
    expect(stored).toContain('MIT-MAGIC-COOKIE-1');
    expect(stored).not.toContain(realHex);
  });

  it('answers an X connection with a wrong cookie Failed, and closes it before it reaches the display', async () => {
    await using conn = await connect(clientOptions(sshd.port, sshd.user));
    const before = fakeX.seen.length;
    const r = await bounded(conn.run(`${PYTHON} ${script} wrong`, { x11Forwarding: true }), 20_000, 'wrong cookie');
    expect(r.stdout).toContain('status 0');
    expect(fakeX.seen.length).toBe(before);
  });

  it('closes an X connection whose setup is malformed', async () => {
    await using conn = await connect(clientOptions(sshd.port, sshd.user));
    const before = fakeX.seen.length;
    const r = await bounded(conn.run(`${PYTHON} ${script} badorder`, { x11Forwarding: true }), 20_000, 'bad byte order');
    expect(r.stdout).toContain('status closed');
    expect(fakeX.seen.length).toBe(before);
    // The connection carries on.
    expect((await conn.run('echo still')).stdout).toBe('still\n');
  });

  it('fails the session when the Xauthority file has no cookie for the display', async () => {
    await using conn = await connect({ ...clientOptions(sshd.port, sshd.user), x11Display: ':9999' });
    const err = await conn.run('true', { x11Forwarding: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelOpenError);
    expect((err as ChannelOpenError).reasonCode).toBe(CHANNEL_OPEN_FAILURE.REQUEST_X11_FORWARDING_FAILED);
    const r = await conn.run('echo on', { x11Forwarding: 'ignore_failure' });
    expect(r.stdout).toBe('on\n');
  });
});

describe('OpenSSH ssh -X into our server', () => {
  it('gives the session a DISPLAY and an XAUTHORITY file, and relays to ssh\'s display', async () => {
    const before = fakeX.seen.length;
    const r = await runSsh({ name: 'ours', host: '127.0.0.1', port: acceptor.getPort(), hostPublicKeys: [hostKey.publicKey] }, 'x', {
      identity: key,
      args: ['-X', '-o', 'ForwardX11Trusted=yes'],
      env: { DISPLAY: fakeX.display, XAUTHORITY: clientXauth },
      timeoutMs: 20_000,
    });
    expect(r.stdout).toContain('status 1');
    expect(r.stdout).toContain('echo ping');
    expect(fakeX.seen.slice(before)).toEqual([realHex]);
    const s = sessions.at(-1);
    expect(s?.display).toMatch(/^localhost:1\d\.0$/);
    expect(s?.x11Display).toBe(s?.display);
    expect(s?.xauthority).toBeDefined();
    // The per-session Xauthority file goes away with the session, and so does the listener.
    const xauthority = s?.xauthority as string;
    const port = 6000 + Number(/:(\d+)\./.exec(s?.display ?? '')?.[1]);
    for (let i = 0; i < 50 && existsSync(xauthority); i++) await new Promise((res) => setTimeout(res, 20));
    expect(existsSync(xauthority)).toBe(false);
    await expect(refused(port)).resolves.toBe(true);
  });
});

describe('AsyncSSH', () => {
  it('AsyncSSH\'s client forwards X11 through our server', async () => {
    const before = fakeX.seen.length;
    const r = await runAsyncsshClient(
      `r = await conn.run('x', x11_forwarding=True, x11_display=params['display'], x11_auth_path=params['auth'])
print(r.stdout, end='')`,
      { target: { name: 'ours', host: '127.0.0.1', port: acceptor.getPort(), hostPublicKeys: [hostKey.publicKey] }, identity: key, params: { display: fakeX.display, auth: clientXauth } },
    );
    expect(r.stdout).toContain('status 1');
    expect(r.stdout).toContain('echo ping');
    expect(fakeX.seen.slice(before)).toEqual([realHex]);
  });

  it('our client forwards X11 through AsyncSSH\'s server', async () => {
    const asyncsshXauth = path.join(dir, 'asyncssh.Xauthority');
    const server = await startAsyncsshServer({
      params: { script, xauth: asyncsshXauth },
      script: `import os
async def process_factory(process):
    env = dict(os.environ, XAUTHORITY=params['xauth'])
    display = process.channel.get_x11_display()
    if display:
        env['DISPLAY'] = display
    child = await asyncio.create_subprocess_exec('${PYTHON}', params['script'], stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env)
    out, err = await child.communicate()
    process.stdout.write(out.decode())
    process.stderr.write(err.decode())
    process.exit(child.returncode)
server_options = dict(x11_forwarding=True, x11_auth_path=params['xauth'])
`,
    });
    try {
      await using conn = await connect(clientOptions(server.port, server.user));
      const before = fakeX.seen.length;
      const r = await bounded(conn.run('x', { x11Forwarding: true }), 20_000, 'through AsyncSSH');
      expect(r.stdout).toContain('status 1');
      expect(r.stdout).toContain('echo ping');
      expect(fakeX.seen.slice(before)).toEqual([realHex]);
    } finally {
      await server.stop();
    }
  });
});

describe('our client and our server', () => {
  it('forwards one connection only with x11SingleConnection', async () => {
    await using conn = await connect({ ...clientOptions(acceptor.getPort(), 'u'), x11SingleConnection: true });
    const before = fakeX.seen.length;
    const r = await bounded(conn.run('twice', { x11Forwarding: true }), 20_000, 'single connection');
    expect(String(r.stdout).match(/status 1/g)).toHaveLength(1);
    // Our server closed the display's listener after the first connection.
    expect(r.stderr).toContain('ConnectionRefusedError');
    expect(fakeX.seen.slice(before)).toEqual([realHex]);
  });

  it('refuses x11-req when the server does not allow X11: ChannelOpenError, or on with ignore_failure', async () => {
    const plain = await listen('127.0.0.1', 0, { serverHostKeys: [hostKey.privateKeyPath], authorizedClientKeys: readFileSync(key.publicKeyPath, 'utf8'), processFactory: runXClient });
    try {
      await using conn = await connect(clientOptions(plain.getPort(), 'u'));
      const err = await conn.run('x', { x11Forwarding: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ChannelOpenError);
      expect((err as ChannelOpenError).reasonCode).toBe(CHANNEL_OPEN_FAILURE.REQUEST_X11_FORWARDING_FAILED);
      const before = sessions.length;
      await conn.run('x', { x11Forwarding: 'ignore_failure' });
      expect(sessions[before]?.display).toBeUndefined();
    } finally {
      plain.close();
      await plain.waitClosed();
    }
  });

  it('adds the cookie to a shared x11AuthPath file, and removes it when the session ends', async () => {
    const shared = path.join(dir, 'shared.Xauthority');
    writeFileSync(shared, '', { mode: 0o600 });
    execFileSync('xauth', ['-q', '-f', shared, 'add', 'otherhost/unix:99', 'MIT-MAGIC-COOKIE-1', '00112233']);
    const server = await listen('127.0.0.1', 0, { serverHostKeys: [hostKey.privateKeyPath], authorizedClientKeys: readFileSync(key.publicKeyPath, 'utf8'), processFactory: runXClient, x11Forwarding: true, x11AuthPath: shared, x11DisplayOffset: 20 });
    try {
      await using conn = await connect(clientOptions(server.getPort(), 'u'));
      const r = await bounded(conn.run('x', { x11Forwarding: true }), 20_000, 'shared Xauthority');
      expect(r.stdout).toContain('status 1');
      const s = sessions.at(-1);
      expect(s?.xauthority).toBe(shared);
      expect(s?.display).toMatch(/^localhost:(2\d|[3-9]\d)\.0$/);
      const n = /:(\d+)\./.exec(s?.display ?? '')?.[1] ?? '';
      conn.close();
      await conn.waitClosed();
      let listed = '';
      for (let i = 0; i < 50; i++) {
        listed = execFileSync('xauth', ['-f', shared, 'list'], { encoding: 'utf8' });
        if (!listed.includes(`unix:${n} `)) break;
        await new Promise((res) => setTimeout(res, 20));
      }
      expect(listed).not.toContain(`unix:${n} `);
      expect(listed).toContain('otherhost/unix:99');
    } finally {
      server.close();
      await server.waitClosed();
    }
  });

  it('refuses x11-req for a key whose authorized_keys line says restrict or no-X11-forwarding', async () => {
    const line = readFileSync(key.publicKeyPath, 'utf8').trim();
    for (const opts of ['restrict', 'no-X11-forwarding']) {
      const strict = await listen('127.0.0.1', 0, { serverHostKeys: [hostKey.privateKeyPath], authorizedClientKeys: `${opts} ${line}\n`, processFactory: runXClient, x11Forwarding: true });
      try {
        await using conn = await connect(clientOptions(strict.getPort(), 'u'));
        const err = await conn.run('x', { x11Forwarding: true }).catch((e: unknown) => e);
        expect((err as ChannelOpenError).reasonCode, opts).toBe(CHANNEL_OPEN_FAILURE.REQUEST_X11_FORWARDING_FAILED);
      } finally {
        strict.close();
        await strict.waitClosed();
      }
    }
  });

  it('refuses an "x11" channel it did not ask for with OPEN_CONNECT_FAILED', async () => {
    await using conn = await connect(clientOptions(acceptor.getPort(), 'u'));
    await conn.run('x');
    const server = serverConn as unknown as { mux: { openChannel: (...a: unknown[]) => void }; scheduleFlush: () => void };
    const code = await bounded(
      new Promise<number>((resolve) => {
        server.mux.openChannel('x11', { type: 'x11', originatorAddress: '127.0.0.1', originatorPort: 1 }, {
          onOpen: () => resolve(-1),
          onOpenFailed: (e: ChannelOpenError) => resolve(e.reasonCode),
          onData: () => undefined,
          onEof: () => undefined,
          onClose: () => undefined,
        });
        server.scheduleFlush();
      }),
      10_000,
      'x11 open',
    );
    expect(code).toBe(CHANNEL_OPEN_FAILURE.CONNECT_FAILED);
  });
});

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}
