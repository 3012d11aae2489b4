/**
 * Our server (listen + processFactory) against OpenSSH's ssh and AsyncSSH's client, and our own
 * client against it: exec, exit status and signals, stdin, stderr, pty.
 */
import { defaultClientKey, generateKey, runAsyncsshClient, runSsh, startSsh, type KeyPair } from '@ssh/interop';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SSHWriter, connect, listen, type SSHAcceptor, type SSHServerProcess } from '../src/index.ts';

let acceptor: SSHAcceptor;
let clientKey: KeyPair;
let hostKey: KeyPair;

async function handler(process: SSHServerProcess): Promise<void> {
  const command = process.command ?? '';
  if (command === 'echo-stdin') {
    for await (const line of process.stdin) process.stdout.write(line.toUpperCase());
    process.exit(0);
  } else if (command.startsWith('exit ')) {
    process.stderr.write('leaving\n');
    process.exit(Number(command.slice(5)));
  } else if (command === 'signal') {
    process.exitWithSignal('TERM', false, 'terminated');
  } else if (command === 'lines') {
    process.stdout.write('> ');
    for (;;) {
      const line = await process.stdin.readline();
      if (line === '' || line.trim() === 'quit') break;
      process.stdout.write(`got: ${line.trim()}\n> `);
    }
    process.exit(0);
  } else if (command.startsWith('child ')) {
    // A local child's output redirected to the session, as AsyncSSH's examples do.
    const child = spawn('/bin/sh', ['-c', command.slice(6)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? 1)));
    await process.redirect({ stdout: child.stdout, stderr: child.stderr });
    process.exit(await exited);
  } else if (command === 'pty') {
    process.stdout.write(`${process.termType} ${process.termSize[0]}x${process.termSize[1]}\n`);
    process.exit(0);
  } else {
    process.stdout.write(`ran: ${command}\n`);
    process.exit(0);
  }
}

