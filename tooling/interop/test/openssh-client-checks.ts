/** What the harness's own tests check alike of every server peer it starts, with OpenSSH's client. */
import { expect } from 'vitest';
import { type SshTarget, runSsh } from '../src/index.ts';

/** `server` runs OpenSSH's commands with their exit status, stderr and stdin, and under a pty. */
export async function expectServesOpenSshClient(server: SshTarget): Promise<void> {
  expect((await runSsh(server, 'echo hi')).stdout).toBe('hi\n');
  const result = await runSsh(server, 'cat; echo oops >&2; exit 5', { input: 'in', allowFailure: true });
  expect(result).toMatchObject({ stdout: 'in', stderr: 'oops\n', exitCode: 5 });
  // ssh -tt without a terminal of its own: no TERM and a 0x0 size, but a pty all the same.
  expect((await runSsh(server, 'pty-info', { args: ['-tt'] })).stdout).toMatch(/^\S* \d+x\d+\r?\n$/);
}

/** `server` lets OpenSSH's client in as alice with password "secret", and refuses a wrong one. */
export async function expectTakesPassword(server: SshTarget): Promise<void> {
  expect((await runSsh(server, 'echo pw', { user: 'alice', password: 'secret', identity: null })).stdout).toBe('pw\n');
  const wrong = await runSsh(server, 'true', { user: 'alice', password: 'wrong', identity: null, allowFailure: true });
  expect(wrong.exitCode).toBe(255);
}
