/**
 * A process factory that runs each session's command in a local shell (`/bin/sh -c`), or the
 * user's shell for a shell request, with stdin, stdout and stderr relayed and the exit status
 * (or signal) reported back: a small sshd for demos and tests.
 * @module
 */

import { spawn } from 'node:child_process';
import { pipeReadableToWriter, pump, type SSHServerProcess } from '@ssh/asyncssh';

export interface LocalShellOptions {
  /** Working directory of the commands (default: the current one). */
  readonly cwd?: string;
  /** Environment (default: this process's); the session's env requests are added. */
  readonly env?: NodeJS.ProcessEnv;
}

export function localShellFactory(options: LocalShellOptions = {}) {
  return async (process: SSHServerProcess<Uint8Array>): Promise<void> => {
    const command = process.command;
    const shell = globalThis.process.env['SHELL'] ?? '/bin/sh';
    const env: NodeJS.ProcessEnv = { ...(options.env ?? globalThis.process.env) };
    for (const [k, v] of Object.entries(process.env)) env[k] = typeof v === 'string' ? v : Buffer.from(v).toString('latin1');
    if (process.termType !== undefined) env['TERM'] = process.termType;
    const agentPath = process.channel.getAgentPath();
    if (agentPath !== undefined) env['SSH_AUTH_SOCK'] = agentPath;
    const child = spawn(command === undefined ? shell : '/bin/sh', command === undefined ? ['-i'] : ['-c', command], {
      cwd: options.cwd,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('close', (code, signal) => resolve({ code, signal }));
      child.once('error', () => resolve({ code: 127, signal: null }));
    });
    const input = pump(process.stdin, child.stdin).catch(() => child.stdin.destroy());
    // The child's pipes are read into reused buffers and sent from there (see pipeReadableToWriter).
    const output = Promise.all([pipeReadableToWriter(child.stdout, process.stdout, { end: false }), pipeReadableToWriter(child.stderr, process.stderr, { end: false })]);
    const { code, signal } = await closed;
    await output.catch(() => undefined);
    void input;
    if (signal) process.exitWithSignal(signal.replace(/^SIG/, ''));
    else process.exit(code ?? 0);
  };
}