/** The rows a terminal would show after `output`: enough of VT100 for the line editor's output. */
function render(output: string): string[] {
  const rows: string[][] = [[]];
  let row = 0;
  let col = 0;
  const line = (): string[] => (rows[row] ??= []);
  for (let i = 0; i < output.length; i++) {
    const c = output[i] as string;
    if (c === '\r') col = 0;
    else if (c === '\n') row++;
    else if (c === '\b') col = Math.max(0, col - 1);
    else if (c === '\x07') continue;
    else if (c === '\x1b' && output[i + 1] === '[') {
      // eslint-disable-next-line no-control-regex -- escape sequences are what this parses
      const m = /^\x1b\[(\d*)([A-Za-z])/.exec(output.slice(i));
      if (!m) continue;
      i += m[0].length - 1;
      const n = Number(m[1] || '1');
      if (m[2] === 'K') line().length = Math.min(line().length, col);
      else if (m[2] === 'C') col += n;
      else if (m[2] === 'D') col = Math.max(0, col - n);
      else if (m[2] === 'A') row = Math.max(0, row - n);
      else if (m[2] === 'B') row += n;
    } else {
      const l = line();
      while (l.length < col) l.push(' ');
      l[col++] = c;
    }
  }
  return rows.map((r) => (r ?? []).join('').trimEnd());
}

beforeAll(async () => {
  clientKey = await defaultClientKey();
  hostKey = await generateKey('ed25519', { label: 'our-host' });
  acceptor = await listen('127.0.0.1', 0, {
    serverHostKeys: [hostKey.privateKeyPath],
    authorizedClientKeys: readFileSync(clientKey.publicKeyPath, 'utf8'),
    processFactory: handler,
  });
});

afterAll(async () => {
  await acceptor?.waitClosed();
});

const target = () => ({ name: 'ours', host: '127.0.0.1', port: acceptor.getPort(), hostPublicKeys: [hostKey.publicKey] });

describe('our server', () => {
  it('runs commands for OpenSSH ssh with exit status and stderr', async () => {
    const ok = await runSsh(target(), 'hello world', { identity: clientKey });
    expect(ok.stdout).toBe('ran: hello world\n');
    const failed = await runSsh(target(), 'exit 5', { identity: clientKey, allowFailure: true });
    expect(failed.exitCode).toBe(5);
    expect(failed.stderr).toContain('leaving');
  });

  it("relays a local child's output redirected to the session from a reused read buffer", async () => {
    const transient = vi.spyOn(SSHWriter.prototype, 'writeTransient');
    try {
      const r = await runSsh(target(), 'child head -c 3000000 /dev/zero | tr "\\0" x; echo err >&2', { identity: clientKey });
      expect(r.stdout).toBe('x'.repeat(3_000_000));
      expect(r.stderr).toContain('err');
      expect(transient).toHaveBeenCalled();
    } finally {
      transient.mockRestore();
    }
  });

  it('feeds stdin from OpenSSH ssh', async () => {
    const r = await runSsh(target(), 'echo-stdin', { identity: clientKey, input: 'abc\ndef\n' });
    expect(r.stdout).toBe('ABC\nDEF\n');
  });

  it('serves our own client, including exit signals and a pty', async () => {
    await using conn = await connect({ host: '127.0.0.1', port: acceptor.getPort(), username: 'tester', clientKeys: [clientKey.privateKeyPath], knownHosts: null, agentPath: null });
    expect((await conn.run('exit 9')).exitStatus).toBe(9);
    const sig = await conn.run('signal');
    expect(sig.exitSignal?.signal).toBe('TERM');
    expect(sig.exitSignal?.message).toBe('terminated');
    const pty = await conn.run('pty', { termType: 'vt100', termSize: [132, 43] });
    expect(pty.stdout).toBe('vt100 132x43\r\n');
  });

  it("keeps a pty's newlines as CR LF after the client's EOF turned line editing off (as AsyncSSH)", async () => {
    await using conn = await connect({ host: '127.0.0.1', port: acceptor.getPort(), username: 'tester', clientKeys: [clientKey.privateKeyPath], knownHosts: null, agentPath: null });
    // stdin /dev/null: the EOF goes out right behind the exec request, before the process writes.
    const r = await conn.run('pty', { termType: 'xterm', termSize: [100, 30], stdin: 'devnull' });
    expect(r.stdout).toBe('xterm 100x30\r\n');
  });

  it('shows OpenSSH ssh -tt a screen where typed edits and the replies line up', async () => {
    // Typed a line at a time, each after the previous reply, as a person would.
    const ssh = await startSsh(target(), 'lines', { identity: clientKey, args: ['-tt'], stdin: 'pipe' });
    try {
      await ssh.waitForOutput('> ', { timeoutMs: 10_000 });
      ssh.stdin?.write('abc\x7fd\r');
      await ssh.waitForOutput('got: abd', { timeoutMs: 10_000 });
      ssh.stdin?.write('xyz\x01\x0bok\r');
      await ssh.waitForOutput('got: ok', { timeoutMs: 10_000 });
      ssh.stdin?.write('quit\r');
      await ssh.exited;
      const screen = render(ssh.stdoutText());
      expect(screen.slice(0, 5)).toEqual(['> abd', 'got: abd', '> ok', 'got: ok', '> quit']);
    } finally {
      await ssh.stop();
    }
  });

  it('edits lines typed into a pty from OpenSSH ssh -tt (backspace, ^A, ^K)', async () => {
    // "abc", backspace, "d" -> "abd"; "xyz", ^A, ^K, "ok" -> "ok".
    const r = await runSsh(target(), 'lines', { identity: clientKey, args: ['-tt'], input: 'abc\x7fd\rxyz\x01\x0bok\rquit\r' });
    // ssh sends EOF once its stdin ends, which turns line mode off: output after that is raw, so
    // whether a line ends in CRLF depends on when the EOF arrived.
    expect(r.stdout).toMatch(/got: abd\r?\n/);
    expect(r.stdout).toMatch(/got: ok\r?\n/);
    expect(r.stdout).not.toContain('got: abc');
  });

  it('edits lines for our own client with a pty, and turns output newlines into CRLF', async () => {
    await using conn = await connect({ host: '127.0.0.1', port: acceptor.getPort(), username: 'tester', clientKeys: [clientKey.privateKeyPath], knownHosts: null, agentPath: null });
    const proc = await conn.createProcess('lines', { termType: 'xterm', termSize: [80, 24] });
    proc.stdin.write('hello\x7f\x7fp\r');
    proc.stdin.write('quit\r');
    const result = await proc.wait({ timeout: 20 });
    expect(result.stdout).toContain('got: help\r\n');
    expect(result.exitStatus).toBe(0);
  });

  it('serves an AsyncSSH client', async () => {
    const out = await runAsyncsshClient(
      [
        'r = await conn.run("from asyncssh", input="")',
        'print(r.stdout, end="")',
        'print(r.exit_status)',
      ].join('\n'),
      { target: target(), identity: clientKey },
    );
    expect(out.stdout).toBe('ran: from asyncssh\n0\n');
  });
});
