import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AsyncsshServer,
  InteropStartError,
  type SshdServer,
  generateKey,
  isProcessAlive,
  runAsyncsshClient,
  runSftp,
  runSsh,
  startAsyncsshServer,
  startSshd,
} from '../src/index.ts';
import { logPeersOnFailure } from '../src/vitest.ts';

logPeersOnFailure();

describe('AsyncSSH server', () => {
  let server: AsyncsshServer;

  beforeAll(async () => {
    server = await startAsyncsshServer({ passwords: { alice: 'secret' }, sftp: true });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('serves an AsyncSSH client snippet', async () => {
    const result = await runAsyncsshClient(
      `r = await conn.run('echo hi', check=True)
print(r.stdout, end='')
result = {'status': r.exit_status, 'param': params['n'] + 1}`,
      { target: server, params: { n: 41 } },
    );
    expect(result.stdout).toBe('hi\n');
    expect(result.result).toEqual({ status: 0, param: 42 });
  });

  it('serves the OpenSSH client, with exit status, stderr and stdin', async () => {
    expect((await runSsh(server, 'echo hi')).stdout).toBe('hi\n');
    const result = await runSsh(server, 'cat; echo oops >&2; exit 5', { input: 'in', allowFailure: true });
    expect(result).toMatchObject({ stdout: 'in', stderr: 'oops\n', exitCode: 5 });
  });

  it('takes passwords from both clients', async () => {
    expect((await runSsh(server, 'echo pw', { user: 'alice', password: 'secret', identity: null })).stdout).toBe('pw\n');
    const wrong = await runSsh(server, 'true', { user: 'alice', password: 'wrong', identity: null, allowFailure: true });
    expect(wrong.exitCode).toBe(255);
    const python = await runAsyncsshClient(`print((await conn.run('echo py-pw')).stdout, end='')`, {
      target: server,
      username: 'alice',
      password: 'secret',
      identity: null,
    });
    expect(python.stdout).toBe('py-pw\n');
  });

  it('serves sftp when asked', async () => {
    const result = await runSftp(server, ['pwd']);
    expect(result.stdout).toMatch(/Remote working directory: \//);
  });

  it('reports an exception in a client snippet with its traceback', async () => {
    const result = await runAsyncsshClient('raise ValueError("from the snippet")', { target: server, allowFailure: true });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/ValueError: from the snippet/);
    expect(result.stderr).not.toMatch(/CryptographyDeprecationWarning/);
  });

  it('bounds a client snippet by its timeout', async () => {
    const result = await runAsyncsshClient('await asyncio.sleep(30)', { timeoutMs: 500, allowFailure: true });
    expect(result.exitCode).toBe(124);
    expect(result.stderr).toMatch(/timed out/);
  });
});

describe('AsyncSSH server behaviour from a snippet', () => {
  it('uses the process_factory the snippet defines', async () => {
    const server = await startAsyncsshServer({
      hostKeyTypes: ['ed25519'],
      params: { greeting: 'hello' },
      script: `
def process_factory(process):
    process.stdout.write(params['greeting'] + ' ' + (process.command or '(shell)') + '\\n')
    process.exit(3)
`,
    });
    try {
      const result = await runSsh(server, 'anything at all', { allowFailure: true });
      expect(result).toMatchObject({ stdout: 'hello anything at all\n', exitCode: 3 });
    } finally {
      await server.stop();
    }
    expect(isProcessAlive(server.pid)).toBe(false);
    expect(isProcessAlive(server.process.watchdogPid)).toBe(false);
  });

  it('reports the traceback when the server fails to start', async () => {
    const error = await startAsyncsshServer({ script: 'import no_such_module_here' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InteropStartError);
    expect((error as InteropStartError).log).toMatch(/ModuleNotFoundError: No module named 'no_such_module_here'/);
    expect((error as Error).message).toMatch(/AsyncSSH server did not start/);
  });
});

describe('AsyncSSH and OpenSSH across', () => {
  let sshd: SshdServer;

  beforeAll(async () => {
    sshd = await startSshd({ hostKeyTypes: ['ed25519', 'rsa'] });
  });
  afterAll(async () => {
    await sshd.stop();
  });

  it('runs an AsyncSSH client against sshd, verifying its host key', async () => {
    const result = await runAsyncsshClient(
      `r = await conn.run('echo from-sshd')
print(r.stdout, end='')
result = conn.get_server_host_key().get_algorithm()`,
      { target: sshd },
    );
    expect(result.stdout).toBe('from-sshd\n');
    expect(result.result).toBe('ssh-ed25519');
  });

  it('fails an AsyncSSH client whose pinned host key does not match', async () => {
    const other = await generateKey('ed25519', { label: 'impostor' });
    const result = await runAsyncsshClient('pass', { target: { ...sshd, hostPublicKeys: [other.publicKey] }, allowFailure: true });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/HostKeyNotVerifiable|Host key is not trusted/);
  });

  it('passes extra connect options', async () => {
    const result = await runAsyncsshClient(`result = conn.get_extra_info('send_cipher')`, {
      target: sshd,
      connectOptions: "dict(encryption_algs=['aes128-ctr'])",
    });
    expect(result.result).toBe('aes128-ctr');
  });
});
